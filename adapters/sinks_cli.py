"""``candor sinks status`` and ``candor sinks retry``: what is waiting for which sink, and a push."""

from __future__ import annotations

import argparse
import asyncio
import time

from adapters.runtime import Runtime, open_runtime
from bot.config import Settings


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)}s"
    if seconds < 7200:
        return f"{int(seconds // 60)}m"
    return f"{seconds / 3600:.1f}h"


async def _report(runtime: Runtime) -> tuple[list[str], int]:
    now = time.time()
    waiting = await runtime.engine.store.outbox()
    header = f"{'sink':<10} {'failing':>7}  oldest  last error"
    lines = [f"{len(waiting)} transcript(s) waiting in the outbox", "", header]
    for sink in runtime.engine.sinks:
        failures = await runtime.engine.store.sink_ledger.failures(sink.name)
        if not failures:
            lines.append(f"{sink.name:<10} {0:>7}  -       -")
            continue
        newest = max(failures, key=lambda failure: failure.last_at)
        attempts = sum(failure.attempts for failure in failures)
        oldest = _age(now - failures[0].first_at)
        lines.append(
            f"{sink.name:<10} {len(failures):>7}  {oldest:<6}  {newest.error} {_age(now - newest.last_at)} ago"
            f" ({attempts} failed attempt(s))"
        )
    return lines, len(waiting)


def sinks(settings: Settings, args: argparse.Namespace) -> int:
    """Status never delivers anything; retry tries every waiting transcript once, now."""

    async def run() -> tuple[list[str], int]:
        runtime = await open_runtime(settings, answer_window_seconds=0, retry_outbox=False)
        try:
            before: list[str] = []
            if args.sinks_command == "retry":
                delivered = await runtime.engine.deliver_outbox(force=True)
                before = [f"delivered {delivered} transcript(s)", ""]
            lines, waiting = await _report(runtime)
            return before + lines, waiting
        finally:
            await runtime.close()

    lines, waiting = asyncio.run(run())
    print("\n".join(lines))
    # A script can tell "all delivered" (0) from "still waiting" (3).
    return 0 if waiting == 0 else 3
