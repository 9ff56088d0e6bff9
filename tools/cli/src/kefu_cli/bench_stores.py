"""The bench's store servers: which server a URL is, and SecantusDB servers of the bench's own.

Issue 8 asks whether one server per service database (each service owns its
store, the servers spread over the cores) beats one shared server.
``--stores per-service`` starts one SecantusDB per service; ``--stores private``
starts one for all three, with the same total cache: the fair opponent, since
the stack's server (``--stores shared``) also serves everyone else's tests on a
shared machine. They run on free ports, each in a temp dir, from the stack's own
SecantusDB install (``$KEFU_STACK_DIR/secantus``), and are stopped afterwards.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from .stores import stack_dir

CACHE_MB = 256  # per service


def describe(url: str) -> str:
    """What the server at ``url`` says it is: ``secantusdb 0.7.0b3``, ``ferretdb v1.24.2`` or ``mongodb 8.0.4``."""
    with MongoClient(url, serverSelectionTimeoutMS=5000) as client:
        info: dict[str, Any] = client.admin.command("buildInfo")
    return server_name(info)


def server_name(info: dict[str, Any]) -> str:
    if info.get("secantusVersion"):
        return f"secantusdb {info['secantusVersion']}"
    if "ferretdb" in info or "ferretdbVersion" in info:
        version = info.get("ferretdb", {}).get("version") if isinstance(info.get("ferretdb"), dict) else None
        return f"ferretdb {version or info.get('ferretdbVersion', '?')}"
    return f"mongodb {info.get('version', '?')}"


def shared_store_pid(url: str) -> int | None:
    """The stack's store server process, when ``url`` is that server on this machine (its RSS goes in the report)."""
    run = stack_dir() / "run"
    try:
        port = int((run / "mongo.ports").read_text().strip())
        pid = int((run / "mongo.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    host_port = url.split("://", 1)[-1].split("/", 1)[0].split(",")[0]
    return pid if host_port in (f"127.0.0.1:{port}", f"localhost:{port}") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StoreServers:
    """SecantusDB servers started for one bench run, one per service: url and pid by service."""

    urls: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _dir: Path | None = None

    def start(self, services: list[str], one_for_all: bool = False, timeout: float = 60.0) -> None:
        binary = stack_dir() / "secantus" / "venv" / "bin" / "kefu-secantusd"
        if not binary.exists():
            raise SystemExit(f"bench --stores per-service: no SecantusDB at {binary} (deploy/local/stack.sh install)")
        self._dir = Path(tempfile.mkdtemp(prefix="kefu-bench-stores-"))
        names = ["all"] if one_for_all else services
        cache = f"{CACHE_MB * len(services)}M" if one_for_all else f"{CACHE_MB}M"
        for name in names:
            port = free_port()
            data = self._dir / name
            data.mkdir()
            log = open(self._dir / f"{name}.log", "ab")
            proc = subprocess.Popen([str(binary), "--host", "127.0.0.1", "--port", str(port), "--storage-path",
                                     str(data), "--standalone", "--cache-size", cache, "--log-level", "WARNING"],
                                    stdout=log, stderr=log)
            self._procs.append(proc)
            self.pids[name] = proc.pid
            for service in (services if one_for_all else [name]):
                self.urls[service] = f"mongodb://127.0.0.1:{port}/"
        deadline = time.monotonic() + timeout
        for service, url in sorted(set(self.urls.items())):
            while True:
                try:
                    with MongoClient(url, serverSelectionTimeoutMS=1000) as client:
                        client.admin.command("ping")
                    break
                except PyMongoError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"store server for {service} did not answer (log in {self._dir})")
                    time.sleep(0.3)

    def env(self) -> dict[str, str]:
        """``KEFU_<SERVICE>_MONGO_URL`` for each service: the setting that beats ``KEFU_MONGO_URL``."""
        return {f"KEFU_{service.upper()}_MONGO_URL": url for service, url in self.urls.items()}

    def stop(self, timeout: float = 30.0) -> None:
        for proc in self._procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
