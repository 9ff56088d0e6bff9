import pytest
from kefu_membership.domain.roster import Roster, RosterError


def full_roster() -> Roster:
    roster = Roster(capacity=3)
    for m in ("m1", "m2", "m3", "m4", "m5", "m6"):
        roster.sign_up(m)
    return roster


def test_places_are_confirmed_up_to_capacity_then_waitlisted_in_order():
    roster = Roster(capacity=3)
    moves = [roster.sign_up(m) for m in ("m1", "m2", "m3", "m4", "m5", "m6")]
    assert [m[0][1] for m in moves] == ["confirmed"] * 3 + ["waitlisted"] * 3
    assert roster.confirmed == ["m1", "m2", "m3"] and roster.waitlist == ["m4", "m5", "m6"]


def test_signing_up_twice_changes_nothing():
    roster = full_roster()
    assert roster.sign_up("m1") == [] and roster.sign_up("m5") == []
    assert roster.waitlist == ["m4", "m5", "m6"]


def test_a_cancellation_promotes_the_first_waitlisted():
    roster = full_roster()
    assert roster.cancel("m2") == [("m2", "cancelled"), ("m4", "promoted")]
    assert roster.confirmed == ["m1", "m3", "m4"] and roster.waitlist == ["m5", "m6"]
    assert roster.cancel("m1") == [("m1", "cancelled"), ("m5", "promoted")]
    assert roster.status_of("m5") == "confirmed" and roster.status_of("m1") is None


def test_leaving_the_waiting_list_promotes_nobody():
    roster = full_roster()
    assert roster.cancel("m5") == [("m5", "cancelled")]
    assert roster.confirmed == ["m1", "m2", "m3"] and roster.waitlist == ["m4", "m6"]
    assert roster.cancel("m5") == [], "cancelling twice changes nothing"


def test_a_freed_place_with_nobody_waiting_stays_free():
    roster = Roster(capacity=2)
    roster.sign_up("a")
    assert roster.cancel("a") == [("a", "cancelled")]
    assert roster.sign_up("b") == [("b", "confirmed")]


def test_only_confirmed_members_check_in_once_and_cannot_cancel_then():
    roster = full_roster()
    with pytest.raises(RosterError, match="confirmed"):
        roster.check_in("m4")
    assert roster.check_in("m1") == [("m1", "checked_in")]
    assert roster.check_in("m1") == []
    assert roster.status_of("m1") == "checked_in"
    with pytest.raises(RosterError, match="checked in"):
        roster.cancel("m1")


def test_closing_names_the_attendees_once_and_freezes_the_roster():
    roster = full_roster()
    roster.check_in("m1")
    roster.check_in("m3")
    assert roster.close() == ["m1", "m3"]
    assert roster.close() == []
    for move in (roster.sign_up, roster.cancel, roster.check_in):
        with pytest.raises(RosterError, match="closed"):
            move("m2")


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        Roster(capacity=0)
