"""Search over articles and case-library entries: one BM25 index of both, filtered by who may see what.

The service keeps one ``Ranking`` per instance in memory (``search.py`` fills it from the store), and
``make kb-report`` builds one from the starter articles: the figures it reports are those of the code
that answers ``GET /search``.

Each document is indexed with its term counts (``segment.weighted_counts``), computed when it is
written and stored with it; ``meta`` keeps what filters and results need (type, title, status,
project scope, department).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .articles import search_fields
from .bm25 import Index
from .segment import Segmenter, weighted_counts

ARTICLE, CASE = "article", "case"
PROMOTED_BOOST = 1.25  # a case the supervisor promoted is a better example than one nobody has read yet


def case_fields(entry: dict[str, Any]) -> list[tuple[str, int]]:
    return [(entry.get("problem", ""), 2), (entry.get("category") or "", 1), (entry.get("resolution", ""), 1)]


def doc_key(kind: str, doc_id: str) -> str:
    return f"{kind}:{doc_id}"


@dataclass(frozen=True)
class Found:
    type: str
    id: str
    score: float
    meta: dict[str, Any]


class Ranking:
    def __init__(self, segmenter: Segmenter | None = None) -> None:
        self.seg = segmenter or Segmenter()
        self.index = Index()
        self.seen: dict[str, Any] = {}  # key → the change marker of the version indexed (skip re-applying it)

    def counts_of(self, kind: str, doc: dict[str, Any]) -> dict[str, int]:
        """The stored term counts when made with this segmentation, else computed now."""
        stored = doc.get("terms")
        if stored and doc.get("seg_version") == self.seg.version:
            return stored
        return weighted_counts(self.seg, search_fields(doc) if kind == ARTICLE else case_fields(doc))

    def apply(self, kind: str, doc: dict[str, Any]) -> None:
        """Index the document as it is now (an active article, a candidate or promoted case), or drop it."""
        key = doc_key(kind, doc["_id"])
        marker = (doc.get("version"), doc.get("status"))
        if self.seen.get(key) == marker:
            return
        self.seen[key] = marker
        if doc.get("status") in ("retired", None):
            self.index.remove(key)
            return
        if kind == ARTICLE:
            meta = {"type": ARTICLE, "id": doc["_id"], "title": doc.get("question", ""),
                    "snippet": doc.get("answer", "")[:120], "projects": tuple(doc.get("projects") or ()),
                    "tags": list(doc.get("tags") or []), "status": doc["status"], "version": doc.get("version")}
        else:
            meta = {"type": CASE, "id": doc["_id"], "title": doc.get("problem", "")[:80],
                    "snippet": doc.get("resolution", "")[:120], "kind": doc.get("kind"),
                    "category": doc.get("category"), "department": doc.get("department"),
                    "projects": (doc["project"],) if doc.get("project") else (), "status": doc["status"]}
        self.index.put(key, self.counts_of(kind, doc), meta)

    def search(self, text: str, limit: int = 10, project: str | None = None, types: tuple[str, ...] = (ARTICLE, CASE),
               department: str | None = None) -> list[Found]:
        """Best first. ``project``: articles scoped to it or to all projects, cases of it; ``department``:
        only that department's cases (department staff see their own department's only)."""
        def keep(_key: str, meta: dict[str, Any]) -> bool:
            if meta["type"] not in types:
                return False
            if project and meta["projects"] and project not in meta["projects"]:
                return False
            return not (department and meta["type"] == CASE and meta.get("department") != department)

        def boost(_key: str, meta: dict[str, Any]) -> float:
            return PROMOTED_BOOST if meta.get("status") == "promoted" else 1.0

        hits = self.index.search(self.seg.terms(text), limit, keep=keep, boost=boost, max_boost=PROMOTED_BOOST)
        return [Found(self.index.meta[h.doc_id]["type"], self.index.meta[h.doc_id]["id"], h.score,
                      self.index.meta[h.doc_id]) for h in hits]

    def __len__(self) -> int:
        return len(self.index)
