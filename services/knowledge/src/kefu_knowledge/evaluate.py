"""``make kb-report``: how often search finds the article that answers an owner's inquiry.

The labelled set (``data/inquiries.jsonl``: an inquiry's text → the article ids that answer it) is
split once, with a fixed seed, into a train part (word lists were tuned looking at it only) and a
held-out part (never looked at while tuning): the held-out figures say how search does on inquiries
nobody tuned for. An inquiry counts as a hit at k when one of its articles is among the first k
results. Runs in-process on the starter articles with the service's own ranking code; no servers.

The last line printed is one JSON object: ``inquiries``, ``articles`` and ``top3_hit_rate`` (held-out).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from .domain.articles import new_article
from .domain.ranking import ARTICLE, Ranking

SEED = 10
TRAIN_SHARE = 0.7


def load_inquiries() -> list[dict[str, Any]]:
    text = resources.files("kefu_knowledge").joinpath("data", "inquiries.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_starter() -> list[dict[str, Any]]:
    text = resources.files("kefu_knowledge").joinpath("data", "articles.json").read_text(encoding="utf-8")
    return json.loads(text)


def split(rows: list[dict[str, Any]], seed: int = SEED, share: float = TRAIN_SHARE) -> tuple[list, list]:
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    cut = round(len(rows) * share)
    return [rows[i] for i in sorted(order[:cut])], [rows[i] for i in sorted(order[cut:])]


def ranking_of(articles: list[dict[str, Any]]) -> Ranking:
    ranking = Ranking()
    now = datetime.now(timezone.utc)
    for a in articles:
        ranking.apply(ARTICLE, new_article(a["id"], a, "seed", now))
    return ranking


def score(ranking: Ranking, rows: list[dict[str, Any]]) -> dict[str, Any]:
    top1 = top3 = 0
    misses = []
    for row in rows:
        found = [f.id for f in ranking.search(row["text"], limit=3, types=(ARTICLE,))]
        wanted = set(row["articles"])
        top1 += bool(found[:1] and found[0] in wanted)
        hit3 = bool(wanted & set(found))
        top3 += hit3
        if not hit3:
            misses.append({"text": row["text"], "want": row["articles"], "got": found})
    n = len(rows) or 1
    return {"n": len(rows), "top1": round(top1 / n, 4), "top3": round(top3 / n, 4), "misses": misses}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kefu kb-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-misses", choices=("none", "train", "all"), default="train",
                        help="list the inquiries missed at top-3 (held-out misses only with 'all': "
                             "looking at them while tuning would spoil the held-out figure)")
    args = parser.parse_args(argv)
    rows, articles = load_inquiries(), load_starter()
    train, held_out = split(rows)
    ranking = ranking_of(articles)
    results = {"train": score(ranking, train), "held_out": score(ranking, held_out)}
    print(f"kb-report: {len(rows)} labelled inquiries ({len(train)} train / {len(held_out)} held-out, seed {SEED}), "
          f"{len(articles)} articles")
    for name, r in results.items():
        print(f"  {name:9} n={r['n']:3}  top-1 {r['top1']:.1%}  top-3 {r['top3']:.1%}")
    for name, r in results.items():
        if args.show_misses == "all" or (args.show_misses == "train" and name == "train"):
            for m in r["misses"]:
                print(f"  miss ({name}): {m['text']}  want {m['want']}  got {m['got']}")
    held = results["held_out"]
    print(json.dumps({"inquiries": len(rows), "articles": len(articles), "top3_hit_rate": held["top3"],
                      "top1_hit_rate": held["top1"], "held_out": held["n"], "train": len(train),
                      "train_top3_hit_rate": results["train"]["top3"], "seed": SEED}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
