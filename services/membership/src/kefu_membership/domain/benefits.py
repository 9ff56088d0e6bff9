"""Benefits at alliance merchants (联盟商家): who may redeem an offer and the slots that bound it.

An offer has a limit per member and a limit in total. Both must hold when many
owners redeem at once, on a store without transactions or atomic counters, so
each redemption claims numbered slots by inserting them with unique ids: slot
``<offer>|<n>`` for n in 1..limit_total and ``<offer>|<member>|<k>`` for k in
1..limit_per_member. A slot id can be inserted once, so no more redemptions can
succeed than there are slots. This module names the slots and the order to try
them in; the store does the claiming.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tiers import TierTable


class NotEligible(ValueError):
    """The member's tier is below the offer's."""


@dataclass(frozen=True)
class Offer:
    id: str
    min_tier: str
    points_cost: int
    limit_per_member: int
    limit_total: int

    def __post_init__(self) -> None:
        if self.points_cost < 0:
            raise ValueError("points_cost cannot be negative")
        if self.limit_per_member < 1 or self.limit_total < 1:
            raise ValueError("limits must be at least 1")

    def require_eligible(self, tier: str, tiers: TierTable) -> None:
        if not tiers.at_least(tier, self.min_tier):
            raise NotEligible(f"offer {self.id} is for {self.min_tier} members and above, the member is {tier}")

    def member_slots(self, member_id: str) -> list[str]:
        return [f"{self.id}|{member_id}|{k}" for k in range(1, self.limit_per_member + 1)]

    def total_slots(self, taken_hint: int) -> list[str]:
        """Every total slot, starting after the ``taken_hint`` that are probably taken (then wrapping).

        Slots given back (a redemption that failed later) leave holes below the
        hint; the wrap finds them.
        """
        start = min(max(taken_hint, 0), self.limit_total)
        order = list(range(start + 1, self.limit_total + 1)) + list(range(1, start + 1))
        return [f"{self.id}|{n}" for n in order]
