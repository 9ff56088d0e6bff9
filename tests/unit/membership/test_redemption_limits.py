"""Redemption limits: slots claimed by unique insert bound redemptions per member and in total."""

import random

import pytest
from kefu_membership.domain.benefits import NotEligible, Offer
from kefu_membership.domain.tiers import default_tier_table


class UniqueIds:
    """What the store guarantees: an id can be inserted once."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def claim(self, candidates: list[str]) -> str | None:
        for c in candidates:
            if c not in self.ids:
                self.ids.add(c)
                return c
        return None


def redeem(offer: Offer, slots: UniqueIds, member: str) -> bool:
    mine = slots.claim(offer.member_slots(member))
    if mine is None:
        return False
    taken = sum(1 for s in slots.ids if s.count("|") == 1)
    if slots.claim(offer.total_slots(taken)) is None:
        slots.ids.discard(mine)
        return False
    return True


def test_limits_per_member_and_in_total_hold_for_any_order_of_requests():
    offer = Offer("OF1", "regular", 0, limit_per_member=2, limit_total=7)
    requests = [f"m{i}" for i in range(6) for _ in range(4)]
    random.Random(7).shuffle(requests)
    slots = UniqueIds()
    granted = [m for m in requests if redeem(offer, slots, m)]
    assert len(granted) == 7
    assert max(granted.count(m) for m in set(granted)) <= 2


def test_slot_names():
    offer = Offer("OF1", "gold", 100, limit_per_member=2, limit_total=4)
    assert offer.member_slots("M1") == ["OF1|M1|1", "OF1|M1|2"]
    assert offer.total_slots(0) == ["OF1|1", "OF1|2", "OF1|3", "OF1|4"]
    # start after the ones probably taken, then wrap round to holes left by given-back slots
    assert offer.total_slots(2) == ["OF1|3", "OF1|4", "OF1|1", "OF1|2"]
    assert offer.total_slots(9) == ["OF1|1", "OF1|2", "OF1|3", "OF1|4"]


def test_a_given_back_slot_can_be_claimed_again():
    offer = Offer("OF1", "regular", 0, limit_per_member=1, limit_total=2)
    slots = UniqueIds()
    assert redeem(offer, slots, "a") and redeem(offer, slots, "b")
    assert not redeem(offer, slots, "c")
    slots.ids.discard("OF1|1")  # a's redemption failed later (not enough points): its slot is given back
    assert redeem(offer, slots, "c")


def test_offers_are_for_a_tier_and_above():
    tiers = default_tier_table()
    offer = Offer("OF1", "gold", 100, 1, 10)
    offer.require_eligible("gold", tiers)
    offer.require_eligible("diamond", tiers)
    with pytest.raises(NotEligible, match="gold"):
        offer.require_eligible("silver", tiers)


@pytest.mark.parametrize("limits", [(0, 1), (1, 0)])
def test_limits_are_at_least_one(limits):
    with pytest.raises(ValueError):
        Offer("OF1", "regular", 0, *limits)
