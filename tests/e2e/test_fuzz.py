"""Schemathesis against every service's OpenAPI document, on the real stack: no server error on any input.

Each service runs as its own process on real Kafka and a real store; every operation gets up to
``KEFU_FUZZ_EXAMPLES`` generated requests (valid and invalid), sent with a token of a role the operation
allows. The run fails on any 5xx, any response the document does not declare, and any 4xx outside the
kit's error shape; the figures are printed (``-s``) for the issue notes.
"""

from __future__ import annotations

import os

import pytest

from support.fuzz import fuzz

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SERVICES = ["intake", "routing", "notifications", "surveys", "membership", "dashboard", "knowledge"]
EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "20"))


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_error_on_any_input(services, service: str) -> None:
    (proc,) = services(service)
    report = fuzz(proc.url, max_examples=EXAMPLES)
    print(f"\nfuzz {service}: {report.summary()}")
    assert report.requests > report.operations, "schemathesis generated (almost) nothing"
    assert not report.failures, f"{len(report.failures)} failures ({report.summary()}):\n" + "\n".join(
        report.failures[:15])
