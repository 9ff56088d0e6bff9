"""``kefu kb-report`` and ``kefu kb-bench``: the knowledge base's search quality and its speed.

Both run in-process on the knowledge service's own ranking code (``kefu_knowledge.domain``): no servers;
``kb-bench --url`` instead fills a running service through its API and times ``GET /search`` over HTTP.

* ``kb-report``: top-1/top-3 hit rates of the labelled inquiries (``kefu_knowledge.evaluate``);
* ``kb-bench``: ``GET /search``'s ranking at N articles and cases (default 10,000): the starter
  articles plus synthetic documents made of their sentences and the case vocabulary, queried with the
  labelled inquiries; prints p50/p95/p99 of one search (segmentation of the query included).
"""

from __future__ import annotations

import argparse
import sys
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


def _bench_http(args: argparse.Namespace) -> int:
    """The same searches, end to end: HTTP, auth, the service's index as it refreshes from its store."""
    import asyncio
    import os

    import httpx

    from kefu_knowledge.evaluate import load_inquiries

    token = os.environ.get("KEFU_TOKEN")
    if not token:
        print("kb-bench: --url needs KEFU_TOKEN, an aftersales_supervisor token", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {token}"}

    async def run() -> int:
        async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=60) as client:
            articles, _ = _synthetic(2 * args.docs, args.seed)  # every other synthetic document is an article
            articles = articles[: args.docs]
            started, sem, done = time.perf_counter(), asyncio.Semaphore(16), 0

            async def post(doc: dict) -> None:
                nonlocal done
                body = {"id": doc["_id"].replace("syn-a", "syn-"), "question": doc["question"],
                        "answer": doc["answer"], "tags": doc["tags"]}
                async with sem:
                    reply = await client.post("/articles", json=body)
                if reply.status_code not in (201, 409):
                    raise SystemExit(f"kb-bench: POST /articles answered {reply.status_code}: {reply.text[:200]}")
                done += 1
                if done % 1000 == 0:
                    print(f"kb-bench: {done}/{len(articles)} articles stored", file=sys.stderr)

            await asyncio.gather(*(post(d) for d in articles))
            print(f"kb-bench: {len(articles)} articles stored through the API in "
                  f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
            texts = [row["text"] for row in load_inquiries()]
            deadline = time.monotonic() + 120  # until the service's index holds them (it refreshes every second)
            while time.monotonic() < deadline:
                hits = (await client.get("/search", params={"q": articles[-1]["question"], "limit": 1})).json()
                if hits.get("hits") and hits["hits"][0]["id"] == articles[-1]["_id"].replace("syn-a", "syn-"):
                    break
                await asyncio.sleep(1)
            took = []
            for i in range(args.queries):
                t0 = time.perf_counter()
                reply = await client.get("/search", params={"q": texts[i % len(texts)], "limit": args.limit})
                took.append((time.perf_counter() - t0) * 1000)
                reply.raise_for_status()
            took.sort()
            q = statistics.quantiles(took, n=100)
            print(f"kb-bench: {len(took)} searches over HTTP at {args.url}, limit {args.limit}: p50 {q[49]:.2f} ms  "
                  f"p95 {q[94]:.2f} ms  p99 {q[98]:.2f} ms  max {took[-1]:.2f} ms")
        return 0

    return asyncio.run(run())


def bench_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kefu kb-bench", description="search latency at N articles and cases")
    parser.add_argument("--docs", type=int, default=10_000, help="articles + cases in the index (default 10000)")
    parser.add_argument("--queries", type=int, default=2000, help="searches to time (default 2000)")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a running knowledge service: fill it through its API (as the supervisor, "
                        "KEFU_TOKEN) to --docs articles, then time GET /search over HTTP")
    args = parser.parse_args(argv)
    if args.url:
        return _bench_http(args)

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
