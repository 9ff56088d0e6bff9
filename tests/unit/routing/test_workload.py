from typing import Any

import pytest
from kefu_routing.domain.assignment import default_rules
from kefu_routing.domain.workload import choose_assignee, default_roster, parse_roster

ROSTER = ["eng-01", "eng-02", "eng-03", "eng-04"]


def test_fewest_open_cases_wins() -> None:
    assert choose_assignee(ROSTER, {"eng-01": 3, "eng-02": 1, "eng-03": 2, "eng-04": 2}, None) == "eng-02"
    assert choose_assignee(ROSTER, {"eng-01": 3, "eng-02": 1, "eng-03": 2, "eng-04": 2}, "eng-01") == "eng-02"


def test_someone_missing_from_the_counts_has_no_open_cases() -> None:
    assert choose_assignee(ROSTER, {"eng-01": 1, "eng-02": 1, "eng-04": 1}, "eng-01") == "eng-03"


@pytest.mark.parametrize(
    ("last", "chosen"),
    [
        (None, "eng-01"),  # from the top
        ("eng-01", "eng-02"),
        ("eng-02", "eng-03"),
        ("eng-04", "eng-01"),  # wraps round
        ("eng-99", "eng-01"),  # has left the roster: from the top
    ],
)
def test_ties_go_round_robin(last: str | None, chosen: str) -> None:
    assert choose_assignee(ROSTER, {}, last) == chosen


def test_round_robin_skips_those_not_tied() -> None:
    counts = {"eng-01": 0, "eng-02": 5, "eng-03": 5, "eng-04": 0}
    assert choose_assignee(ROSTER, counts, "eng-01") == "eng-04"
    assert choose_assignee(ROSTER, counts, "eng-04") == "eng-01"  # wraps past the end
    assert choose_assignee(ROSTER, counts, "eng-02") == "eng-04"  # last was not among the tied


def test_the_last_assignee_gets_it_again_when_alone_with_the_fewest() -> None:
    assert choose_assignee(ROSTER, {"eng-01": 2, "eng-02": 2, "eng-03": 1, "eng-04": 2}, "eng-03") == "eng-03"


def test_round_robin_over_many_cases_is_even() -> None:
    counts = dict.fromkeys(ROSTER, 0)
    last = None
    for _ in range(8):
        last = choose_assignee(ROSTER, counts, last)
        counts[last] += 1
    assert counts == dict.fromkeys(ROSTER, 2)


def test_an_empty_or_repeating_roster_is_refused() -> None:
    with pytest.raises(ValueError, match="roster is empty"):
        choose_assignee([], {}, None)
    with pytest.raises(ValueError, match="each person once"):
        choose_assignee(["eng-01", "eng-01"], {}, None)


def test_shipped_roster_has_every_department() -> None:
    roster = default_roster()
    assert set(roster) == set(default_rules().departments) == {
        "engineering", "property", "sales", "title_certificates", "finance", "customer_service"
    }
    assert all(3 <= len(people) <= 4 for people in roster.values())
    assert roster["engineering"][0] == "eng-01"
    roster["engineering"] = ()
    assert default_roster()["engineering"]  # a copy each time


DEPARTMENTS = ["engineering", "finance"]


@pytest.mark.parametrize(
    ("rosters", "message"),
    [
        ({"engineering": ["eng-01"]}, r"without a roster: \['finance'\]"),
        ({"engineering": ["eng-01"], "finance": ["fin-01"], "spa": ["spa-01"]}, r"unknown departments \['spa'\]"),
        ({"engineering": [], "finance": ["fin-01"]}, "non-empty list"),
        ({"engineering": "eng-01", "finance": ["fin-01"]}, "non-empty list"),
        ({"engineering": ["eng-01", ""], "finance": ["fin-01"]}, "non-empty list"),
        ({"engineering": ["eng-01"], "finance": ["eng-01"]}, "eng-01 is on the roster twice"),
        ({"engineering": ["eng-01", "eng-01"], "finance": ["fin-01"]}, "eng-01 is on the roster twice"),
    ],
)
def test_parse_roster_refuses(rosters: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_roster({"departments": rosters}, DEPARTMENTS)


def test_a_recount_waits_longer_the_longer_the_last_one_took() -> None:
    from datetime import datetime, timedelta, timezone

    from kefu_routing.context import RECOUNT_SHARE, Workload

    w, t0, refresh = Workload(), datetime(2026, 12, 1, tzinfo=timezone.utc), timedelta(seconds=30)
    assert w.stale("engineering", t0, refresh)
    w.counted_at["engineering"], w.cost_s["engineering"] = t0, 0.01  # cheap: the fixed interval rules
    assert not w.stale("engineering", t0 + timedelta(seconds=29), refresh)
    assert w.stale("engineering", t0 + timedelta(seconds=31), refresh)
    w.cost_s["engineering"] = 2.0  # a big backlog: at most 1/RECOUNT_SHARE of the time on recounts
    assert not w.stale("engineering", t0 + timedelta(seconds=2.0 * RECOUNT_SHARE - 1), refresh)
    assert w.stale("engineering", t0 + timedelta(seconds=2.0 * RECOUNT_SHARE + 1), refresh)


async def test_cases_decided_at_once_recount_a_department_once() -> None:
    import asyncio
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    from kefu_routing.context import Routing, Workload

    recounts = []

    class Cases:
        async def open_counts(self, department: str) -> dict[str, int]:
            recounts.append(department)
            await asyncio.sleep(0.01)
            return {}

    r = SimpleNamespace(workload=Workload(), workload_refresh=timedelta(seconds=30), cases=Cases())
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    chosen = await asyncio.gather(*(Routing.assignee_for(r, "engineering", now) for _ in range(20)))
    assert recounts == ["engineering"]
    assert len(chosen) == 20 and all(chosen)
