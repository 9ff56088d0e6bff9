"""Fuzzing a running service through its own OpenAPI document (schemathesis), with a token each operation accepts.

``fuzz(base_url)`` generates up to ``max_examples`` requests per operation from the document (valid and
invalid data alike), sends each with the token of a role the operation lists in ``x-kefu-roles``, and checks
every response: no 5xx (``not_a_server_error``), the status and body the document declares
(``status_code_conformance``, ``response_schema_conformance``), and, for every 4xx, the kit's error shape.
It returns the figures; the test asserts there is no failure and reports the counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from . import auth

ERROR_KEYS = {"detail", "code", "status"}


@dataclass
class FuzzReport:
    requests: int = 0
    server_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    operations: int = 0
    kinds: set[str] = field(default_factory=set)

    def fail(self, kind: str, text: str) -> None:
        """Keep the first example of each kind of failure (operation, status, check): the rest repeat it."""
        if kind not in self.kinds:
            self.kinds.add(kind)
            self.failures.append(text)

    def summary(self) -> str:
        return (f"{self.operations} operations, {self.requests} requests, {self.server_errors} server errors, "
                f"statuses {dict(sorted(self.statuses.items()))}")


def _who(operation: dict[str, Any]) -> str | None:
    roles = operation.get("x-kefu-roles")
    if not roles:
        return None
    return auth.BY_ROLE[roles[0]]


def fuzz(base_url: str, *, max_examples: int = 25, exclude_paths: tuple[str, ...] = (),
         checks: tuple[Any, ...] = (not_a_server_error, status_code_conformance, response_schema_conformance),
         ) -> FuzzReport:
    """Fuzz every operation of the service at ``base_url``; failures are collected, not raised, so one run
    reports them all."""
    raw = httpx.get(base_url + "/openapi.json", timeout=20).json()
    schema = schemathesis.openapi.from_dict(raw)
    report = FuzzReport()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path in exclude_paths or operation.path in ("/metrics",):
                continue
            report.operations += 1
            who = _who(raw["paths"][operation.path][operation.method.lower()])
            headers = auth.headers(who) if who else {}

            @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def run(case: Any) -> None:
                kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
                with client.stream(kwargs.pop("method"), kwargs.pop("url"),
                                   **{k: v for k, v in kwargs.items() if k in
                                      ("headers", "params", "json", "content", "files", "data")}) as response:
                    if response.is_success and response.headers.get("content-type", "").startswith(
                            "text/event-stream"):
                        # a live stream never ends: its status and media type are the answer (read no body)
                        report.requests += 1
                        report.statuses[response.status_code] += 1
                        return
                    response.read()
                report.requests += 1
                report.statuses[response.status_code] += 1
                label = f"{operation.label} {response.status_code}: {case.as_curl_command()}"
                if response.status_code >= 500:
                    report.server_errors += 1
                    report.fail(f"{operation.label} 5xx", f"{label}\n  {response.text[:300]}")
                    return
                if 400 <= response.status_code < 500:
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                    if not isinstance(body, dict) or not ERROR_KEYS <= body.keys():
                        report.fail(f"{operation.label} shape",
                                    f"{label}\n  error body not in the kit's shape: {response.text[:200]}")
                try:
                    case.validate_response(response, checks=list(checks))
                except FailureGroup as group:  # a check failed: keep it and go on
                    for exc in group.exceptions:
                        report.fail(f"{operation.label} {response.status_code} {type(exc).__name__}",
                                    f"{label}\n  {type(exc).__name__}: {str(exc)[:400]}")

            run()
    return report
