"""docker-compose.yml is checked offline (no Docker engine here): the real images, every service, settings."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
SERVICES = ("intake", "routing", "notifications", "surveys", "membership", "dashboard", "knowledge")


def load() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def test_real_kafka_4_and_mongo_8_images() -> None:
    services = load()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["mongo"]["image"].startswith("mongo:8")


def test_every_service_is_built_from_the_shared_dockerfile_and_points_at_the_stack() -> None:
    services = load()["services"]
    for name in SERVICES:
        svc = services[name]
        assert svc["build"]["args"]["SERVICE"] == name
        assert (REPO / svc["build"]["dockerfile"]).exists()
        env = svc["environment"]
        assert env["KEFU_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["KEFU_MONGO_URL"].startswith("mongodb://mongo:")
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
        port = env["KEFU_HTTP_PORT"]
        assert f"{port}:{port}" in svc["ports"]


def test_every_service_package_exists_for_the_dockerfile() -> None:
    for name in SERVICES:
        assert (REPO / "services" / name / "pyproject.toml").exists()
        assert (REPO / "services" / name / "src" / f"kefu_{name}" / "__main__.py").exists()
