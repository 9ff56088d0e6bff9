"""BM25 ranking over an in-memory inverted index (Okapi BM25, k1 = 1.2, b = 0.75).

Documents come with their term counts already made (``segment.weighted_counts``): the index only
keeps postings ``term → {doc: tf}`` and each document's length, so adding, replacing and removing a
document are cheap and a query costs the postings of its terms only.

Why BM25: term frequency saturates (a word said ten times is not ten times as relevant), rare terms
weigh more (idf), and long answers do not win by length. Scores are comparable within one query only.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class Hit:
    doc_id: str
    score: float


class Index:
    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, dict[str, int]] = {}
        self.lengths: dict[str, int] = {}
        self.meta: dict[str, Any] = {}
        self._terms: dict[str, tuple[str, ...]] = {}
        self._total = 0

    def __len__(self) -> int:
        return len(self.lengths)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.lengths

    def put(self, doc_id: str, counts: dict[str, int], meta: Any = None) -> None:
        """Add or replace a document."""
        self.remove(doc_id)
        for term, tf in counts.items():
            if tf > 0:
                self.postings.setdefault(term, {})[doc_id] = tf
        length = sum(counts.values())
        self._terms[doc_id] = tuple(t for t, tf in counts.items() if tf > 0)
        self.lengths[doc_id] = length
        self.meta[doc_id] = meta
        self._total += length

    def remove(self, doc_id: str) -> None:
        length = self.lengths.pop(doc_id, None)
        if length is None:
            return
        self._total -= length
        self.meta.pop(doc_id, None)
        for term in self._terms.pop(doc_id, ()):
            docs = self.postings[term]
            docs.pop(doc_id, None)
            if not docs:
                del self.postings[term]

    def idf(self, term: str) -> float:
        n = len(self.postings.get(term, ()))
        return math.log(1 + (len(self.lengths) - n + 0.5) / (n + 0.5))

    def scores(self, terms: Iterable[str]) -> dict[str, float]:
        """Each matching document's BM25 score for the query ``terms`` (a repeated query term counts once)."""
        if not self.lengths:
            return {}
        avgdl = self._total / len(self.lengths) or 1.0
        k1, b, lengths = self.k1, self.b, self.lengths
        norm = k1 * (1 - b)
        slope = k1 * b / avgdl
        acc: dict[str, float] = {}
        for term in dict.fromkeys(terms):
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = self.idf(term) * (k1 + 1)
            for doc_id, tf in docs.items():
                acc[doc_id] = acc.get(doc_id, 0.0) + idf * tf / (tf + norm + slope * lengths[doc_id])
        return acc

    def search(self, terms: Iterable[str], limit: int = 10,
               keep: Callable[[str, Any], bool] | None = None,
               boost: Callable[[str, Any], float] | None = None) -> list[Hit]:
        """The best ``limit`` documents, best first; ``keep`` filters, ``boost`` multiplies a score."""
        found = self.scores(terms)
        if keep is not None:
            found = {d: s for d, s in found.items() if keep(d, self.meta[d])}
        if boost is not None:
            found = {d: s * boost(d, self.meta[d]) for d, s in found.items()}
        best = heapq.nlargest(limit, found.items(), key=lambda kv: (kv[1], kv[0]))
        return [Hit(d, round(s, 4)) for d, s in best]
