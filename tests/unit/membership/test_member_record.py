"""The member as a typed record: stored documents round-trip exactly, and the member decisions on it.

Joining (``joining.newcomer``), adding units (``joining.with_units``), standing and tiers
(``Member.standing``, ``standing.retier``), on in-memory members; and the member store's boundary
(documents in the store, ``Member`` in the use cases) over an in-memory aggregate store.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date, datetime, timezone
from typing import Any

import pytest
from kefu_contracts import Contact, MemberJoined, MemberTierChanged, PropertyHandedOver
from kefu_kit.aggregates import Change, NotFound
from pydantic import ValidationError

from kefu_membership.adapters.store import Changed, MemberStore
from kefu_membership.context import Cause
from kefu_membership.domain.members import Member, MemberContact, Property, TierStep, member_id_for
from kefu_membership.domain.tiers import default_tier_table
from kefu_membership.joining import newcomer, unit_of, with_units
from kefu_membership.standing import retier

T0 = datetime(2023, 5, 4, 1, 2, 3, 456000, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
CAUSE = Cause("handover-9", "contract-9")
TIERS = default_tier_table()

# As the service stores them (joining.join, then changes): an application with units whose building
# and unit were not given (stored as None), and a handover member who moved up a tier since.
APPLIED: dict[str, Any] = {
    "_id": "M0A1B2C3D4E5F", "customer_id": "C-100", "contact": {"name": "王先生", "phone": "13800002222"},
    "properties": [{"project": "滨江花园", "building": None, "unit": None},
                   {"project": "滨江花园", "building": "3幢", "unit": "0301"}],
    "source": "application", "joined_at": T0, "tier": "silver", "vip": False, "points": 0, "points_seen": 0,
    "tier_history": [{"at": T0, "tier": "silver", "previous": "regular", "cause": "application-C-100"}], "rev": 1,
}
HANDED_OVER: dict[str, Any] = {
    "_id": "M9F8E7D6C5B4A", "customer_id": "C-200",
    "contact": {"name": "李女士", "phone": "13900001111", "email": "li@example.com", "wechat_openid": "oWx1"},
    "properties": [{"project": "江南府", "building": "2", "unit": "1801", "handover_date": "2025-06-30"}],
    "source": "handover", "joined_at": T0, "tier": "gold", "vip": True, "points": 5300, "points_seen": 7,
    "tier_history": [
        {"at": T0, "tier": "silver", "previous": "regular", "cause": "sv-1"},
        {"at": datetime(2024, 1, 2, tzinfo=timezone.utc), "tier": "gold", "previous": "silver", "cause": "sv-2"},
    ],
    "rev": 12,
}
# What this version does not know: a later version's fields, at the top and inside the parts.
FROM_A_NEWER_VERSION: dict[str, Any] = {
    **HANDED_OVER,
    "contact": {**HANDED_OVER["contact"], "preferred_time": "evenings"},
    "properties": [{**HANDED_OVER["properties"][0], "area_m2": 89.5}],
    "tier_history": [{**HANDED_OVER["tier_history"][0], "by": "review"}],
    "preferences": {"sms": False, "wechat": True}, "notes": ["call after 18:00"],
}
# An older, thinner document: none of the fields a member has defaults for.
THIN: dict[str, Any] = {"_id": "M000000000001", "customer_id": "C-1", "source": "handover", "joined_at": T0,
                        "tier": "regular"}


@pytest.mark.parametrize("doc", [APPLIED, HANDED_OVER, FROM_A_NEWER_VERSION, THIN],
                         ids=["applied", "handed-over", "newer-fields", "thin"])
def test_a_stored_member_round_trips_exactly(doc):
    stored = copy.deepcopy(doc)
    member = Member.from_doc(stored)
    back = member.to_doc()
    assert back == doc, "the same keys (no None or default added) and the same values"
    assert stored == doc, "reading does not change the document"
    assert Member.from_doc(back).to_doc() == doc


def test_the_parts_are_typed():
    member = Member.from_doc(copy.deepcopy(HANDED_OVER))
    assert member.id == "M9F8E7D6C5B4A" and member.vip is True and member.points == 5300
    assert isinstance(member.contact, MemberContact) and member.contact.email == "li@example.com"
    assert isinstance(member.properties[0], Property) and member.properties[0].handover_date == "2025-06-30"
    assert [step.tier for step in member.tier_history] == ["silver", "gold"]
    assert isinstance(member.tier_history[0], TierStep)
    thin = Member.from_doc(copy.deepcopy(THIN))
    assert (thin.points, thin.points_seen, thin.properties, thin.tier_history, thin.vip) == (0, 0, [], [], False)


def test_unknown_fields_survive_a_change():
    member = Member.from_doc(copy.deepcopy(FROM_A_NEWER_VERSION))
    assert member.add_property(Property(project="江南府", building="2", unit="1802"))
    doc = member.to_doc()
    assert doc["preferences"] == {"sms": False, "wechat": True} and doc["notes"] == ["call after 18:00"]
    assert doc["contact"]["preferred_time"] == "evenings"
    assert doc["properties"][0]["area_m2"] == 89.5 and doc["tier_history"][0]["by"] == "review"
    assert doc["properties"][1] == {"project": "江南府", "building": "2", "unit": "1802"}


def test_a_document_without_what_a_member_needs_is_refused():
    for missing in ("_id", "customer_id", "source", "joined_at", "tier"):
        with pytest.raises(ValidationError):
            Member.from_doc({k: v for k, v in THIN.items() if k != missing})
    with pytest.raises(ValidationError):
        Member.from_doc({**THIN, "source": "walk-in"})


# --- joining ---

def handover_unit(unit: str) -> Property:
    """The unit of a handover, as ``joining.handed_over`` takes it from the event."""
    return unit_of(PropertyHandedOver(
        event_id=f"handover-{unit}", occurred_at=NOW, correlation_id="contract-9", causation_id=f"erp-{unit}",
        customer_id="C-9", project="滨江花园", building="3幢", unit=unit, handover_date=date(2026, 11, 20),
        contact=Contact(name="赵先生", phone="13700003333")))


def test_a_newcomer_is_stored_as_members_always_were():
    member, events = newcomer(customer_id="C-9", contact=Contact(name="赵先生", phone="13700003333"),
                              properties=[handover_unit("0801")], source="handover", tiers=TIERS,
                              current=(0, 0), cause=CAUSE, now=NOW)
    assert member.to_doc() == {
        "_id": member_id_for("C-9"), "customer_id": "C-9", "contact": {"name": "赵先生", "phone": "13700003333"},
        "properties": [{"project": "滨江花园", "building": "3幢", "unit": "0801", "handover_date": "2026-11-20"}],
        "source": "handover", "joined_at": NOW, "tier": "regular", "vip": False, "points": 0, "points_seen": 0,
        "tier_history": [], "rev": 0,
    }
    [joined] = events
    assert isinstance(joined, MemberJoined)
    assert (joined.member_id, joined.customer_id, joined.tier, joined.source) == (member.id, "C-9", "regular",
                                                                                  "handover")
    assert (joined.causation_id, joined.correlation_id, joined.club_url) == ("handover-9", "contract-9", None)


def test_a_newcomer_owning_two_units_joins_silver_and_it_is_announced_after_the_join():
    unit = handover_unit("0801")
    member, events = newcomer(
        customer_id="C-9", contact=Contact(phone="13700003333"), properties=[unit, unit, handover_unit("0802")],
        source="application", tiers=TIERS, current=(0, 0), cause=CAUSE, now=NOW, club_url="https://club/o/x")
    assert len(member.properties) == 2, "the same unit twice is one unit"
    joined, changed = events
    assert isinstance(joined, MemberJoined) and isinstance(changed, MemberTierChanged)
    assert joined.tier == "silver" and joined.club_url == "https://club/o/x"
    assert (changed.previous_tier, changed.tier, changed.vip) == ("regular", "silver", False)
    assert [s.model_dump() for s in member.tier_history] == [
        {"at": NOW, "tier": "silver", "previous": "regular", "cause": "handover-9"}]
    assert member.to_doc()["contact"] == {"phone": "13700003333"}, "no None for what the owner did not give"


def test_points_earned_before_joining_count_for_the_first_tier():
    member, events = newcomer(customer_id="C-9", contact=Contact(name="赵"), properties=[], source="application",
                              tiers=TIERS, current=(5000, 2), cause=CAUSE, now=NOW)
    assert (member.tier, member.vip, member.points, member.points_seen) == ("gold", True, 5000, 2)
    assert [type(e) for e in events] == [MemberJoined, MemberTierChanged]


# --- adding units ---

def test_a_unit_already_owned_changes_nothing():
    member = Member.from_doc(copy.deepcopy(APPLIED))
    again = Property(project="滨江花园 ", building="3幢", unit="0301")
    assert with_units(member, [again], TIERS, (0, 0), CAUSE, NOW) is None
    assert member.to_doc() == APPLIED


def test_a_new_unit_is_added_and_the_tier_follows():
    member = Member.from_doc(copy.deepcopy(APPLIED))  # silver with 2 units; 3 make gold
    changed = with_units(member, [handover_unit("0802")], TIERS, (0, 0), CAUSE, NOW)
    assert changed is not None and changed.member is member
    [event] = changed.events
    assert (event.previous_tier, event.tier, event.vip) == ("silver", "gold", True)
    doc = member.to_doc()
    assert doc["properties"][:2] == APPLIED["properties"] and len(doc["properties"]) == 3
    assert (doc["tier"], doc["vip"]) == ("gold", True)
    assert doc["tier_history"] == [*APPLIED["tier_history"],
                                   {"at": NOW, "tier": "gold", "previous": "silver", "cause": "handover-9"}]


def test_a_tier_change_is_named_by_the_revision_it_makes():
    first = with_units(Member.from_doc(copy.deepcopy(APPLIED)), [handover_unit("0802")], TIERS, (0, 0), CAUSE, NOW)
    again = with_units(Member.from_doc(copy.deepcopy(APPLIED)), [handover_unit("0802")], TIERS, (0, 0),
                       Cause("handover-9-redelivered", "contract-9"), NOW)
    later = with_units(Member.from_doc({**copy.deepcopy(APPLIED), "rev": 2}), [handover_unit("0802")], TIERS,
                       (0, 0), CAUSE, NOW)
    assert first and again and later
    assert first.events[0].event_id == again.events[0].event_id, "the same revision: the same event (a repeat)"
    assert first.events[0].event_id != later.events[0].event_id


# --- standing ---

def test_standing_counts_points_units_and_full_years():
    member = Member.from_doc(copy.deepcopy(APPLIED))  # joined 2023-05-04
    assert member.standing(1200, datetime(2026, 5, 3, tzinfo=timezone.utc)).years == 2
    s = member.standing(1200, datetime(2026, 5, 4, tzinfo=timezone.utc))
    assert (s.points, s.properties, s.years) == (1200, 2, 3)


def test_years_alone_lift_a_member_in_time():
    member = Member.from_doc({**copy.deepcopy(THIN), "joined_at": datetime(2021, 1, 1, tzinfo=timezone.utc)})
    [event] = retier(member, TIERS, (0, 0), CAUSE, NOW)  # 5 full years, no points: silver (3 years), not gold
    assert (event.previous_tier, event.tier) == ("regular", "silver")
    assert member.to_doc() == {**THIN, "joined_at": datetime(2021, 1, 1, tzinfo=timezone.utc), "tier": "silver",
                               "vip": False, "points": 0, "points_seen": 0,
                               "tier_history": [{"at": NOW, "tier": "silver", "previous": "regular",
                                                 "cause": "handover-9"}]}


def test_a_reading_older_than_the_one_applied_is_ignored_but_the_tier_is_still_decided():
    member = Member.from_doc(copy.deepcopy(HANDED_OVER))  # gold on 5300 points seen over 7 entries
    member.apply_reading(100, 6)
    assert (member.points, member.points_seen) == (5300, 7)
    member.apply_reading(4000, 8)
    assert (member.points, member.points_seen) == (4000, 8)
    assert member.move_to(TIERS.tier_for(member.standing(member.points, NOW)), NOW, "redemption-X") == "gold"
    assert (member.tier, member.vip) == ("silver", False)
    assert member.move_to(TIERS.get("silver"), NOW, "again") is None and len(member.tier_history) == 3


def test_the_projects_of_a_member_are_where_they_own_units():
    assert Member.from_doc(copy.deepcopy(APPLIED)).projects == {"滨江花园"}
    assert Member.from_doc(copy.deepcopy(THIN)).projects == set()


# --- the store boundary ---

class MemoryAggregates:
    """``AggregateStore``'s get/create/mutate over a dict: private copies in, revision numbers set."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.published: list[Any] = []

    async def get(self, agg_id: str) -> dict[str, Any] | None:
        doc = self.docs.get(agg_id)
        return copy.deepcopy(doc) if doc is not None else None

    async def create(self, state: dict[str, Any], events: list[Any]) -> tuple[dict[str, Any], bool]:
        if state["_id"] in self.docs:
            return copy.deepcopy(self.docs[state["_id"]]), False
        self.docs[state["_id"]] = {**copy.deepcopy(state), "rev": 1}
        self.published += events
        return copy.deepcopy(self.docs[state["_id"]]), True

    async def mutate(self, agg_id: str, fn: Any) -> dict[str, Any]:
        if agg_id not in self.docs:
            raise NotFound(agg_id)
        change: Change | None = fn(copy.deepcopy(self.docs[agg_id]))
        if change is not None:
            self.docs[agg_id] = {**change.state, "_id": agg_id, "rev": self.docs[agg_id]["rev"] + 1}
            self.published += change.events
        return copy.deepcopy(self.docs[agg_id])


def memory_store() -> tuple[MemberStore, MemoryAggregates]:
    store = MemberStore(defaultdict(lambda: None), lambda event: None)  # type: ignore[arg-type]
    store.aggregates = memory = MemoryAggregates()  # type: ignore[assignment]
    return store, memory


async def test_the_store_keeps_documents_and_hands_out_members():
    store, memory = memory_store()
    memory.docs[APPLIED["_id"]] = copy.deepcopy(FROM_A_NEWER_VERSION | {"_id": APPLIED["_id"]})
    member = await store.get(APPLIED["_id"])
    assert isinstance(member, Member) and member.customer_id == "C-200"
    assert await store.get("M-none") is None

    def change(m: Member) -> Changed | None:
        return with_units(m, [handover_unit("0802")], TIERS, (m.points, m.points_seen), CAUSE, NOW)

    after = await store.mutate(APPLIED["_id"], change)
    stored = memory.docs[APPLIED["_id"]]
    assert after.to_doc() == stored and stored["rev"] == FROM_A_NEWER_VERSION["rev"] + 1
    assert stored["preferences"] == FROM_A_NEWER_VERSION["preferences"], "unknown fields kept through a change"
    assert len(stored["properties"]) == 2
    unchanged = await store.mutate(APPLIED["_id"], change)  # the unit is there now: nothing to do
    assert unchanged.to_doc() == stored and memory.docs[APPLIED["_id"]]["rev"] == stored["rev"]


async def test_creating_a_member_stores_its_document_once():
    store, memory = memory_store()
    member, events = newcomer(customer_id="C-9", contact=Contact(name="赵"), properties=[], source="application",
                              tiers=TIERS, current=(0, 0), cause=CAUSE, now=NOW)
    created, new = await store.create(member, events)
    assert new and created.rev == 1 and memory.docs[member.id] == {**member.to_doc(), "rev": 1}
    again, new = await store.create(member, events)
    assert not new and again.to_doc() == memory.docs[member.id]
    assert [type(e) for e in memory.published] == [MemberJoined]
