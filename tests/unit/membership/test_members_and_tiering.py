from datetime import datetime, timezone

from kefu_contracts import MemberTierChanged
from kefu_membership.context import Cause
from kefu_membership.domain.members import Member, Property, member_id_for
from kefu_membership.domain.tiers import default_tier_table
from kefu_membership.standing import retier

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
CAUSE = Cause("survey-answered-1", "call-1")


def member(**overrides):
    doc = {"_id": "M1", "customer_id": "C1", "properties": [{"project": "滨江花园"}], "source": "application",
           "joined_at": NOW,
           "tier": "regular", "vip": False, "points": 0, "points_seen": 0, "tier_history": [], "rev": 4}
    return Member.from_doc({**doc, **overrides})


def test_member_numbers_are_derived_from_the_customer():
    assert member_id_for("C-001") == member_id_for("C-001")
    assert member_id_for("C-001") != member_id_for("C-002")
    assert member_id_for("C-001").startswith("M") and len(member_id_for("C-001")) == 13


def test_a_unit_is_added_once_however_it_is_written():
    m = member(properties=[{"project": "滨江花园", "building": "3幢", "unit": "0301"}])
    assert not m.add_property(Property(project=" 滨江花园", building="3幢 ", unit="0301"))
    assert m.add_property(Property(project="滨江花园", building="3幢", unit="0302"))
    assert len(m.properties) == 2


def test_enough_points_raise_the_tier_and_announce_it_with_vip():
    m = member()
    [event] = retier(m, default_tier_table(), (5000, 3), CAUSE, NOW)
    assert isinstance(event, MemberTierChanged)
    assert (event.tier, event.previous_tier, event.vip, event.member_id) == ("gold", "regular", True, "M1")
    assert event.causation_id == CAUSE.event_id and event.correlation_id == CAUSE.correlation_id
    assert m.tier == "gold" and m.vip and m.points == 5000 and m.points_seen == 3
    again = retier(member(), default_tier_table(), (5000, 3), CAUSE, NOW)
    assert again[0].event_id == event.event_id, "the same revision of the same member: the same event id"


def test_no_change_no_event():
    m = member(points=100, points_seen=2)
    assert retier(m, default_tier_table(), (150, 3), CAUSE, NOW) == []
    assert m.points == 150


def test_an_older_ledger_reading_is_ignored():
    m = member(tier="gold", vip=True, points=5000, points_seen=5)
    assert retier(m, default_tier_table(), (100, 4), CAUSE, NOW) == []  # read before the 5th entry
    assert (m.tier, m.points, m.points_seen) == ("gold", 5000, 5)


def test_redeeming_or_expiring_points_can_lower_the_tier():
    m = member(tier="gold", vip=True, points=5000, points_seen=5)
    [event] = retier(m, default_tier_table(), (4000, 6), CAUSE, NOW)
    assert (event.tier, event.previous_tier, event.vip) == ("silver", "gold", False)
