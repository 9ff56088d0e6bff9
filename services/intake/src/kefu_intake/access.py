"""What a caller of the API may see of a customer: pure rules, so they are tested without a server.

Department staff see a customer only through the cases their department handles
(``CaseDepartments``): the profile when it has one there, and the contacts of those
cases only, not what the owner told another department. Roles without
``Principal.sees_pii`` (the analyst) get names, phone numbers, e-mail addresses and
free text masked: they count contacts, they do not call owners back.
"""

from __future__ import annotations

from typing import Any

from kefu_kit import mask_text, mask_value

# Free text an owner or an agent typed: it may hold a phone number or an ID number.
FREE_TEXT = ("subject", "body")


def mask_name(name: str | None) -> str | None:
    """孙女士 → 孙**: enough to tell a man from a woman on a list, not enough to find them."""
    if not name:
        return name
    return name[:1] + "*" * max(len(name) - 1, 1)


def masked_customer(customer: dict[str, Any]) -> dict[str, Any]:
    return {**customer, "name": mask_name(customer.get("name")),
            "phones": [mask_value("phone", p) for p in customer.get("phones", [])],
            "emails": [mask_value("email", e) for e in customer.get("emails", [])]}


def masked_contact(contact: dict[str, Any]) -> dict[str, Any]:
    out = {**contact, "caller_name": mask_name(contact.get("caller_name"))}
    for key in FREE_TEXT:
        if isinstance(out.get(key), str):
            out[key] = mask_text(out[key])
    return out


def profile_view(customer: dict[str, Any], contacts: list[dict[str, Any]], *, sees_pii: bool) -> dict[str, Any]:
    """The body of ``GET /customers/{id}`` for a caller who may or may not see personal data in clear."""
    if sees_pii:
        return {"customer": customer, "contacts": contacts}
    return {"customer": masked_customer(customer), "contacts": [masked_contact(c) for c in contacts]}
