from datetime import datetime, timedelta, timezone

import pytest
from kefu_surveys.domain.pacing import HEADROOM, next_claim, paced_elsewhere, spacing

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
ONE = timedelta(seconds=1)


def simulate(total: int, rate: float, horizon: float, tick: float, lateness: float = 0.0) -> list[datetime]:
    """Run the pacer loop in simulated time: claim when due (publishing happens in the background at the slots)."""
    cursor, next_slot, now, sent = 0, None, T0, []
    while cursor < total:
        claim = next_claim(cursor, total, next_slot, now, rate, timedelta(seconds=horizon), timedelta(seconds=tick))
        if claim is not None:
            sent += [claim.slot(i) for i in range(claim.count)]
            cursor, next_slot = claim.start + claim.count, claim.next_slot
        now += timedelta(seconds=tick + lateness)
    return sent


def most_in_window(times: list[datetime], window: timedelta) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_slots_are_evenly_spaced_at_the_rate() -> None:
    assert spacing(1200) == timedelta(milliseconds=50.5), "the rate's spacing plus 1% headroom for jitter"
    claim = next_claim(0, 2000, None, T0, 1200, ONE, ONE)
    assert (claim.start, claim.count) == (0, 19)
    assert claim.first_slot == T0 + ONE / 2, "the first slot leaves the claimant time to store the batch"
    assert claim.slot(18) - claim.slot(0) == timedelta(milliseconds=18 * 50.5)
    assert claim.next_slot == claim.first_slot + 19 * spacing(1200)


@pytest.mark.parametrize(("rate", "tick", "lateness"), [(1200, 0.2, 0.0), (1200, 1.0, 0.05), (60, 0.3, 0.0)])
def test_no_ten_second_window_gets_more_than_the_rate_allows(rate, tick, lateness) -> None:
    sent = simulate(300, rate, 1.0, tick, lateness)
    assert len(sent) == 300 and len(set(sent)) == 300
    assert most_in_window(sent, timedelta(seconds=10)) <= rate / 6 + 1
    assert sent[-1] - sent[0] >= timedelta(seconds=(300 - 1) * 60 / rate)
    assert most_in_window(sent, timedelta(seconds=10)) <= rate / 6 / HEADROOM + 1, "headroom for a late publish"
    assert sent == sorted(sent), "slots never overlap"


def test_claims_wait_until_the_slots_claimed_so_far_run_out() -> None:
    assert next_claim(20, 100, T0 + timedelta(seconds=5), T0, 1200, ONE, ONE) is None
    claim = next_claim(20, 100, T0 + timedelta(milliseconds=800), T0, 1200, ONE, ONE)
    assert claim.first_slot == T0 + timedelta(milliseconds=800), "slots continue the sequence, no gap"


def test_a_guard_separates_consecutive_claims() -> None:
    guard = timedelta(milliseconds=250)
    claim = next_claim(20, 100, T0 + ONE, T0, 1200, ONE, ONE, guard)
    assert claim.first_slot == T0 + ONE + guard


def test_after_a_pause_or_a_restart_it_resumes_from_now_without_catching_up() -> None:
    claim = next_claim(40, 2000, T0, T0 + timedelta(minutes=10), 1200, ONE, ONE)
    assert claim.first_slot == T0 + timedelta(minutes=10) + ONE / 2 and claim.count == 19


def test_the_last_claim_takes_only_the_owners_left_and_then_none() -> None:
    assert next_claim(1995, 2000, None, T0, 1200, ONE, ONE).count == 5
    assert next_claim(2000, 2000, None, T0, 1200, ONE, ONE) is None
    assert next_claim(0, 5, None, T0, 1, ONE, ONE).count == 1, "a slow rate still claims one at a time"


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        spacing(0)


def test_one_instance_paces_a_campaign_until_its_slots_run_out() -> None:
    horizon, last_slot = timedelta(seconds=5), T0 + ONE
    assert paced_elsewhere("other", "me", last_slot, T0, horizon), "another instance's slots are still running"
    assert paced_elsewhere("other", "me", last_slot, last_slot + horizon - ONE, horizon)
    assert not paced_elsewhere("other", "me", last_slot, last_slot + horizon, horizon), "it stopped: take over"
    assert not paced_elsewhere("me", "me", last_slot, T0, horizon), "its own batch: carry on"
    assert not paced_elsewhere(None, "me", None, T0, horizon), "nobody claimed yet"
    assert not paced_elsewhere("other", "me", None, T0, horizon)
