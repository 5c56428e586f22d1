"""``candor keys generate`` and ``candor keys rotate``: new encryption keys, and moving data onto one."""

from __future__ import annotations

import argparse
import asyncio

from adapters.runtime import open_runtime
from bot.config import Settings
from bot.errors import ConfigError
from bot.state.crypto import VARIABLE, new_entry
from bot.state.store import RotationReport


def generate(args: argparse.Namespace) -> int:
    """Print an entry to put first in the variable; it needs no settings, so it works before any exist."""
    print(new_entry(args.id))
    return 0


def rotate(settings: Settings, args: argparse.Namespace) -> int:
    """Re-encrypt everything under the prefix with the first key; counts go to stdout."""
    if settings.encryption_keys is None:
        raise ConfigError(
            f"{VARIABLE} is not set: rotation re-encrypts under the first key it lists. Put the new key first "
            "and keep the old ones after it (a development key is in the data folder's encryption.key)"
        )

    async def run() -> RotationReport:
        runtime = await open_runtime(settings, answer_window_seconds=0, retry_outbox=False)
        try:
            return await runtime.engine.store.rotate()
        finally:
            await runtime.close()

    report = asyncio.run(run())
    print(
        f"re-encrypted {report.rewritten} value(s) under key {report.key_id!r}; {report.current} were already "
        f"under it; {report.keys} Redis key(s) scanned, {report.retries} retried after a concurrent write"
    )
    print(f"Every value is now under {report.key_id!r}: the other keys can be removed from {VARIABLE}.")
    return 0
