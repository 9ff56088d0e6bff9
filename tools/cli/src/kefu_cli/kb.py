"""``kefu kb-report`` and ``kefu kb-bench``: the knowledge base's search quality and its speed.

Both run in-process on the knowledge service's own ranking code (``kefu_knowledge.domain``): no servers.

* ``kb-report``: top-1/top-3 hit rates of the labelled inquiries (``kefu_knowledge.evaluate``);
* ``kb-bench``: ``GET /search``'s ranking at N articles and cases (default 10,000): the starter
  articles plus synthetic documents made of their sentences and the case vocabulary, queried with the
  labelled inquiries; prints p50/p95/p99 of one search (segmentation of the query included).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timezone


def report_main(argv: list[str]) -> int:
    from kefu_knowledge.evaluate import main

    return main(argv)


def _synthetic(n: int, seed: int) -> tuple[list[dict], list[dict]]:
    from kefu_knowledge.evaluate import load_starter

    rng = random.Random(seed)
    starter = load_starter()
    sentences = [s for a in starter for s in a["answer"].replace("；", "。").split("。") if len(s) > 6]
    questions = [a["question"] for a in starter]
    categories = ["漏水", "地暖", "门窗", "电路", "下水", "外墙", "电梯", "物业费", "装修", "产权证"]
    departments = ["engineering", "property", "sales", "finance", "certificates"]
    articles, cases = [], []
    for i in range(n):
        body = "。".join(rng.sample(sentences, 4))
        if i % 2:
            articles.append({"_id": f"syn-a{i}", "question": rng.choice(questions) + f"（{i}）", "answer": body,
                             "tags": rng.sample(categories, 2), "projects": [], "status": "active", "version": 1})
        else:
            cases.append({"_id": f"syn-c{i}", "problem": rng.choice(questions) + rng.choice(sentences),
                          "resolution": body, "category": rng.choice(categories),
                          "department": rng.choice(departments), "status": "candidate", "version": 1})
    return articles, cases


def bench_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kefu kb-bench", description="search latency at N articles and cases")
    parser.add_argument("--docs", type=int, default=10_000, help="articles + cases in the index (default 10000)")
    parser.add_argument("--queries", type=int, default=2000, help="searches to time (default 2000)")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from kefu_knowledge.domain.articles import new_article
    from kefu_knowledge.domain.ranking import ARTICLE, CASE, Ranking
    from kefu_knowledge.evaluate import load_inquiries, load_starter

    ranking = Ranking()
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    for a in load_starter():
        ranking.apply(ARTICLE, new_article(a["id"], a, "seed", now))
    articles, cases = _synthetic(max(args.docs - len(ranking), 0), args.seed)
    for doc in articles:
        ranking.apply(ARTICLE, doc)
    for doc in cases:
        ranking.apply(CASE, doc)
    built = time.perf_counter() - started
    texts = [row["text"] for row in load_inquiries()]
    ranking.search(texts[0], args.limit)  # warm
    took = []
    for i in range(args.queries):
        text = texts[i % len(texts)]
        t0 = time.perf_counter()
        ranking.search(text, args.limit, department="engineering" if i % 3 == 0 else None)
        took.append((time.perf_counter() - t0) * 1000)
    took.sort()
    q = statistics.quantiles(took, n=100)
    print(f"kb-bench: {len(ranking)} documents ({len(ranking.index.postings)} terms) indexed in {built:.1f} s "
          f"(segmenting every document; a service start reads stored terms)")
    print(f"kb-bench: {len(took)} searches, limit {args.limit}: p50 {q[49]:.2f} ms  p95 {q[94]:.2f} ms  "
          f"p99 {q[98]:.2f} ms  max {took[-1]:.2f} ms")
    return 0
