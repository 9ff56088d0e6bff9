"""The starter articles (``data/articles.json``), loaded at start when absent or newer.

Idempotent and safe with several instances starting at once: an absent article is inserted once
(its id is the key); a present one is replaced only when its seed content changed and nobody but the
seed has edited it (``domain.articles.seed_update``), as a new version, conditional on the version
read. The content hash of each seed is kept on the article to tell.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from kefu_kit import get_logger

from .domain.articles import SEED_EDITOR, content_hash, new_article, seed_update
from .domain.ranking import ARTICLE
from .search import SearchIndex

log = get_logger(__name__)


def starter_articles() -> list[dict[str, Any]]:
    text = resources.files("kefu_knowledge").joinpath("data", "articles.json").read_text(encoding="utf-8")
    return json.loads(text)


async def load_starter(index: SearchIndex, now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(timezone.utc)
    counts = {"created": 0, "updated": 0, "kept": 0}
    for seed in starter_articles():
        seed_hash = content_hash(seed)
        current = await index.articles.get(seed["id"])
        if current is None:
            doc = index.stamp(ARTICLE, new_article(seed["id"], seed, SEED_EDITOR, now, seed_hash), now)
            created = await index.articles.create(doc)
            if created:
                index.apply(ARTICLE, doc)
            counts["created" if created else "kept"] += 1
            continue
        after = seed_update(current, seed, seed_hash, now)
        if after is None:
            counts["kept"] += 1
            continue
        doc = index.stamp(ARTICLE, after, now)
        updated = await index.articles.replace(current, doc)
        if updated:
            index.apply(ARTICLE, doc)
        counts["updated" if updated else "kept"] += 1
    log.info("starter articles loaded", **counts)
    return counts
