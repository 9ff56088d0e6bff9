"""A case arrives from intake: decide warranty, department, person, level and deadlines; store it; say so.

Also where a new complaint is checked against the recent ones: a repeat by the
same owner raises its level, several owners of one building about the same
shared problem make a group complaint (群诉), escalated once for the whole group
(which repairs count: ``domain.groups``; in-unit ones may be a batch defect
instead: ``batch_defects``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kefu_contracts import CaseOpened, derived_event_id
from kefu_kit.aggregates import Change

from .batch_defects import batch_key, signal_batch_defects
from .context import Routing
from .domain.case import Assigned, Case, Deadlines, JoinedGroup, Opened, Warranty, WorkOrder
from .domain.complaints import escalate, find_group, group_key, initial_level, is_repeat
from .domain.groups import counts_for_group, element_of
from .domain.warranty import decide_warranty
from .escalation import raise_level
from .events import case_assigned, complaint_escalated, group_changed, status_changed
from .refs import case_ref, report_ref

GROUP_LEVEL = 3


async def open_case(event: CaseOpened, r: Routing, now: datetime) -> Case:
    """Create the case once; on a redelivery make sure what follows its creation happened too.

    One event at a time; a batch does the same steps in phases (``batch_handlers.open_cases``).
    """
    case = await establish(event, r, now, await r.cases.get_case(event.case_id))
    await r.reports.add(case_ref(case))
    await schedule_deadlines(case, r)
    if needs_group_check(case, r):
        await detect_group(case, r, now)
    if r.signals is not None and batch_key(case, r) is not None:
        await signal_batch_defects([case], r, now)
    if r.parking is not None:  # events about it that came first, applied after it is whole (as in order)
        await r.parking.apply_for(r, [case.id], now)
        case = await r.cases.get_case(case.id) or case
    return case


async def establish(event: CaseOpened, r: Routing, now: datetime, stored: Case | None,
                    *, marked: bool = False) -> Case:
    """The case ``event`` opens: ``stored`` when it exists (a redelivery), else created now, once.

    ``marked``: the oldest-case mark was lowered for it already (see ``CaseRepository.create``).
    """
    if stored is not None:
        return stored
    state, events = await new_case(event, r, now)
    case, _ = await r.cases.create_case(state, events, marked=marked)
    return case


def needs_group_check(case: Case, r: Routing) -> bool:
    """A complaint, or a repair of a shared problem (``domain.groups``), not in a group yet."""
    return (case.kind in r.group_kinds and not case.group_id
            and counts_for_group(case_ref(case), r.group_rule))


@dataclass(frozen=True)
class OpeningReads:
    """What deciding new complaints reads (is the caller a VIP, their recent reports), read once for a batch.

    One case at a time these were two store round trips per complaint; ``read_for_opening``
    reads them for all of a batch's callers in one query per collection.
    """

    vips: frozenset[str]
    reports: dict[str, list[dict[str, Any]]]  # customer -> their recent reports (any kind, any age kept)


async def read_for_opening(events: list[CaseOpened], r: Routing) -> OpeningReads:
    callers = sorted({e.customer_id for e in events if e.kind.value == "complaint"})
    if not callers:
        return OpeningReads(frozenset(), {})
    return OpeningReads(await r.vips.vips_among(callers), await r.reports.of_customers(callers))


async def new_case(event: CaseOpened, r: Routing, now: datetime,
                   reads: OpeningReads | None = None) -> tuple[Case, list[Any]]:
    """The case ``event`` opens and the events its opening owes, decided (reads only: nothing stored yet).

    ``reads``: the batch's prefetched reads (``read_for_opening``); without them, read for this case alone.
    """
    kind = event.kind.value
    text = "\n".join(p for p in (event.subject, event.body) if p)
    warranty = None
    if kind == "repair":
        # Dates in the center's own zone: a handover at local midnight is that local day, not the UTC one before.
        handover = event.handover_date.astimezone(r.calendar.tz).date() if event.handover_date else None
        decision = decide_warranty(event.category, handover, event.occurred_at.astimezone(r.calendar.tz).date(),
                                   r.warranty)
        warranty = Warranty(under_warranty=decision.under_warranty,
                            expires_on=str(decision.expires_on or "") or None, reason=decision.reason,
                            rule=decision.rule)
    department, rule = r.rules.assign(kind, event.category, event.project, text,
                                      warranty.under_warranty if warranty else None)
    level, reason = 0, None
    if kind == "complaint":
        vip = event.customer_id in reads.vips if reads else await r.vips.is_vip(event.customer_id)
        level, reason = initial_level(event.urgent_flags, vip, r.complaints)
        since = event.occurred_at - r.repeat_window
        earlier = ([c for c in reads.reports.get(event.customer_id, []) if c["kind"] == "complaint"
                    and c["opened_at"] >= since] if reads
                   else await r.reports.of_customer(event.customer_id, ["complaint"], since))
        if is_repeat([c["opened_at"] for c in earlier if c["_id"] != event.case_id], event.occurred_at,
                     r.repeat_window):
            repeated = escalate(level, "repeat_complaint", r.complaints)
            if repeated > level:
                level, reason = repeated, "repeat_complaint"
    due = r.deadlines(event.case_id, kind, max(level, 1), event.urgent_flags, event.occurred_at)
    assignee = await r.assignee_for(department, now)
    case = Case(
        id=event.case_id,
        status="assigned",
        kind=kind,
        category=event.category,
        urgent_flags=list(event.urgent_flags),
        customer_id=event.customer_id,
        channel=event.channel.value,
        project=event.project,
        building=event.building,
        unit=event.unit,
        element=element_of(event.element, text, r.group_rule),  # a shared building element, if named
        handover_date=event.handover_date,
        subject=event.subject,
        body=event.body,
        warranty=warranty,
        department=department,
        assignment_rule=rule,
        assignee=assignee,
        level=level,
        escalations=[],
        deadlines=Deadlines.of(due),
        pauses=[],
        overdue=[],
        is_overdue=False,
        opened_at=event.occurred_at,
        responded_at=None,
        resolved_at=None,
        closed_at=None,
        correlation_id=event.correlation_id,
        opened_event_id=event.event_id,
        contacts=[event.contact_id],
        applied=[event.event_id],
        approvals=[],
        group_id=None,
        work_order=(
            WorkOrder(id=derived_event_id("wo", event.case_id), status="open", progress=[], cost=None,
                      completed_at=None, notes=None) if kind == "repair" else None
        ),
        timeline=[
            Opened(at=event.occurred_at, type="opened", status="opened", actor="intake",
                   contact_id=event.contact_id),
            Assigned(at=now, type="assigned", status="assigned", actor="routing", department=department,
                     assignee=assignee, rule=rule),
        ],
    )
    events: list[Any] = [case_assigned(case, now), status_changed(case, "opened", "routing", now, event.event_id)]
    if level > 1 and reason:
        case.level = 0
        events += raise_level(case, level, reason, r, now, event.event_id, "routing")
    return case, events


async def schedule_deadlines(case: Case, r: Routing) -> None:
    """Durable timers for the case's current deadlines (idempotent; stale ones are ignored when they fire)."""
    for case_id, which, due_at in deadline_timers(case):
        await r.timers.schedule(case_id, which, due_at)


def deadline_timers(case: Case) -> list[tuple[str, str, datetime]]:
    """The (case_id, which, due_at) timers the case's current deadlines need: none once it is resolved."""
    if case.status in ("resolved", "closed"):
        return []
    timers = []
    if case.responded_at is None:
        timers.append((case.id, "respond", case.deadlines.respond_by))
    timers.append((case.id, "resolve", case.deadlines.resolve_by))
    return timers


def building_group_key(case: Case) -> str | None:
    """Which group complaint the case could be part of (project, building, category), if any."""
    return group_key(case_ref(case))


_READ: Any = object()  # "not known: read it"


async def detect_group(case: Case, r: Routing, now: datetime, active: dict[str, Any] | None = _READ,
                       recent: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """Join the building's active group complaint, or form one when enough owners complained; the group
    the case is in after (its state as written), or None when it is in none.

    ``active`` (the building's active group, or None) and ``recent`` (recent reports of the building,
    at least those within the window before the case) when the caller read them already."""
    ref = case_ref(case)
    key = group_key(ref)
    if key is None:
        return None
    assert case.project and case.building and case.category, "a group key names all three"
    if active is _READ:
        active = await r.groups.active_for(key)
    if active and case.id in active["members"]:
        await _link_members(active, [case.id], r, now)
        return active
    if active and case.opened_at - active["last_member_at"] <= r.group_policy.window:
        group = await r.groups.mutate(active["_id"], _add_member(case, now))
        await _link_members(group, [case.id], r, now)
        return group
    if recent is None:
        recent = await r.reports.in_building(
            case.project, case.building, case.category, list(r.group_kinds), case.opened_at - r.group_policy.window,
        )
    # in-unit repairs of the building are no members: each owner's own problem (maybe a batch defect)
    counted = [other for other in map(report_ref, recent) if counts_for_group(other, r.group_rule)]
    members = find_group(ref, counted, r.group_policy)
    if not members:
        return None
    lead = case if members[0].case_id == case.id else await r.cases.get_case(members[0].case_id)
    assert lead is not None
    ids = [m.case_id for m in members]
    group_id = derived_event_id("group", key, lead.id)
    # The one escalation of the whole group, announced on its lead case (the first report); the
    # members take level 3 below without events of their own.
    due = r.deadlines(lead.id, lead.kind, GROUP_LEVEL, lead.urgent_flags, now)
    announced = lead.model_copy(update={"level": GROUP_LEVEL, "deadlines": Deadlines.of(due)})
    state = {"_id": group_id, "key": key, "project": case.project, "building": case.building,
             "category": case.category, "lead_case_id": lead.id, "members": ids,
             "customers": sorted({m.customer_id for m in members}), "active": True, "level": GROUP_LEVEL,
             "created_at": now, "last_member_at": max(m.opened_at for m in members)}
    events = [complaint_escalated(announced, lead.level or 0, "group_complaint", now, group_id, ids),
              group_changed(state, case, now)]
    group, created = await r.groups.create(state, events)
    if not created:
        group = await r.groups.mutate(group_id, _add_member(case, now))
    await _link_members(group, group["members"], r, now)
    return group


@dataclass
class GroupJoins:
    """The joins and links a batch's buildings decided last, written for all buildings at once.

    Building by building, each building's last joins were one change of its group and one
    bulk change of its members: five store commands for the group and four for the cases,
    times the buildings of a batch (about a hundred in a burst). Collected here, they are one
    ``mutate_many`` of all the groups, one ``mutate_cases`` of all the members and one insert
    of their deadlines (``write``). Nothing reads them in between: each building's decisions
    were made on its group as read plus its joins in memory.
    """

    pending: list[tuple[dict[str, Any], list[Case], list[str]]] = field(default_factory=list)

    def add(self, group: dict[str, Any], joining: list[Case], linking: list[str]) -> None:
        """``joining`` join ``group`` (as read, before them), in order; ``linking`` are members already.
        A group added twice gets one change for both (``mutate_many`` takes one per aggregate)."""
        for i, (known, more, links) in enumerate(self.pending):
            if known["_id"] == group["_id"]:
                self.pending[i] = (known, [*more, *joining], [*links, *linking])
                return
        self.pending.append((group, joining, linking))

    async def write(self, r: Routing, now: datetime) -> None:
        joins = [(group["_id"], _add_members(joining, now)) for group, joining, _ in self.pending if joining]
        after = dict(zip([gid for gid, _ in joins], await r.groups.mutate_many(joins))) if joins else {}
        links: list[tuple[dict[str, Any], str]] = []
        for group, joining, linking in self.pending:
            joined = after.get(group["_id"], group)
            links += [(joined, case_id) for case_id in dict.fromkeys([*linking, *(c.id for c in joining)])]
        await _link_all(links, r, now)
        self.pending = []


async def detect_groups(cases: list[Case], r: Routing, now: datetime, later: GroupJoins | None = None) -> None:
    """``detect_group`` for a batch's cases of one building and category, in their order, in bulk.

    One at a time, each case of a growing group costs a read of the group, a change of
    it and a change of the case (a dozen store round trips, one case after the other:
    they all change the same group). Here the active group is read once; the cases that
    join it are decided in order in memory (each one moves the group's last member on,
    which decides the next), the group is changed once for all of them, and they are
    linked in one bulk change. A case that would form a new group goes the one-at-a-time
    way (the joins before it are written first), and the group it is in after is the one
    the next cases may join. ``later``: the last joins are left to it, to be written with
    the other buildings' (``GroupJoins``); without it they are written here.
    """
    if not cases:
        return
    key = building_group_key(cases[0])
    if key is None:
        return
    active = await r.groups.active_for(key)
    pending = copy.deepcopy(active) if active else None
    joining: list[Case] = []
    linking: list[str] = []

    async def flush() -> None:
        nonlocal active, pending, joining, linking
        if active is not None and (joining or linking):
            group = await r.groups.mutate(active["_id"], _add_members(joining, now)) if joining else active
            await _link_members(group, [*linking, *(c.id for c in joining)], r, now)
            active, pending = group, copy.deepcopy(group)
        joining, linking = [], []

    recent: list[dict[str, Any]] | None = None  # the building's recent reports, read once when first needed

    for case in cases:
        if pending is not None and case.id in pending["members"]:
            linking.append(case.id)
        elif pending is not None and case.opened_at - pending["last_member_at"] <= r.group_policy.window:
            _add_member(case, now)(pending)
            joining.append(case)
        else:
            await flush()
            if recent is None:  # for all the building's cases of the batch: from the window before the earliest
                assert case.project and case.building and case.category, "a group key names all three"
                earliest = min(c.opened_at for c in cases)
                recent = await r.reports.in_building(case.project, case.building, case.category,
                                                     list(r.group_kinds), earliest - r.group_policy.window)
            # the group it joined or formed; with none, a next case outside ``pending``'s window
            # comes this way too, on the same reads (find_group keeps what is in its window)
            if (group := await detect_group(case, r, now, active, recent)) is not None:
                active, pending = group, copy.deepcopy(group)
    if later is not None and active is not None and (joining or linking):
        later.add(active, joining, linking)
    else:
        await flush()


def _add_members(cases: list[Case], now: datetime):
    """One change of a group for several cases joining it, in order (each as ``_add_member``)."""
    def change(group: dict[str, Any]) -> Change | None:
        events: list[Any] = []
        for case in cases:
            joined = _add_member(case, now)(group)
            if joined is not None:
                group, events = joined.state, [*events, *joined.events]
        return Change(group, events) if events else None
    return change


def _add_member(case: Case, now: datetime):
    def change(group: dict[str, Any]) -> Change | None:
        if case.id in group["members"]:
            return None
        group["members"].append(case.id)
        group["customers"] = sorted({*group["customers"], case.customer_id})
        group["last_member_at"] = max(group["last_member_at"], case.opened_at)
        return Change(group, [group_changed(group, case, now)])
    return change


async def _link_members(group: dict[str, Any], case_ids: list[str], r: Routing, now: datetime) -> None:
    """Each member case: in the group, at the group's level. The group escalated once; members publish nothing."""
    await _link_all([(group, case_id) for case_id in dict.fromkeys(case_ids)], r, now)


async def _link_all(links: list[tuple[dict[str, Any], str]], r: Routing, now: datetime) -> None:
    """Each ``(group, case id)``: the case in that group, at the group's level; all in one bulk change
    (``mutate_cases``) and their new deadlines in one bulk insert. A case is in one pair at most."""
    def change_for(group: dict[str, Any]) -> Callable[[Case], Change[Case] | None]:
        def change(case: Case) -> Change[Case] | None:
            if case.group_id == group["_id"]:
                return None
            case.group_id = group["_id"]
            raise_level(case, group["level"], "group_complaint", r, now, group["_id"], "routing", publish=False)
            case.timeline.append(JoinedGroup(at=now, type="joined_group", group_id=group["_id"], actor="routing"))
            return Change(case)
        return change

    if not links:
        return
    updated = await r.cases.mutate_cases([(case_id, change_for(group)) for group, case_id in links])
    await r.timers.schedule_many([t for case in updated for t in deadline_timers(case)])
