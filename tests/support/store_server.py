"""A private MongoDB-wire server for tests that must kill the store itself.

The shared server of the suite cannot be killed (every other test uses it), so
tests of the store's own guarantees start one of their own: SecantusDB from the
local stack's venv, or ``mongod`` when it is on PATH (the two servers the stack
prefers). Each runs on a free port in a directory of the test's.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from .infra import REPO
from .services import free_port


def stack_dir() -> Path:
    return Path(os.environ.get("KEFU_STACK_DIR") or REPO / ".stack")


def available_servers() -> list[str]:
    """The kinds of server this machine can start: what the local stack installed, and mongod."""
    kinds = []
    if (stack_dir() / "secantus" / "venv" / "bin" / "kefu-secantusd").exists():
        kinds.append("secantus")
    if shutil.which("mongod"):
        kinds.append("mongod")
    return kinds


class PrivateStore:
    """One server process on its own port and data directory; kill it and start it again on the same data."""

    def __init__(self, kind: str, data_dir: Path) -> None:
        self.kind = kind
        self.data_dir = data_dir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"{kind}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def _argv(self) -> list[str]:
        if self.kind == "secantus":
            return [str(stack_dir() / "secantus" / "venv" / "bin" / "kefu-secantusd"), "--host", "127.0.0.1",
                    "--port", str(self.port), "--storage-path", str(self.data_dir), "--standalone",
                    "--cache-size", "128M", "--log-level", "WARNING"]
        return ["mongod", "--dbpath", str(self.data_dir), "--bind_ip", "127.0.0.1", "--port", str(self.port)]

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(self._argv(), stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"{self.kind} did not listen on {self.port} within {timeout}s")

    def kill(self) -> None:
        """SIGKILL, as when the machine loses power to the process: no shutdown, no flush."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(20)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
