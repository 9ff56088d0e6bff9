"""``make classify-report``: how well the taxonomy classifies a labelled set of contacts.

    python -m kefu_intake.evaluate data/labelled_contacts.jsonl [--split {all,dev,test}] [--errors]

Reports kind accuracy, per-kind precision and recall, category accuracy on
contacts whose gold category is set (and on every contact, a ``null`` gold
category included), and per-flag and overall precision/recall of the urgency
flags. Pure: reads the file, runs the rules, prints.

Split: the file is cut deterministically by line position. The rows whose
0-based line index in the file is a multiple of 5 are the held-out ``test``
split (64 of 320); the others are ``dev``. Tune the taxonomy by reading dev
errors only; report test figures, never tune on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .domain.classification import classify, default_taxonomy


@dataclass
class Report:
    total: int
    kind_correct: int
    per_kind: dict[str, tuple[float, float, int]]  # precision, recall, support
    category_total: int
    category_correct: int
    per_flag: dict[str, tuple[float, float, int]]
    errors: list[str]
    category_exact: int = 0  # contacts whose category (None included) equals the gold one
    flags_micro: tuple[float, float, int] = (1.0, 1.0, 0)  # precision, recall, gold flags

    @property
    def kind_accuracy(self) -> float:
        return self.kind_correct / self.total if self.total else 0.0

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.category_total if self.category_total else 0.0


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


SPLITS = ("all", "dev", "test")
TEST_EVERY = 5


def in_split(line_index: int, split: str) -> bool:
    """Whether the row on 0-based ``line_index`` belongs to ``split``: test is every fifth line (0, 5, 10...)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return split == "all" or (line_index % TEST_EVERY == 0) == (split == "test")


def load_rows(path: Path, split: str = "all") -> list[dict]:
    """The labelled rows of ``path`` in ``split`` (blank lines skipped, but they keep their line index)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for i, line in enumerate(lines) if line.strip() and in_split(i, split)]


def evaluate(rows: list[dict]) -> Report:
    tax = default_taxonomy()
    tp, fp, fn = Counter(), Counter(), Counter()
    ftp, ffp, ffn = Counter(), Counter(), Counter()
    correct = cat_total = cat_correct = cat_exact = 0
    errors = []
    for row in rows:
        text = "\n".join(p for p in (row.get("subject"), row["body"]) if p)
        got = classify(text)
        gold = row["kind"]
        if got.kind == gold:
            correct += 1
            tp[gold] += 1
        else:
            fp[got.kind] += 1
            fn[gold] += 1
            errors.append(f"kind {gold} -> {got.kind} {list(got.rules)}: {text[:90]!r}")
        if got.category == (row.get("category") or None):
            cat_exact += 1
        elif not row.get("category"):
            errors.append(f"category None -> {got.category}: {text[:90]!r}")
        if row.get("category"):
            cat_total += 1
            if got.category == row["category"]:
                cat_correct += 1
            else:
                errors.append(f"category {row['category']} -> {got.category}: {text[:90]!r}")
        gold_flags, got_flags = set(row.get("urgent") or []), set(got.urgent_flags)
        for f in tax.flags:
            if f in gold_flags and f in got_flags:
                ftp[f] += 1
            elif f in got_flags:
                ffp[f] += 1
                errors.append(f"flag +{f}: {text[:90]!r}")
            elif f in gold_flags:
                ffn[f] += 1
                errors.append(f"flag -{f}: {text[:90]!r}")
    per_kind = {k: (*_pr(tp[k], fp[k], fn[k]), tp[k] + fn[k]) for k in tax.priority}
    per_flag = {f: (*_pr(ftp[f], ffp[f], ffn[f]), ftp[f] + ffn[f]) for f in tax.flags}
    tp_all, fp_all, fn_all = sum(ftp.values()), sum(ffp.values()), sum(ffn.values())
    micro = (*_pr(tp_all, fp_all, fn_all), tp_all + fn_all)
    return Report(len(rows), correct, per_kind, cat_total, cat_correct, per_flag, errors, cat_exact, micro)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kefu_intake.evaluate")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="which rows to evaluate: test = 0-based line index %% 5 == 0 (held out), dev = the rest, all = both",
    )
    p.add_argument("--errors", action="store_true", help="list every misclassification")
    args = p.parse_args(argv)
    n_all = len(load_rows(args.file))
    rows = load_rows(args.file, args.split)
    r = evaluate(rows)
    print(f"taxonomy {default_taxonomy().version}; split {args.split}: {r.total} of {n_all} labelled contacts from {args.file}")
    print(f"kind accuracy: {r.kind_accuracy:.1%} ({r.kind_correct}/{r.total})")
    print(f"{'kind':<12}{'precision':>10}{'recall':>10}{'support':>9}")
    for kind, (prec, rec, n) in r.per_kind.items():
        print(f"{kind:<12}{prec:>10.1%}{rec:>10.1%}{n:>9}")
    print(f"category accuracy (where labelled): {r.category_accuracy:.1%} ({r.category_correct}/{r.category_total})")
    exact = r.category_exact / r.total if r.total else 0.0
    print(f"category exact on all contacts (null included): {exact:.1%} ({r.category_exact}/{r.total})")
    print(f"{'flag':<20}{'precision':>10}{'recall':>10}{'support':>9}")
    for flag, (prec, rec, n) in r.per_flag.items():
        print(f"{flag:<20}{prec:>10.1%}{rec:>10.1%}{n:>9}")
    prec, rec, n = r.flags_micro
    print(f"{'all flags (micro)':<20}{prec:>10.1%}{rec:>10.1%}{n:>9}")
    if args.errors:
        print("\n".join(r.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
