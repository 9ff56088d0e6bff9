"""kefu's published event contracts (version 1).

One definition of each event, used by producers and consumers alike. Change
them only by adding optional fields; a breaking change needs ``schema_version: 2``.
"""

from .calls import CallReceived, Caller, Channel, ContactKind, PropertyRef
from .cases import CaseAssigned, CaseFollowedUp, CaseOpened, CaseStatus, CaseStatusChanged
from .complaints import ApproverRole, ComplaintEscalated, ComplaintGroupChanged, EscalationReason
from .envelope import DerivedEvent, Event, derived_event_id, utc_now
from .members import (
    CommunityEventAttended,
    CommunityEventSignupChanged,
    Contact,
    MemberJoined,
    MemberTierChanged,
    PropertyHandedOver,
)
from .notifications import NotificationFailed
from .repairs import DefectBatchSuspected, Money, RepairCompleted
from .surveys import PreferredChannel, SurveyAnswered, SurveyCustomer, SurveyDue, SurveyKind
from .topics import (
    CALL_RECEIVED,
    CASE_ASSIGNED,
    CASE_FOLLOWED_UP,
    CASE_STATUS_CHANGED,
    MEMBER_TIER_CHANGED,
    MEMBER_JOINED,
    PROPERTY_HANDED_OVER,
    COMMUNITY_EVENT_SIGNUP_CHANGED,
    COMMUNITY_EVENT_ATTENDED,
    NOTIFICATION_FAILED,
    CASE_OPENED,
    COMPLAINT_ESCALATED,
    COMPLAINT_GROUP_CHANGED,
    DEFECT_BATCH_SUSPECTED,
    REPAIR_COMPLETED,
    SURVEY_ANSWERED,
    SURVEY_DUE,
    TOPICS,
    Topics,
    TopicSpec,
    dlq_name,
)

__all__ = [
    "CALL_RECEIVED", "CASE_ASSIGNED", "CASE_OPENED", "COMPLAINT_ESCALATED", "COMPLAINT_GROUP_CHANGED", "DEFECT_BATCH_SUSPECTED", "REPAIR_COMPLETED",
    "SURVEY_ANSWERED", "SURVEY_DUE", "TOPICS", "ApproverRole", "CallReceived", "Caller", "CaseAssigned",
    "CaseOpened", "CaseFollowedUp", "CaseStatus", "CaseStatusChanged", "Channel", "MemberTierChanged",
    "CASE_FOLLOWED_UP", "CASE_STATUS_CHANGED", "MEMBER_TIER_CHANGED", "MEMBER_JOINED", "PROPERTY_HANDED_OVER",
    "COMMUNITY_EVENT_SIGNUP_CHANGED", "COMMUNITY_EVENT_ATTENDED", "NOTIFICATION_FAILED", "CommunityEventAttended",
    "CommunityEventSignupChanged", "Contact", "MemberJoined", "PropertyHandedOver", "NotificationFailed", "ComplaintEscalated", "ComplaintGroupChanged", "ContactKind", "DefectBatchSuspected", "DerivedEvent", "EscalationReason", "Event",
    "Money", "PreferredChannel", "PropertyRef", "RepairCompleted", "SurveyAnswered", "SurveyCustomer",
    "SurveyDue", "SurveyKind", "TopicSpec", "Topics", "derived_event_id", "dlq_name", "utc_now",
]
