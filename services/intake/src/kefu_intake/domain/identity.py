"""Who is calling: the identity keys a contact carries, in the form the archive is keyed by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu_contracts import Caller, derived_event_id

from .phones import InvalidPhone, normalise_email, normalise_phone


class UnidentifiableCaller(ValueError):
    """No usable phone, email or customer id: the contact cannot be put in any customer's archive."""


@dataclass(frozen=True)
class CallerIdentity:
    """Canonical identity keys, strongest first: customer id, then phone, then email."""

    keys: tuple[str, ...]
    phone: str | None
    email: str | None
    customer_id: str | None

    def new_customer_id(self) -> str:
        """The id to give a caller we have never seen: a given id, else one derived from the strongest key.

        Derived, not random, so that two instances racing on the same new caller create one customer.
        """
        return self.customer_id or derived_event_id("cust", self.keys[0])


def identify(caller: Caller) -> CallerIdentity:
    """The archive keys of ``caller``; a phone we cannot normalise is kept by its digits, marked unverified."""
    keys: list[str] = []
    customer_id = caller.customer_id
    if customer_id:
        keys.append(f"cid:{customer_id}")
    phone = None
    if caller.phone:
        try:
            phone = normalise_phone(caller.phone)
        except InvalidPhone:
            digits = re.sub(r"\D", "", caller.phone)
            phone = f"unverified:{digits}" if len(digits) >= 5 else None
        if phone:
            keys.append(f"phone:{phone}")
    email = None
    if caller.email:
        try:
            email = normalise_email(caller.email)
            keys.append(f"email:{email}")
        except ValueError:
            email = None
    if not keys:
        raise UnidentifiableCaller("caller has no usable phone, email or customer_id")
    return CallerIdentity(tuple(keys), phone, email, customer_id)
