"""Articles of the standard knowledge base (标准知识库): what an edit changes, and what a version keeps.

An article is a question an owner asks and the center's answer, with tags and a project scope (empty:
every project). Every change makes a new version; the versions before it are kept whole, so what an
agent was told to say on a given day can always be read again (``GET /articles/{id}/versions``).

Starter articles carry the hash of their seed content: a newer seed replaces an article only while
nobody but the seed has edited it, so the supervisor's edits are never overwritten by a release.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

CONTENT = ("question", "answer", "tags", "projects")
SEED_EDITOR = "seed"
ACTIVE, RETIRED = "active", "retired"


class NoChange(ValueError):
    """An edit that changes nothing makes no version."""


def content_hash(content: dict[str, Any]) -> str:
    """The hash of an article's content (question, answer, tags, projects), independent of key order."""
    canonical = {k: content.get(k) or ([] if k in ("tags", "projects") else "") for k in CONTENT}
    canonical["tags"] = sorted(canonical["tags"])
    canonical["projects"] = sorted(canonical["projects"])
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def new_article(article_id: str, content: dict[str, Any], editor: str, now: datetime,
                seed_hash: str | None = None) -> dict[str, Any]:
    doc = {"_id": article_id, **{k: content.get(k) or ([] if k in ("tags", "projects") else "") for k in CONTENT},
           "status": ACTIVE, "version": 1, "created_at": now, "updated_at": now, "updated_by": editor,
           "hash": content_hash(content)}
    if seed_hash is not None:
        doc["seed_hash"] = seed_hash
    return doc


def edited(article: dict[str, Any], change: dict[str, Any], editor: str, now: datetime,
           status: str | None = None) -> dict[str, Any]:
    """The article after ``change`` (only content fields) and/or a new ``status``: the next version."""
    after = dict(article)
    for k, v in change.items():
        if k in CONTENT and v is not None:
            after[k] = list(v) if k in ("tags", "projects") else v
    if status is not None:
        after["status"] = status
    after["hash"] = content_hash(after)
    if after["hash"] == article.get("hash") and after["status"] == article["status"]:
        raise NoChange(f"article {article['_id']}: nothing to change")
    after.update(version=article["version"] + 1, updated_at=now, updated_by=editor)
    return after


def seed_update(article: dict[str, Any], seed: dict[str, Any], seed_hash: str, now: datetime) -> dict[str, Any] | None:
    """The next version of a starter article for a newer seed, or None: unchanged seed, or edited by a person."""
    if article.get("seed_hash") == seed_hash or article.get("updated_by") != SEED_EDITOR:
        return None
    try:
        after = edited(article, {k: seed.get(k) for k in CONTENT}, SEED_EDITOR, now)
    except NoChange:
        after = dict(article, version=article["version"] + 1, updated_at=now)
    after["seed_hash"] = seed_hash
    return after


def snapshot(article: dict[str, Any]) -> dict[str, Any]:
    """The version record of the article as it is: ``_id`` = ``<article id>@<version>`` (written once)."""
    keep = {k: article.get(k) for k in (*CONTENT, "status", "version", "updated_at", "updated_by", "hash")}
    return {"_id": f"{article['_id']}@{article['version']}", "article_id": article["_id"], **keep}


def search_fields(article: dict[str, Any]) -> list[tuple[str, int]]:
    """What search reads of an article, and the weight of each: the question and tags say what it is about."""
    return [(article.get("question", ""), 3), (" ".join(article.get("tags") or []), 2), (article.get("answer", ""), 1)]
