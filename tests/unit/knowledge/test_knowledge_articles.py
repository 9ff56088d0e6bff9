"""Articles and their versions: an edit is the next version, the seed never overwrites a person's edit."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from kefu_knowledge.domain.articles import (
    NoChange,
    content_hash,
    edited,
    new_article,
    seed_update,
    snapshot,
)

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
SEED = {"question": "保修期从什么时候算？", "answer": "从交付之日起算。", "tags": ["保修"]}


def test_an_edit_makes_the_next_version_and_leaves_the_old_one_whole() -> None:
    v1 = new_article("warranty-start", SEED, "supervisor", T0)
    v2 = edited(v1, {"answer": "从交付之日（交房）起算。", "tags": ["保修", "交付"]}, "supervisor", T0)
    assert (v1["version"], v2["version"]) == (1, 2)
    assert v1["answer"] == "从交付之日起算。" and v2["answer"] == "从交付之日（交房）起算。"
    assert v2["hash"] != v1["hash"] and v2["question"] == v1["question"]
    assert snapshot(v1)["_id"] == "warranty-start@1" and snapshot(v2)["_id"] == "warranty-start@2"
    assert snapshot(v1)["answer"] == "从交付之日起算。"


def test_an_edit_that_changes_nothing_makes_no_version() -> None:
    v1 = new_article("a", SEED, "supervisor", T0)
    with pytest.raises(NoChange):
        edited(v1, {"answer": SEED["answer"], "tags": ["保修"]}, "supervisor", T0)
    retired = edited(v1, {}, "supervisor", T0, status="retired")
    assert retired["status"] == "retired" and retired["version"] == 2


def test_the_content_hash_ignores_order_of_tags_and_keys() -> None:
    assert content_hash({"question": "q", "answer": "a", "tags": ["x", "y"]}) == \
        content_hash({"tags": ["y", "x"], "answer": "a", "question": "q", "projects": []})


def test_a_newer_seed_updates_only_what_nobody_but_the_seed_edited() -> None:
    seeded = new_article("a", SEED, "seed", T0, seed_hash=content_hash(SEED))
    assert seed_update(seeded, SEED, content_hash(SEED), T0) is None, "same seed: nothing to do"
    newer = {**SEED, "answer": "自交付之日起算，以交付通知书的日期为准。"}
    updated = seed_update(seeded, newer, content_hash(newer), T0)
    assert updated["version"] == 2 and updated["answer"] == newer["answer"]
    assert updated["seed_hash"] == content_hash(newer)
    by_person = edited(seeded, {"answer": "主管的答案"}, "supervisor", T0)
    assert seed_update(by_person, newer, content_hash(newer), T0) is None
