"""Chinese text to search terms: jieba's search-mode cut, a user dictionary of the center's words, synonyms.

Why a dictionary: jieba's general dictionary splits the center's words (产权证, 维修基金, 城投会) into
pieces that also occur in unrelated text; kept whole they are rare, so BM25 weighs them as they deserve.
Why synonyms: owners and articles name one thing many ways (房产证/房本/不动产权证, 漏水/渗水); every
variant is mapped to one canonical term, in articles and in queries alike, so they match.
Why stop words: particles and pronouns (的, 了, 吗, 我) occur everywhere and only add noise and time.

A ``Segmenter`` has its own ``jieba.Tokenizer`` (no global state); its ``version`` is a hash of the
dictionary, synonyms and stop words, stored with each document's terms so an instance with other word
lists recomputes them rather than mixing two segmentations in one index.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]")  # a term holds at least one letter, digit or CJK character


def _data(name: str) -> str:
    return resources.files("kefu_knowledge").joinpath("data", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class WordLists:
    """The user dictionary (one word a line), synonyms (canonical → variants) and stop words."""

    words: tuple[str, ...]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()

    @classmethod
    def default(cls) -> "WordLists":
        return cls.parse(_data("userdict.txt"), _data("synonyms.toml"), _data("stopwords.txt"))

    @classmethod
    def parse(cls, userdict: str, synonyms_toml: str, stopwords: str) -> "WordLists":
        words = tuple(w.split()[0] for w in userdict.splitlines() if w.strip() and not w.startswith("#"))
        syn = {k: tuple(v) for k, v in tomllib.loads(synonyms_toml).get("synonyms", {}).items()}
        stops = frozenset(w.strip() for w in stopwords.splitlines() if w.strip() and not w.startswith("#"))
        return cls(words, syn, stops)

    @property
    def version(self) -> str:
        text = "\n".join([*self.words, "#", *(f"{k}={','.join(v)}" for k, v in sorted(self.synonyms.items())),
                          "#", *sorted(self.stopwords)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Segmenter:
    """Text → terms (``terms``) and term counts (``counts``), the same for documents and queries."""

    def __init__(self, lists: WordLists | None = None) -> None:
        self.lists = lists or WordLists.default()
        self.version = self.lists.version
        self._tok = jieba.Tokenizer()
        cache = Path("/tmp") / f"kefu-knowledge-jieba-{self.version}.cache"
        self._tok.cache_file = str(cache)
        for word in self.lists.words:
            self._tok.add_word(word, freq=2000)
        for canonical, variants in self.lists.synonyms.items():
            for w in (canonical, *variants):
                if len(w) > 1:
                    self._tok.add_word(w, freq=2000)
        self._canonical = {v: k for k, vs in self.lists.synonyms.items() for v in vs}

    def terms(self, text: str) -> list[str]:
        out = []
        for raw in self._tok.cut_for_search(text.lower()):
            t = raw.strip()
            if not t or t in self.lists.stopwords or not _WORD.search(t):
                continue
            out.append(self._canonical.get(t, t))
        return out

    def counts(self, text: str) -> Counter[str]:
        return Counter(self.terms(text))


def weighted_counts(seg: Segmenter, fields: list[tuple[str, int]]) -> dict[str, int]:
    """Term counts of several fields, each counted ``weight`` times (a question's words weigh more)."""
    total: Counter[str] = Counter()
    for text, weight in fields:
        for term, n in seg.counts(text or "").items():
            total[term] += n * weight
    return dict(total)
