"""The kit's HTTP request counter and dependency gauge, through a real ServiceKit app (no lifespan, no servers)."""

from __future__ import annotations

from typing import ClassVar

from fastapi import APIRouter, HTTPException
from fastapi.testclient import TestClient
from kefu_kit import ServiceKit, ServiceSettings
from kefu_kit.auth import public


class MetricsSettings(ServiceSettings):
    service: ClassVar[str] = "metricstest"


def kit_and_client() -> tuple[ServiceKit, TestClient]:
    # Nothing listens on these ports: Kafka and the store are "down", which /health must say.
    kit = ServiceKit(MetricsSettings(kafka_bootstrap="127.0.0.1:1",
                                     mongo_url="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"))
    router = APIRouter()

    @router.get("/cases/{case_id}", openapi_extra=public("a test route"))
    async def case(case_id: str) -> dict[str, str]:
        if case_id == "missing":
            raise HTTPException(404, "no such case")
        return {"case_id": case_id}

    @router.post("/boom", openapi_extra=public("a test route"))
    async def boom() -> None:
        raise RuntimeError("a bug")

    return kit, TestClient(kit.app([router]), raise_server_exceptions=False)


def requests(kit: ServiceKit, route: str, status: str, method: str = "GET") -> float:
    value = kit.registry.get_sample_value(
        "kefu_http_requests_total", {"service": "metricstest", "method": method, "route": route, "status": status})
    return value or 0.0


def test_requests_are_counted_by_route_template_and_status_class() -> None:
    kit, client = kit_and_client()
    for case_id in ("C1", "C2", "C3", "missing"):
        client.get(f"/cases/{case_id}")
    assert requests(kit, "/cases/{case_id}", "2xx") == 3
    assert requests(kit, "/cases/{case_id}", "4xx") == 1
    # no series per raw path: ids never become label values
    labels = {s.labels["route"] for m in kit.registry.collect() if m.name == "kefu_http_requests" for s in m.samples}
    assert labels == {"/cases/{case_id}"}


def test_an_unhandled_exception_counts_as_5xx() -> None:
    kit, client = kit_and_client()
    assert client.post("/boom").status_code == 500
    assert requests(kit, "/boom", "5xx", "POST") == 1


def test_unknown_paths_and_methods_stay_bounded_label_values() -> None:
    kit, client = kit_and_client()
    client.get("/wp-admin/setup.php")
    client.get("/cases/C1/../../etc")
    client.request("BREW", "/cases/C1")
    assert requests(kit, "unmatched", "4xx") == 2
    assert requests(kit, "/cases/{case_id}", "4xx", "OTHER") == 1  # 405 on the matched template


def test_health_sets_the_dependency_gauge() -> None:
    kit, client = kit_and_client()
    assert client.get("/health").status_code == 503
    for dependency in ("kafka", "mongo"):
        assert kit.registry.get_sample_value(
            "kefu_dependency_up", {"service": "metricstest", "dependency": dependency}) == 0.0
    assert "kefu_dependency_up" in client.get("/metrics").text
