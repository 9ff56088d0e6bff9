"""What membership's use cases need, gathered once by the composition root; and their errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from .adapters.parked import ParkedAnswers
from .adapters.store import ActivityStore, Benefits, Ledger, MemberStore, Referrals
from .domain.points import EarnRules, default_earn_rules
from .domain.tiers import TierTable, default_tier_table
from .owner_links import OwnerLinks


class Unknown(LookupError):
    """No such member, offer, merchant or activity (404)."""


class Conflict(ValueError):
    """The request contradicts what is recorded, or a limit is reached (409)."""


@dataclass(frozen=True)
class Cause:
    """The event (or request) a change comes from: it names the derived events' chain."""

    event_id: str
    correlation_id: str


@dataclass
class Club:
    members: MemberStore
    activities: ActivityStore
    ledger: Ledger
    benefits: Benefits
    referrals: Referrals
    tiers: TierTable = field(default_factory=default_tier_table)
    rules: EarnRules = field(default_factory=default_earn_rules)
    event_minutes: int = 120
    # answers that came before their owner joined (``earning``); None: not held, a non-member earns nothing at once
    parked: ParkedAnswers | None = None
    parked_max_age: timedelta = timedelta(days=1)
    # signs the owners' club links (None: KEFU_OWNER_LINK_SECRET unset, no links)
    links: OwnerLinks | None = None
