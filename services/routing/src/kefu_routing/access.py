"""Who may do what through routing's API, and what each caller sees of a case.

The role lists follow domain.md (Who uses the system). Service accounts (ops,
channel adapters) never read or change cases: they have their own routes
elsewhere. Department scoping (staff see their own department's cases only)
is done per case by ``Principal.can_see``; authority limits of approvals stay
in the domain (``commands.decide``): a role list only says who may try.

Free text on a case (the owner's subject and body, notes, plans, reasons) may
hold phone numbers, e-mail addresses or ID numbers: roles without
``Principal.sees_pii`` (the data analyst) get it masked.
"""

from __future__ import annotations

from typing import Any

from kefu_kit.auth import CENTER_ROLES, MANAGERS, Principal, Role
from kefu_kit.masking import mask_text


def _roles(*groups: Any) -> tuple[str, ...]:
    """One role tuple in the order of ``Role`` (so x-kefu-roles reads the same in every route)."""
    wanted = {str(r) for g in groups for r in (g if isinstance(g, (set, frozenset, tuple, list)) else (g,))}
    return tuple(r.value for r in Role if r.value in wanted)


# Reading cases: every role of the center, and department staff (their own department's cases only).
READ = _roles(CENTER_ROLES, Role.DEPARTMENT_STAFF)
# Group complaints (群诉) span departments: the center only.
READ_GROUPS = _roles(CENTER_ROLES)
# Working a case (acknowledge, wait on the owner, resume, resolve, work orders): the department it is
# assigned to, the complaint specialist who coordinates the departments, and the managers.
WORK = _roles(Role.DEPARTMENT_STAFF, Role.COMPLAINT_SPECIALIST, MANAGERS)
# Notes: those who work the case, and the hotline agent, who records (记录) what an owner says when calling
# about an open case.
NOTE = _roles(WORK, Role.HOTLINE_AGENT)
# Closing and reopening are the center's decisions on a case (a department reports it resolved, the center
# closes it); return visits close or reopen through survey answers, not by hand.
CLOSE = _roles(Role.COMPLAINT_SPECIALIST, MANAGERS)
# Asking for approval of a plan or a cost: the department doing the repair, the specialist, the managers.
REQUEST_APPROVAL = WORK
# Deciding: the roles of the authority table (specialist, CS manager, general manager); which amounts and
# plan levels each may approve is the domain's rule (``domain.approvals``, ``domain.complaints``).
DECIDE = _roles(Role.COMPLAINT_SPECIALIST, MANAGERS)
# Raising a complaint's level by hand (domain.md: the specialist reports serious ones at once).
ESCALATE = _roles(Role.COMPLAINT_SPECIALIST, MANAGERS)

# Free-text fields of a case document, by where they sit.
_CASE_TEXT = ("subject", "body")
_TIMELINE_TEXT = ("text", "note", "reason")
_APPROVAL_TEXT = ("plan", "reason")


def _masked(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


def shown(case: dict[str, Any], who: Principal) -> dict[str, Any]:
    """``case`` as ``who`` may see it: unchanged for roles that see PII, free text masked for the others."""
    if who.sees_pii:
        return case
    out = {k: _masked(v) if k in _CASE_TEXT else v for k, v in case.items()}
    if isinstance(case.get("timeline"), list):
        out["timeline"] = [_mask_entry(e, _TIMELINE_TEXT) for e in case["timeline"]]
    if isinstance(case.get("approvals"), list):
        out["approvals"] = [_mask_entry(a, _APPROVAL_TEXT) for a in case["approvals"]]
    order = case.get("work_order")
    if isinstance(order, dict):
        out["work_order"] = {**_mask_entry(order, ("notes",)),
                             "progress": [_mask_entry(p, ("note",)) for p in order.get("progress") or []]}
    return out


def _mask_entry(entry: Any, fields: tuple[str, ...]) -> Any:
    if not isinstance(entry, dict):
        return entry
    return {k: _masked(v) if k in fields else v for k, v in entry.items()}
