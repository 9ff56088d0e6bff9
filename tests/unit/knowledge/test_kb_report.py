"""``make kb-report``: the labelled set is big enough, splits the same way every run, and search answers it."""

from __future__ import annotations

import json

from kefu_knowledge.evaluate import load_inquiries, load_starter, main, split


def test_the_labelled_set_names_only_starter_articles_and_splits_reproducibly() -> None:
    rows = load_inquiries()
    ids = {a["id"] for a in load_starter()}
    assert len(rows) >= 150 and 30 <= len(ids) <= 60
    assert all(row["articles"] and set(row["articles"]) <= ids for row in rows)
    assert len({row["text"] for row in rows}) == len(rows), "no inquiry twice"
    train, held_out = split(rows)
    assert (train, held_out) == split(rows) and not {r["text"] for r in train} & {r["text"] for r in held_out}
    assert len(held_out) == round(len(rows) * 0.3)


def test_the_last_line_is_the_json_summary_and_held_out_top3_reaches_the_target(capsys) -> None:
    assert main(["--show-misses", "none"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert summary["inquiries"] >= 150 and summary["articles"] == len(load_starter())
    assert summary["top3_hit_rate"] >= 0.9, summary
