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
        self._generation = 0  # bumped by every change: cached weights are of one generation
        self._cached_for = -1
        self._cache: dict[str, list[tuple[str, float]]] = {}

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
        self._generation += 1

    def remove(self, doc_id: str) -> None:
        length = self.lengths.pop(doc_id, None)
        if length is None:
            return
        self._total -= length
        self._generation += 1
        self.meta.pop(doc_id, None)
        for term in self._terms.pop(doc_id, ()):
            docs = self.postings[term]
            docs.pop(doc_id, None)
            if not docs:
                del self.postings[term]

    def idf(self, term: str) -> float:
        n = len(self.postings.get(term, ()))
        return math.log(1 + (len(self.lengths) - n + 0.5) / (n + 0.5))

    def _weights(self, term: str) -> list[tuple[str, float]]:
        """``idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avgdl))`` of each document holding ``term``.

        Kept until the next change of the index (any change moves avgdl and the idf): between changes,
        a query costs one addition per posting, not the formula.
        """
        if self._generation != self._cached_for:
            self._cache.clear()
            self._cached_for = self._generation
        found = self._cache.get(term)
        if found is None:
            docs = self.postings.get(term) or {}
            avgdl = (self._total / len(self.lengths)) if self.lengths else 1.0
            k1, b, lengths = self.k1, self.b, self.lengths
            norm, slope = k1 * (1 - b), k1 * b / (avgdl or 1.0)
            idf = self.idf(term) * (k1 + 1)
            found = [(d, idf * tf / (tf + norm + slope * lengths[d])) for d, tf in docs.items()]
            self._cache[term] = found
        return found

    def scores(self, terms: Iterable[str]) -> dict[str, float]:
        """Each matching document's BM25 score for the query ``terms`` (a repeated query term counts once)."""
        acc: dict[str, float] = {}
        get = acc.get
        for term in dict.fromkeys(terms):
            for doc_id, w in self._weights(term):
                acc[doc_id] = get(doc_id, 0.0) + w
        return acc

    def search(self, terms: Iterable[str], limit: int = 10,
               keep: Callable[[str, Any], bool] | None = None,
               boost: Callable[[str, Any], float] | None = None, max_boost: float = 1.0) -> list[Hit]:
        """The best ``limit`` documents, best first; ``keep`` filters, ``boost`` multiplies a score (at most
        ``max_boost``).

        Filters and boosts run on the best raw scores only, widening the look while what lies beyond could
        still make the list: a broad query matches thousands of documents, and a Python call per match
        would cost more than the scoring.
        """
        found = self.scores(terms)
        if not found:
            return []
        if keep is None and boost is None:
            best = sorted(((found[d], d) for d in heapq.nlargest(limit, found, key=found.__getitem__)), reverse=True)
            return [Hit(d, round(s, 4)) for s, d in best]
        look = max(limit * 4, 32)
        while True:
            window = [(d, found[d]) for d in heapq.nlargest(look, found, key=found.__getitem__)]
            chosen = []
            for d, s in window:
                meta = self.meta[d]
                if keep is not None and not keep(d, meta):
                    continue
                chosen.append((d, s * boost(d, meta) if boost is not None else s))
            chosen.sort(key=lambda kv: (kv[1], kv[0]), reverse=True)
            chosen = chosen[:limit]
            exhausted = len(window) == len(found)
            beyond = window[-1][1] * max(max_boost, 1.0)  # the best any document outside the window could do
            if exhausted or (len(chosen) == limit and chosen[-1][1] >= beyond):
                return [Hit(d, round(s, 4)) for d, s in chosen]
            look *= 4
