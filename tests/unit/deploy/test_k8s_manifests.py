"""The Kubernetes manifests in deploy/k8s, checked offline against schemas and against the services themselves.

Built-in kinds are validated in strict mode (unknown fields are errors) with the Kubernetes JSON schemas
that ``kubernetes-validate`` carries; KEDA's ScaledObject with the CRD schema vendored in
``schemas/scaledobject_v1alpha1.json`` (its ``$comment`` says where it came from). Then the semantic
checks a schema cannot make: probes on a port the container opens and a path the app serves, triggers
naming the consumer group and the topics the service's app really subscribes to (the app is built with
the environment the manifests give it), no more replicas than partitions, every file in the
kustomization, every service deployed, and docker-compose.yml running them all.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from unittest import mock

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kefu_contracts import TOPICS
from kefu_kit import ServiceSettings, subscriber_options

REPO = Path(__file__).resolve().parents[3]
K8S = REPO / "deploy" / "k8s"
SCALEDOBJECT_SCHEMA = Path(__file__).with_name("schemas") / "scaledobject_v1alpha1.json"
# 1.32: the oldest Kubernetes KEDA 2.19 is tested on (2.20 has not published its list); the newest we have.
K8S_VERSIONS = ("1.32", kubernetes_validate.latest_version())
KEDA = "keda.sh/v1alpha1"
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").exists())
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def load_yaml(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@functools.cache
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


@functools.cache
def objects() -> tuple[dict[str, Any], ...]:
    """Every object `kubectl apply -k deploy/k8s` creates, in file order."""
    return tuple(obj for name in kustomization()["resources"] for obj in load_yaml(K8S / name))


@functools.cache
def secret_example() -> dict[str, Any]:
    (secret,) = load_yaml(K8S / "secret.example.yaml")
    return secret


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def deployment(service: str) -> dict[str, Any]:
    return find("Deployment", f"kefu-{service}")


def container(service: str) -> dict[str, Any]:
    (only,) = deployment(service)["spec"]["template"]["spec"]["containers"]
    return only


def scaled_object(service: str) -> dict[str, Any]:
    return find("ScaledObject", f"kefu-{service}")


def container_env(service: str) -> dict[str, str]:
    """The environment the container starts with: the ConfigMap it loads, its own values, the Secret's keys."""
    c = container(service)
    env: dict[str, str] = {}
    for source in c.get("envFrom", []):
        env |= find("ConfigMap", source["configMapRef"]["name"])["data"]
    secret = secret_example()
    for var in c.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
            continue
        ref = var["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret["metadata"]["name"], f"{service}: unknown Secret {ref['name']}"
        assert ref["key"] in secret["stringData"], f"{service} reads {ref['key']}, missing from the example Secret"
        env[var["name"]] = secret["stringData"][ref["key"]]
    return env


def port_number(c: dict[str, Any], port: int | str) -> int:
    """A named or numbered port of the container, which must be one it declares."""
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    if isinstance(port, str):
        assert port in ports, f"port {port!r} is not one of the container's {sorted(ports)}"
        return ports[port]
    assert port in ports.values(), f"port {port} is not one of the container's {sorted(ports.values())}"
    return port


class Deployed:
    """A service's settings and app as the manifests configure them: what the pod would really run."""

    def __init__(self, service: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")} | container_env(service)
        with mock.patch.dict(os.environ, env, clear=True):
            settings_cls = importlib.import_module(f"kefu_{service}.settings").Settings
            self.settings: ServiceSettings = settings_cls()
            app = importlib.import_module(f"kefu_{service}.app").create_app(self.settings)
        self.settings_cls = settings_cls
        self.subscriptions = {(topic, s.group_id) for s in app.state.kit.broker.subscribers for topic in s.topic_names}
        self.get_paths = {path for path, ops in app.openapi()["paths"].items() if "get" in ops}


@functools.cache
def deployed(service: str) -> Deployed:
    return Deployed(service)


# --- files and kinds ---------------------------------------------------------------------------------


def test_kustomization_lists_every_manifest_file_and_only_existing_ones() -> None:
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    examples = {name for name in on_disk if name.endswith(".example.yaml")}
    assert examples == {"secret.example.yaml"}, "only the Secret is an example kept out of the kustomization"
    assert sorted(kustomization()["resources"]) == sorted(on_disk - examples)
    assert kustomization()["namespace"] == "kefu"


def test_every_object_lives_in_the_kustomization_namespace() -> None:
    namespace = kustomization()["namespace"]
    assert [o["metadata"]["name"] for o in objects() if o["kind"] == "Namespace"] == [namespace]
    for obj in (*objects(), secret_example()):
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == namespace, obj["metadata"]["name"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_a_deployment_a_service_and_a_scaled_object(service: str) -> None:
    assert (K8S / f"{service}.yaml").name in kustomization()["resources"]
    for kind in ("Deployment", "Service", "ScaledObject"):
        find(kind, f"kefu-{service}")


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_builtin_kinds_are_valid_kubernetes_in_strict_mode(version: str) -> None:
    checked = set()
    for obj in (*objects(), secret_example()):
        if obj["apiVersion"] == KEDA:
            continue
        kubernetes_validate.validate(obj, version, strict=True)
        checked.add(obj["kind"])
    assert checked == {"Namespace", "ConfigMap", "Secret", "Deployment", "Service"}


def test_strict_validation_rejects_a_misspelled_field() -> None:
    """Without strict mode a typo (here `livenesProbe`) would validate and the probe silently vanish."""
    broken = copy.deepcopy(deployment("intake"))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"httpGet": {"path": "/health"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


@functools.cache
def scaledobject_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCALEDOBJECT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_scaled_objects_match_the_keda_crd_schema() -> None:
    scaled = [o for o in objects() if o["apiVersion"] == KEDA]
    assert {o["kind"] for o in scaled} == {"ScaledObject"}
    for obj in scaled:
        scaledobject_validator().validate(obj)


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda so: so["spec"].update(maxReplicas=6), id="unknown field"),
        pytest.param(lambda so: so["spec"]["triggers"][0]["metadata"].update(allowIdleConsumers=False),
                     id="metadata value not a string"),
        pytest.param(lambda so: so["spec"].pop("scaleTargetRef"), id="no target"),
        pytest.param(lambda so: so["spec"].update(minReplicaCount=-1), id="negative minimum"),
    ],
)
def test_keda_schema_rejects_real_mistakes(breakage) -> None:
    broken = copy.deepcopy(scaled_object("intake"))
    breakage(broken)
    with pytest.raises(jsonschema.ValidationError):
        scaledobject_validator().validate(broken)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl: the files were checked as they are")
def test_kubectl_kustomize_renders_the_same_objects() -> None:
    rendered = subprocess.run(["kubectl", "kustomize", str(K8S)], check=True, capture_output=True, text=True).stdout
    names = sorted((o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(rendered) if o)
    assert names == sorted((o["kind"], o["metadata"]["name"]) for o in objects())


# --- deployments ------------------------------------------------------------------------------------


def pyproject_version(service: str) -> str:
    with (REPO / "services" / service / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["version"]


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_the_shared_dockerfile_built_for_the_service_at_its_version(service: str) -> None:
    dockerfile = (REPO / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG SERVICE" in dockerfile and "kefu_${KEFU_SERVICE}" in dockerfile
    image = f"kefu/{service}"
    assert container(service)["image"] == f"{image}:{pyproject_version(service)}"
    assert {"name": image, "newTag": pyproject_version(service)} in kustomization()["images"]


@pytest.mark.parametrize("service", SERVICES)
def test_replicas_are_left_to_keda(service: str) -> None:
    """A `replicas` in the Deployment would reset the autoscaler's count at every `kubectl apply`."""
    assert "replicas" not in deployment(service)["spec"]


@pytest.mark.parametrize("service", SERVICES)
def test_pods_run_restricted_as_the_image_user(service: str) -> None:
    uid = int(re.search(r"useradd[^\n]*--uid (\d+)", (REPO / "deploy" / "docker" / "Dockerfile").read_text()).group(1))
    pod = deployment(service)["spec"]["template"]["spec"]
    c = container(service)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}}
    # The root file system is read-only: the temp directory (notifications' file provider, matplotlib) is a volume.
    volumes = {v["name"]: v for v in pod["volumes"]}
    (tmp,) = [m for m in c["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert "emptyDir" in volumes[tmp["name"]]
    assert {"cpu", "memory"} <= set(c["resources"]["requests"])
    assert "memory" in c["resources"]["limits"]


@pytest.mark.parametrize("service", SERVICES)
def test_readiness_asks_the_dependencies_and_liveness_only_the_process(service: str) -> None:
    c = container(service)
    for probe in PROBES:
        get = c[probe]["httpGet"]
        assert port_number(c, get["port"]) == c["ports"][0]["containerPort"], probe
        assert c[probe]["timeoutSeconds"] > 4, probe
    # /health pings Kafka, then the store, each with a 2 s timeout (kefu_kit.service.ServiceKit.health):
    # an instance that cannot reach them gets no traffic...
    assert c["startupProbe"]["httpGet"]["path"] == c["readinessProbe"]["httpGet"]["path"] == "/health"
    # ...but is not restarted for it: an outage of Kafka or the store would otherwise restart every pod.
    assert c["livenessProbe"]["httpGet"]["path"] == "/livez"


def test_liveness_does_not_depend_on_kafka_or_the_store() -> None:
    from fastapi.testclient import TestClient
    from kefu_intake.app import create_app
    from kefu_intake.settings import Settings

    # Nothing listens on these ports: Kafka and the store are "down".
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", mongo_url="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500"))
    client = TestClient(app)  # no lifespan: the broker is not connected
    assert client.get("/health").status_code == 503
    assert client.get("/livez").json() == {"service": "intake", "status": "alive"}


@pytest.mark.parametrize("service", SERVICES)
def test_the_app_serves_the_probed_and_scraped_paths_on_the_declared_port(service: str) -> None:
    d = deployed(service)
    c = container(service)
    (port,) = c["ports"]
    annotations = deployment(service)["spec"]["template"]["metadata"]["annotations"]
    assert d.settings.port == port["containerPort"] == d.settings_cls.default_http_port
    assert d.settings.http_host not in ("127.0.0.1", "localhost"), "the kubelet probes the pod IP"
    assert {c[probe]["httpGet"]["path"] for probe in PROBES} <= d.get_paths
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] in d.get_paths
    assert int(annotations["prometheus.io/port"]) == port["containerPort"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_kefu_variable_is_a_setting_of_the_service(service: str) -> None:
    """pydantic-settings ignores unknown KEFU_ variables: a misspelt one would silently keep the default."""
    d = deployed(service)
    known = {f"KEFU_{name.upper()}" for name in d.settings_cls.model_fields}
    known.add(f"KEFU_{service.upper()}_HTTP_PORT")
    assert {name for name in container_env(service) if name.startswith("KEFU_")} <= known
    shared = {f"KEFU_{name.upper()}" for name in ServiceSettings.model_fields}
    assert set(find("ConfigMap", "kefu-config")["data"]) <= shared, "the shared ConfigMap holds shared settings only"


def test_the_secret_example_has_every_key_the_services_read_and_no_real_secret() -> None:
    for service in SERVICES:
        container_env(service)
    assert all("CHANGE-ME" in value or value == "[]" for value in secret_example()["stringData"].values())


@pytest.mark.parametrize("service", SERVICES)
def test_shutdown_has_time_to_finish_in_flight_messages(service: str) -> None:
    settings = deployed(service).settings
    grace = deployment(service)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > settings.graceful_timeout_s + 5, "uvicorn's graceful shutdown is graceful_timeout_s + 5"


@pytest.mark.parametrize("service", SERVICES)
def test_service_and_deployment_select_the_pods(service: str) -> None:
    labels = deployment(service)["spec"]["template"]["metadata"]["labels"]
    assert deployment(service)["spec"]["selector"]["matchLabels"].items() <= labels.items()
    svc = find("Service", f"kefu-{service}")
    assert svc["spec"]["selector"].items() <= labels.items()
    (port,) = svc["spec"]["ports"]
    assert port_number(container(service), port["targetPort"]) == port["port"]


# --- autoscaling on lag -----------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_scaled_object_scales_the_service_deployment_within_the_partitions(service: str) -> None:
    spec = scaled_object(service)["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"kefu-{service}"}
    deployment(service)
    partitions = min(TOPICS[t["metadata"]["topic"]].partitions for t in spec["triggers"])
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= partitions


@pytest.mark.parametrize("service", SERVICES)
def test_triggers_follow_the_group_and_topics_the_app_consumes(service: str) -> None:
    d = deployed(service)
    env = container_env(service)
    triggers = scaled_object(service)["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"kafka"}
    metas = [t["metadata"] for t in triggers]
    assert {d.settings.group_id} == {group for _, group in d.subscriptions} == {m["consumerGroup"] for m in metas}
    topics = [m["topic"] for m in metas]
    assert len(topics) == len(set(topics)), "one trigger per topic"
    assert set(topics) == {topic for topic, _ in d.subscriptions}
    assert {d.settings.topics.logical(t) for t in topics} <= set(TOPICS)
    for m in metas:
        assert env[m["bootstrapServersFromEnv"]] == d.settings.kafka_bootstrap
        assert m["offsetResetPolicy"] == subscriber_options(d.settings)["auto_offset_reset"]
        assert m["allowIdleConsumers"] == "false"
        assert int(m["lagThreshold"]) > 0


# --- docker compose ---------------------------------------------------------------------------------


def test_compose_runs_every_service_on_its_kubernetes_port() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    for service in SERVICES:
        svc = compose[service]
        assert svc["build"]["args"]["SERVICE"] == service
        port = svc["environment"]["KEFU_HTTP_PORT"]
        assert int(port) == container(service)["ports"][0]["containerPort"]
        assert f"{port}:{port}" in svc["ports"]
    assert compose["dashboard"]["environment"]["KEFU_HTTP_PORT"] == "8106"
