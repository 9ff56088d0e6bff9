"""Who is told what, on which channel: the decisions, one function per event that matters.

Staff (department, assignee, approvers) are told on every channel the directory
gives them (inbox always), at once: quiet hours are for owners. Owners are told
on one channel: their own preference (preferences API) when it can reach them,
else the channel the event prefers, else SMS when a phone is known, else email,
else WeChat; an owner kefu cannot reach is not messaged (nothing to deliver).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kefu_contracts import (
    CaseAssigned,
    CommunityEventSignupChanged,
    ComplaintEscalated,
    MemberJoined,
    SurveyDue,
)

from .directory import StaffContact, StaffDirectory
from .templates import DEFAULT_LOCALE

OWNER_CHANNELS = ("sms", "wechat", "email")
_FALLBACK_ORDER = ("sms", "email", "wechat")


@dataclass(frozen=True)
class Planned:
    """One message to send: to whom, where, with which template and extra template fields."""

    recipient: str
    channel: str
    address: str
    template: str
    audience: Literal["staff", "owner"]
    urgent: bool = False
    locale: str = DEFAULT_LOCALE
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OwnerContact:
    customer_id: str | None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None

    def address(self, channel: str) -> str | None:
        return {"sms": self.phone, "email": self.email, "wechat": self.wechat_openid}.get(channel)


@dataclass(frozen=True)
class Preference:
    """What an owner asked for: a channel (sms, wechat, email) and a language (zh, en)."""

    channel: str | None = None
    locale: str = DEFAULT_LOCALE


def owner_channel(contact: OwnerContact, preference: Preference | None, event_channel: str | None) -> tuple[str, str] | None:
    """(channel, address) for an owner, or None when no channel can reach them."""
    wanted = [preference.channel if preference else None, event_channel, *_FALLBACK_ORDER]
    for channel in wanted:
        if channel in OWNER_CHANNELS and (address := contact.address(channel)):
            return channel, address
    return None


def _staff(contact: StaffContact, template: str) -> list[Planned]:
    return [Planned(contact.recipient, channel, address, template, "staff", fields={"recipient_name": contact.name})
            for channel, address in contact.channels()]


def _owner(contact: OwnerContact, preference: Preference | None, event_channel: str | None, template: str,
           urgent: bool = False) -> list[Planned]:
    if not contact.customer_id:
        return []
    route = owner_channel(contact, preference, event_channel)
    if route is None:
        return []
    channel, address = route
    locale = preference.locale if preference else DEFAULT_LOCALE
    names = {"owner_name": contact.name or "业主", "owner_name_en": contact.name or "owner"}
    return [Planned(f"customer:{contact.customer_id}", channel, address, template, "owner", urgent, locale, names)]


def for_case_assigned(event: CaseAssigned, directory: StaffDirectory) -> list[Planned]:
    """The department learns it has a new case, and the assignee that it is theirs."""
    planned = _staff(directory.contact("department", event.department), "case_assigned.department")
    if event.assignee:
        planned += _staff(directory.contact("staff", event.assignee), "case_assigned.assignee")
    return planned


def for_complaint_escalated(event: ComplaintEscalated, directory: StaffDirectory) -> list[Planned]:
    """Whoever approves plans at the new level (level 1 the CS manager, 2-3 the general manager), and the department."""
    return (_staff(directory.contact("role", event.approver_role.value), "complaint_escalated.approver")
            + _staff(directory.contact("department", event.department), "complaint_escalated.department"))


def for_survey_due(event: SurveyDue, preference: Preference | None) -> list[Planned]:
    """The owner's return visit or survey invitation (non-urgent: it waits for the end of quiet hours)."""
    c = event.customer
    contact = OwnerContact(c.customer_id, c.name, c.phone, c.email)
    # surveys puts the owner's single-use answer link on the event for channels the owner answers on
    template = f"survey_due.{event.kind.value}" + (".link" if event.answer_url else "")
    return _owner(contact, preference, event.preferred_channel.value, template)


def for_member_joined(event: MemberJoined, preference: Preference | None) -> list[Planned]:
    c = event.contact
    contact = OwnerContact(event.customer_id, c.name, c.phone, c.email, c.wechat_openid)
    # membership signs the owner's club link when it holds the link secret; the welcome then carries it
    return _owner(contact, preference, None, "member_joined.owner_link" if event.club_url else "member_joined.owner")


def for_signup_changed(event: CommunityEventSignupChanged, preference: Preference | None) -> list[Planned]:
    """Confirmed, waitlisted, promoted or cancelled: the owner hears; a check-in needs no message."""
    if event.status == "checked_in":
        return []
    c = event.contact
    contact = OwnerContact(event.customer_id, c.name, c.phone, c.email, c.wechat_openid)
    return _owner(contact, preference, None, f"community_event.{event.status}")
