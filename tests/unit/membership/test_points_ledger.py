from datetime import datetime, timedelta, timezone

import pytest
from kefu_membership.domain.points import (
    CLUB_TZ,
    Entry,
    NotEnoughPoints,
    add_months,
    balance,
    default_earn_rules,
    expiring,
    expiry_period,
    parse_earn_rules,
    require_debit,
)

UTC = timezone.utc


def at(y, m, d, h=0) -> datetime:
    return datetime(y, m, d, h, tzinfo=CLUB_TZ)


def test_balance_is_the_sum_of_credits_and_debits():
    assert balance([]) == 0
    assert balance([Entry(100, at(2026, 1, 1)), Entry(50, at(2026, 2, 1)), Entry(-120, at(2026, 3, 1))]) == 30


def test_a_debit_cannot_exceed_the_balance():
    entries = [Entry(100, at(2026, 1, 1)), Entry(-30, at(2026, 2, 1))]
    require_debit(entries, 70)
    with pytest.raises(NotEnoughPoints, match="balance is 70"):
        require_debit(entries, 71)
    with pytest.raises(ValueError):
        require_debit(entries, 0)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(at(2024, 1, 31), 1) == at(2024, 2, 29)
    assert add_months(at(2026, 3, 1), -24) == at(2024, 3, 1)
    assert add_months(at(2026, 12, 15), 1) == at(2027, 1, 15)


def test_the_expiry_period_is_the_month_in_beijing_time():
    key, start = expiry_period(datetime(2026, 11, 30, 17, tzinfo=UTC))  # 01:00 on 1 Dec in Beijing
    assert key == "2026-12" and start == at(2026, 12, 1)
    key, start = expiry_period(datetime(2026, 11, 30, 15, 59, tzinfo=UTC))
    assert key == "2026-11" and start == at(2026, 11, 1)


def test_credits_expire_once_their_months_are_up_boundary_included():
    period_start = at(2026, 12, 1)
    on_boundary = Entry(100, at(2024, 12, 1))
    just_after = Entry(40, at(2024, 12, 1) + timedelta(seconds=1))
    assert expiring([on_boundary], period_start, 24) == 100
    assert expiring([just_after], period_start, 24) == 0
    assert expiring([on_boundary, just_after], period_start, 24) == 100


def test_expiry_is_fifo_debits_spend_the_oldest_points_first():
    old = [Entry(100, at(2024, 1, 10)), Entry(200, at(2024, 6, 10))]
    recent = [Entry(500, at(2026, 5, 1))]
    redeemed = [Entry(-250, at(2026, 6, 1))]
    # the 250 redeemed came from the 300 old points: 50 of them are left to expire
    assert expiring(old + recent + redeemed, at(2026, 12, 1), 24) == 50
    # redeeming more than the old points spends none of them twice
    assert expiring(old + recent + [Entry(-400, at(2026, 6, 1))], at(2026, 12, 1), 24) == 0


def test_an_expiry_entry_counts_as_spent_so_the_next_period_expires_only_what_is_newly_due():
    entries = [Entry(100, at(2024, 1, 10)), Entry(60, at(2024, 2, 10)), Entry(500, at(2026, 1, 1))]
    first = expiring(entries, at(2026, 2, 1), 24)
    assert first == 100
    entries.append(Entry(-first, at(2026, 2, 1)))
    assert expiring(entries, at(2026, 2, 1), 24) == 0, "running the same period again expires nothing more"
    assert expiring(entries, at(2026, 3, 1), 24) == 60
    assert balance(entries) - expiring(entries, at(2026, 3, 1), 24) == 500


def test_earn_rules_are_data():
    rules = default_earn_rules()
    assert rules.expiry_months == 24
    assert rules.for_survey("periodic_satisfaction") == 80
    assert rules.for_survey("some_new_kind") == rules.survey["default"]
    with pytest.raises(ValueError, match="default"):
        parse_earn_rules({"expiry_months": 24, "earn": {"event_checkin": 1, "referral": 1, "survey": {"x": 1}}})
    with pytest.raises(ValueError, match="referral"):
        parse_earn_rules({"expiry_months": 24, "earn": {"event_checkin": 1, "survey": {"default": 1}}})
    with pytest.raises(ValueError, match=">= 0"):
        parse_earn_rules({"expiry_months": 24, "earn": {"event_checkin": -5, "referral": 1,
                                                        "survey": {"default": 1}}})
