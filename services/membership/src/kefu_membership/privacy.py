"""Who sees a member's contact details in clear, and what the others see.

The club's records name owners: their name, phone, e-mail and WeChat id. People
who contact owners (``Principal.sees_pii``: hotline agents, customer relations,
managers) need them; the data analyst reads members to count them and gets them
masked, so a report or a screen shared in a meeting never carries them. The
masking keeps enough to tell two owners apart (``王**``, ``138****5678``).
"""

from __future__ import annotations

from typing import Any

from kefu_kit.auth import Principal
from kefu_kit.masking import mask_value

from .domain.members import MemberContact

# The contact fields that identify a person (kefu_contracts.Contact): all masked for a role without PII.
PERSONAL = ("name", "phone", "email", "wechat_openid")


def mask_name(name: str) -> str:
    """The first character (a Chinese surname, or an initial) and a star for each other one."""
    name = name.strip()
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def contact_for(who: Principal, contact: MemberContact) -> MemberContact:
    """``contact`` as ``who`` may see it: in clear for a PII role, else every personal field masked.

    The same fields either way (masked, not dropped), and a field the member's record lacks stays absent.
    """
    if who.sees_pii:
        return contact.model_copy(deep=True)
    shown: dict[str, Any] = {}
    for key, value in contact.to_doc().items():
        if not isinstance(value, str) or key not in PERSONAL:
            shown[key] = value
        elif key == "name":
            shown[key] = mask_name(value)
        else:
            shown[key] = mask_value("phone" if key == "wechat_openid" else key, value)
    return MemberContact.from_doc(shown)
