"""Running kefu services as real processes (``python -m kefu_<name>``), as production does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from kefu_kit.settings import is_service_mongo_url_var

from .infra import Infra


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    """One instance of one service, with its own log file; start, stop, kill, restart."""

    def __init__(self, name: str, infra: Infra, namespace: str, log_dir: Path, extra_env: dict[str, str] | None = None):
        self.name = name
        # a port given in the environment is kept (a test that must know a service's origin before starting it)
        self.port = int((extra_env or {}).get("KEFU_HTTP_PORT") or free_port())
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.env = {
            # no inherited KEFU_<SERVICE>_MONGO_URL: the service stores where the test reads (a test may pass one)
            **{k: v for k, v in os.environ.items() if not is_service_mongo_url_var(k)},
            "KEFU_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "KEFU_MONGO_URL": infra.mongo_url,
            "KEFU_NAMESPACE": namespace,
            "KEFU_HTTP_PORT": str(self.port),
            "KEFU_LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True, timeout: float = 90.0) -> "ServiceProcess":
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n--- start #{self.starts} ---\n".encode())
        log.flush()
        self.proc = subprocess.Popen([sys.executable, "-m", f"kefu_{self.name}"], env=self.env, stdout=log, stderr=log)
        if wait:
            self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log:\n{self.tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not healthy in {timeout}s; log:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no commit, as when a machine dies."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait: a graceful shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode if self.proc else None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
