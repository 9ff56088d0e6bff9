"""The word prefilter (``classification._split``) only skips rules that could not match.

It answers "none of this rule's words occurs" with substring tests before any regex runs;
a prefilter that skipped a rule that matches would change classifications silently. So every
labelled contact and every sample call is classified with it and with the regex path alone,
and the two must agree in full (kind, category, flags and the rules that fired).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kefu_intake.domain import classification

ROOT = Path(__file__).resolve().parents[3]


def _texts() -> list[str]:
    texts = []
    for path in (ROOT / "data/labelled_contacts.jsonl", ROOT / "tools/cli/src/kefu_cli/data/sample_calls.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                texts.append(d.get("text") or "\n".join(x for x in (d.get("subject"), d.get("body")) if x))
    return [t for t in texts if t]


def test_the_prefilter_changes_no_classification(monkeypatch: pytest.MonkeyPatch) -> None:
    tax = classification.default_taxonomy()
    texts = _texts() + ["WATER IS LEAKING from the ceiling", "Radiators not heating", "没有人管", "不是很满意"]
    assert len(texts) > 500
    prefiltered = [classification.classify(t, taxonomy=tax) for t in texts]
    everything = frozenset(classification._ALL_WORDS)
    monkeypatch.setattr(classification, "_present", lambda text: everything)  # every rule a candidate
    assert [classification.classify(t, taxonomy=tax) for t in texts] == prefiltered


def test_words_are_found_whatever_their_case_and_expressions_still_run() -> None:
    leak = classification._compile(["leak"], "t")
    words, expressions = classification._split(leak)
    assert words == {"leak"} and expressions is None
    assert classification._found(classification._Check.of(leak), "It was LEAKING all night", None)
    mixed = classification._compile(["漏水", "re:没(有)?人管"], "t")
    words, expressions = classification._split(mixed)
    assert words == {"漏水"} and expressions is not None and expressions.search("没人管")
    check = classification._Check.of(mixed)
    assert classification._found(check, "物业没有人管", None) and not classification._found(check, "一切正常", None)
