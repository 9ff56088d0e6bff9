"""Topic names, their keys, partitions and payload models: the one list every service reads.

Services never spell a topic name themselves; they ask a ``Topics`` for it, so
that a namespace (a prefix for a shared cluster, or one per test run) applies
everywhere at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .calls import CallReceived
from .cases import CaseAssigned, CaseFollowedUp, CaseOpened, CaseStatusChanged
from .complaints import ComplaintEscalated, ComplaintGroupChanged
from .envelope import Event
from .members import (
    CommunityEventAttended,
    CommunityEventSignupChanged,
    MemberJoined,
    MemberTierChanged,
    PropertyHandedOver,
)
from .notifications import NotificationFailed
from .repairs import DefectBatchSuspected, RepairCompleted
from .surveys import SurveyAnswered, SurveyDue

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    model: type[Event]
    key: str
    partitions: int
    description: str


CALL_RECEIVED = "call.received"
CASE_OPENED = "case.opened"
CASE_ASSIGNED = "case.assigned"
CASE_FOLLOWED_UP = "case.followed_up"
CASE_STATUS_CHANGED = "case.status_changed"
MEMBER_TIER_CHANGED = "member.tier_changed"
MEMBER_JOINED = "member.joined"
PROPERTY_HANDED_OVER = "property.handed_over"
COMMUNITY_EVENT_SIGNUP_CHANGED = "community_event.signup_changed"
COMMUNITY_EVENT_ATTENDED = "community_event.attended"
NOTIFICATION_FAILED = "notification.failed"
COMPLAINT_ESCALATED = "complaint.escalated"
COMPLAINT_GROUP_CHANGED = "complaint.group_changed"
REPAIR_COMPLETED = "repair.completed"
DEFECT_BATCH_SUSPECTED = "defect.batch_suspected"
SURVEY_DUE = "survey.due"
SURVEY_ANSWERED = "survey.answered"

TOPICS: dict[str, TopicSpec] = {
    spec.name: spec
    for spec in (
        TopicSpec(CALL_RECEIVED, CallReceived, "caller customer_id, phone or email", 6,
                  "a contact from an owner on any channel, published by channel adapters"),
        TopicSpec(CASE_OPENED, CaseOpened, "case_id", 6, "intake opened a case for a contact"),
        TopicSpec(CASE_ASSIGNED, CaseAssigned, "case_id", 6, "routing assigned a case to a department"),
        TopicSpec(CASE_FOLLOWED_UP, CaseFollowedUp, "case_id", 6,
                  "a new contact about a problem that already has an open case"),
        TopicSpec(CASE_STATUS_CHANGED, CaseStatusChanged, "case_id", 6, "a case moved in its lifecycle"),
        TopicSpec(MEMBER_TIER_CHANGED, MemberTierChanged, "customer_id", 6, "an owner's club tier changed"),
        TopicSpec(MEMBER_JOINED, MemberJoined, "customer_id", 6, "an owner joined the owners' club"),
        TopicSpec(PROPERTY_HANDED_OVER, PropertyHandedOver, "customer_id", 6, "a unit was handed over to its owner"),
        TopicSpec(COMMUNITY_EVENT_SIGNUP_CHANGED, CommunityEventSignupChanged, "customer_id", 6,
                  "a member's place at a community event changed"),
        TopicSpec(COMMUNITY_EVENT_ATTENDED, CommunityEventAttended, "customer_id", 6,
                  "a member attended a community event that has ended"),
        TopicSpec(NOTIFICATION_FAILED, NotificationFailed, "recipient", 6,
                  "a message could not be delivered after its retries"),
        TopicSpec(COMPLAINT_ESCALATED, ComplaintEscalated, "case_id", 6, "a complaint reached a new level"),
        TopicSpec(COMPLAINT_GROUP_CHANGED, ComplaintGroupChanged, "group_id", 6,
                  "a group complaint was formed or gained a member"),
        TopicSpec(REPAIR_COMPLETED, RepairCompleted, "case_id", 6, "a repair work order was finished"),
        TopicSpec(DEFECT_BATCH_SUSPECTED, DefectBatchSuspected, "signal_id", 6,
                  "several owners of a building reported the same in-unit repair: a batch defect for engineering"),
        TopicSpec(SURVEY_DUE, SurveyDue, "customer_id", 6, "a return visit or survey should be made now"),
        TopicSpec(SURVEY_ANSWERED, SurveyAnswered, "customer_id", 6, "a return visit or survey was answered"),
    )
}

_NAMESPACE = re.compile(r"^[a-z0-9_]{0,32}$")


def dlq_name(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return topic + DLQ_SUFFIX


@dataclass(frozen=True)
class Topics:
    """Resolves logical topic names to the names on the cluster (with the namespace prefix)."""

    namespace: str = ""

    def __post_init__(self) -> None:
        if not _NAMESPACE.match(self.namespace):
            raise ValueError("namespace must be 0-32 characters of a-z, 0-9 and _")

    def __call__(self, logical: str) -> str:
        if logical not in TOPICS:
            raise KeyError(f"unknown topic {logical!r}")
        return f"{self.namespace}.{logical}" if self.namespace else logical

    def logical(self, physical: str) -> str:
        """The logical name of a physical topic (inverse of calling this object)."""
        prefix = f"{self.namespace}." if self.namespace else ""
        if not physical.startswith(prefix):
            raise KeyError(f"topic {physical!r} is not in namespace {self.namespace!r}")
        return physical[len(prefix):]

    def all_physical(self) -> list[tuple[str, int]]:
        """Every topic and its dead-letter topic, with partition counts, for creation at start."""
        out: list[tuple[str, int]] = []
        for spec in TOPICS.values():
            out.append((self(spec.name), spec.partitions))
            out.append((dlq_name(self(spec.name)), 1))
        return out
