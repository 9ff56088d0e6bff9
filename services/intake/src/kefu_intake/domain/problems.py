"""One case per problem: what makes two contacts "the same problem".

The same customer, the same property (project, building, unit) and the same
problem: the repair category when the text names a defect (a complaint that the
leak is still not fixed is about the leak), else the kind of contact.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def problem_key(customer_id: str, prop: dict[str, Any] | None, kind: str, category: str | None) -> str:
    prop = prop or {}
    where = "|".join(prop.get(k) or "" for k in ("project", "building", "unit"))
    return f"{customer_id}|{where}|{category or kind}"


def is_follow_up(open_problem: dict[str, Any] | None, at: datetime, window: timedelta) -> bool:
    """True when the problem's case is still open and was last contacted within ``window`` of ``at``."""
    if not open_problem or not open_problem.get("open"):
        return False
    return timedelta(0) <= at - open_problem["last_contact_at"] <= window
