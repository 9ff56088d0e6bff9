"""Tokens and an HTTP client for routing's API in end-to-end tests."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
from kefu_kit.auth import new_token, token_hash

PEOPLE = {
    "engineering": ("department_staff", "engineering"),
    "property": ("department_staff", "property"),
    "customer_service": ("department_staff", "customer_service"),
    "specialist": ("complaint_specialist", None),
    "manager": ("cs_manager", None),
    "gm": ("cs_general_manager", None),
    "ops": ("ops", None),
}


@dataclass
class Tokens:
    plain: dict[str, str]

    @classmethod
    def make(cls) -> "Tokens":
        return cls({name: new_token() for name in PEOPLE})

    def env(self) -> str:
        return json.dumps([
            {"token_sha256": token_hash(self.plain[name]), "role": role, "department": dept, "name": name}
            for name, (role, dept) in PEOPLE.items()
        ])

    def client(self, base_url: str, who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {self.plain[who]}"},
                                 timeout=20)
