"""``candor health``: one container health check for both roles of the image.

A serve container is healthy while its /healthz answers. A worker has no HTTP port, and what it cannot
work without is Redis, so its check is a PING. The image's HEALTHCHECK runs ``python -m adapters.health``
(lighter than the whole ``candor`` command) and, with ``--role auto``, tells the roles apart by what the
container's main process runs, so ``docker run IMAGE candor worker`` stays healthy without an override.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from bot.config import load_settings
from bot.errors import ConfigError

ROLES = ("auto", "serve", "worker")
MAIN_PROCESS = Path("/proc/1/cmdline")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=ROLES, default="auto", help="what to check (default: what PID 1 runs)")
    parser.add_argument("--port", type=int, default=None, help="serve's port (default: $PORT, else 3000)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for an answer (default 3)")


def role_of_main_process(cmdline: Path = MAIN_PROCESS) -> str:
    """A health check runs beside the container's main process: a ``worker`` argument there means a worker."""
    try:
        arguments = cmdline.read_bytes().split(b"\0")
    except OSError:
        return "serve"
    return "worker" if b"worker" in arguments else "serve"


def check_serve(port: int, timeout: float) -> str | None:
    """Ask serve's /healthz on loopback; None when healthy, else what went wrong."""
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        return f"{url}: {exc}"
    return None if status == 200 else f"{url}: HTTP {status}"


def check_worker(timeout: float) -> str | None:
    """PING the Redis the worker uses; None when it answers (or when Redis is embedded in the process)."""
    import redis

    from bot.state.connect import sync_client

    try:
        url = load_settings().redis_url
    except ConfigError as exc:
        return str(exc)
    if url is None:
        return None  # the embedded Redis lives and dies with the worker itself
    client = sync_client(url, timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        # The exception names host and port, never the URL's password.
        return f"Redis: {type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


def _port(given: int | None) -> int:
    raw = str(given) if given is not None else os.environ.get("PORT", "3000")
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"invalid setting: PORT: must be a port number between 1 and 65535 (got {raw!r})")
    return int(raw)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when healthy, 1 when not (what Docker's HEALTHCHECK and a Kubernetes exec probe read)."""
    role = role_of_main_process() if args.role == "auto" else args.role
    try:
        problem = check_worker(args.timeout) if role == "worker" else check_serve(_port(args.port), args.timeout)
    except ConfigError as exc:
        problem = str(exc)
    if problem is not None:
        print(f"candor health ({role}): {problem}", file=sys.stderr)
        return 1
    print(f"candor health ({role}): ok")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="candor health", description="Check a candor serve or worker container.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
