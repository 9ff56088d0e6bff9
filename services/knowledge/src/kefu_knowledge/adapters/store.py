"""The knowledge service's store, in its own database.

* ``articles``: the current version of each article (``version`` counts edits); an edit is a
  conditional update on ``_id`` + ``version`` (of two concurrent edits one matches, the other is a 409).
* ``article_versions``: every version of every article, ``_id`` = ``<article>@<version>``, insert-only.
  Before an edit, the version being replaced is written (a no-op when it is there already), so a
  writer that died between an update and its snapshot never loses a version.
* ``case_facts``: what the case events told about a case (problem, resolution, closed), upserted by
  case id; the events of one case come on two topics, in any order between them.
* ``library``: case-library entries, ``_id`` = case id, made once a case is closed with a resolution.

Articles and entries carry ``changed_at`` (indexed): each instance's search index reads what changed
since its last look (``search.py``), and their search terms (``terms``, ``seg_version``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

LIST_LIMIT = 500


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """One index per query shape below (SecantusDB uses an index only when the filter is a prefix of its keys)."""
    await db.articles.create_index([("_id", ASCENDING), ("version", ASCENDING)])
    await db.articles.create_index([("changed_at", ASCENDING)])
    await db.articles.create_index([("status", ASCENDING), ("_id", ASCENDING)])
    await db.article_versions.create_index([("article_id", ASCENDING), ("version", ASCENDING)])
    await db.library.create_index([("changed_at", ASCENDING)])
    await db.library.create_index([("status", ASCENDING), ("_id", ASCENDING)])
    await db.library.create_index([("_id", ASCENDING), ("version", ASCENDING)])


# --- the filters the store sends (tests/integration/test_query_plans_knowledge.py explains each) ---

def by_id(doc_id: str) -> dict[str, Any]:
    return {"_id": doc_id}


def at_version(doc_id: str, version: int) -> dict[str, Any]:
    return {"_id": doc_id, "version": version}


def changed_since(since: datetime) -> dict[str, Any]:
    return {"changed_at": {"$gte": since}}


def with_status(status: str) -> dict[str, Any]:
    return {"status": status}


def versions_of(article_id: str) -> dict[str, Any]:
    return {"article_id": article_id}


class ArticleStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.articles = db.articles
        self.versions = db.article_versions

    async def get(self, article_id: str) -> dict[str, Any] | None:
        return await self.articles.find_one(by_id(article_id))

    async def create(self, article: dict[str, Any]) -> bool:
        """False when an article with this id exists."""
        if not await insert_once(self.articles, article):
            return False
        await self.keep_version(article)
        return True

    async def keep_version(self, article: dict[str, Any]) -> None:
        from ..domain.articles import snapshot

        await insert_once(self.versions, snapshot(article))

    async def replace(self, before: dict[str, Any], after: dict[str, Any]) -> bool:
        """Write ``after`` if the article is still at ``before``'s version; False if someone else changed it."""
        await self.keep_version(before)
        result = await self.articles.replace_one(at_version(before["_id"], before["version"]), after)
        if result.matched_count != 1:
            return False
        await self.keep_version(after)
        return True

    async def history(self, article_id: str) -> list[dict[str, Any]]:
        found = await self.versions.find(versions_of(article_id)).to_list(None)
        return sorted(found, key=lambda v: v["version"])

    async def listed(self, status: str, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
        return await self.articles.find(with_status(status), {"terms": 0}).limit(limit).to_list(None)

    async def changed(self, since: datetime) -> list[dict[str, Any]]:
        return await self.articles.find(changed_since(since)).to_list(None)


class LibraryStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.facts = db.case_facts
        self.entries = db.library

    async def learn(self, case_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Merge what an event says about a case; the facts as they now are."""
        # update then read: find_one_and_update rewrites its filter into $and, which SecantusDB scans
        await self.facts.update_one(by_id(case_id), {"$set": fields}, upsert=True)
        return await self.facts.find_one(by_id(case_id)) or {"_id": case_id, **fields}

    async def get(self, entry_id: str) -> dict[str, Any] | None:
        return await self.entries.find_one(by_id(entry_id))

    async def add(self, entry: dict[str, Any]) -> bool:
        return await insert_once(self.entries, entry)

    async def replace(self, before: dict[str, Any], after: dict[str, Any]) -> bool:
        result = await self.entries.replace_one(at_version(before["_id"], before["version"]), after)
        return result.matched_count == 1

    async def listed(self, status: str, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
        return await self.entries.find(with_status(status), {"terms": 0}).limit(limit).to_list(None)

    async def changed(self, since: datetime) -> list[dict[str, Any]]:
        return await self.entries.find(changed_since(since)).to_list(None)
