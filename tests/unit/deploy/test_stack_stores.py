"""deploy/local/stack.sh's per-service stores, as `env` and `status` report them (no servers started).

A store is "running" when its pid file names a live process whose command line names the
stack's directory (the rule for Kafka and the shared store too): stand-in processes play them.
What `env` prints is what `make up` gives the services and what tools evaluate, so it must list
exactly the stores that run, and nothing when none does (the test suite evaluates it too).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
STACK = REPO / "deploy" / "local" / "stack.sh"


def run(stack_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    environ.update(KEFU_STACK_DIR=str(stack_dir), KEFU_MONGO_PORT="47917", KEFU_KAFKA_PORT="47990", **env)
    return subprocess.run(["bash", str(STACK), *args], env=environ, capture_output=True, text=True, timeout=60)


@pytest.fixture
def stand_ins(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        p.kill()
        p.wait()


def fake_store(stack_dir: Path, service: str, port: int, procs: list[subprocess.Popen[bytes]]) -> None:
    """A process standing in for a store: alive, its command line naming the stack dir, listening nowhere."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)",
                             str(stack_dir / "secantus" / service)])
    procs.append(proc)
    run_dir = stack_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / f"store-{service}.pid").write_text(f"{proc.pid}\n")
    (run_dir / f"store-{service}.ports").write_text(f"{port}\n")


def exports(out: str) -> dict[str, str]:
    return dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if line.startswith("export "))


def test_env_without_per_service_stores_is_the_shared_server_only(tmp_path: Path) -> None:
    result = run(tmp_path, "env")
    assert result.returncode == 0, result.stderr
    assert exports(result.stdout) == {"KEFU_KAFKA_BOOTSTRAP": "127.0.0.1:47990",
                                      "KEFU_MONGO_URL": "mongodb://127.0.0.1:47917/"}


def test_env_gives_each_running_store_to_its_service(tmp_path: Path, stand_ins) -> None:
    fake_store(tmp_path, "intake", 47918, stand_ins)
    fake_store(tmp_path, "dashboard", 47923, stand_ins)
    (tmp_path / "run" / "store-routing.pid").write_text("999999\n")  # a store that is gone
    (tmp_path / "run" / "store-routing.ports").write_text("47919\n")
    values = exports(run(tmp_path, "env").stdout)
    assert values["KEFU_INTAKE_MONGO_URL"] == "mongodb://127.0.0.1:47918/"
    assert values["KEFU_DASHBOARD_MONGO_URL"] == "mongodb://127.0.0.1:47923/"
    assert "KEFU_ROUTING_MONGO_URL" not in values
    assert values["KEFU_MONGO_URL"] == "mongodb://127.0.0.1:47917/"  # the shared server stays what tests use
    assert not (tmp_path / "run" / "store-routing.pid").exists(), "the gone store's files are cleaned up"


def test_status_shows_the_stores_and_fails_for_one_that_was_started_and_is_gone(tmp_path: Path, stand_ins) -> None:
    fake_store(tmp_path, "intake", 47918, stand_ins)
    (tmp_path / "run" / "stores.env").write_text("export KEFU_INTAKE_MONGO_URL=mongodb://127.0.0.1:47918/\n")
    result = run(tmp_path, "status")
    assert result.returncode == 3
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines() if line.startswith("store ")}
    assert "NOT answering" in lines["store intake"]  # alive but not listening
    assert "stopped" in lines["store routing"]  # started by the last start (stores.env) and not running


def test_per_service_stores_are_refused_for_mongod(tmp_path: Path) -> None:
    """mongod is multi-threaded: one server uses every core, so it keeps one shared server."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for name in ("mongod", "java", "mvn"):
        (fake_bin / name).write_text("#!/bin/sh\nexit 0\n")
        (fake_bin / name).chmod(0o755)
    kafka_lib = tmp_path / "kafka" / "lib-4.3.1"
    kafka_lib.mkdir(parents=True)
    pom_sha = subprocess.run(["bash", "-c", f"cat {REPO}/deploy/local/pom.xml | sha256sum | cut -c1-16"],
                             capture_output=True, text=True).stdout.strip()
    (kafka_lib / ".stamp").write_text(f"kafka=4.3.1 log4j=default pom={pom_sha}")  # "installed": no download
    result = run(tmp_path, "start", KEFU_MONGO_IMPL="mongod", KEFU_STORES="per-service",
                 PATH=f"{fake_bin}:{os.environ['PATH']}")
    assert result.returncode != 0
    assert "KEFU_STORES=per-service runs SecantusDB servers, but the store here is mongod" in result.stderr
