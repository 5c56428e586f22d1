"""Operator commands for privacy requests and retention: ``candor participants withdraw``, ``candor purge``."""

from __future__ import annotations

import argparse
import asyncio
import re
import time

from adapters.runtime import open_runtime
from bot.config import Settings
from bot.delivery import FileSink
from bot.errors import ConfigError
from bot.types import Participant, Platform

_STUDY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_DURATION = re.compile(r"^(\d+)([dhm])$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}


def parse_participant(raw: str) -> Participant:
    """``slack:TEAM:USER`` or ``teams:TENANT:AAD_OBJECT_ID`` (``console:local:demo-participant`` for the demo)."""
    parts = raw.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise ConfigError(
            f"--user {raw!r}: write PLATFORM:WORKSPACE:USER, e.g. slack:T0123:U0456 or teams:TENANT:AAD-ID"
        )
    try:
        platform = Platform(parts[0].lower())
    except ValueError:
        raise ConfigError(f"--user {raw!r}: the platform must be slack, teams or console") from None
    return Participant(platform, parts[1], parts[2])


def withdraw(settings: Settings, args: argparse.Namespace) -> int:
    """A withdrawal asked for by e-mail: delete everything held about this participant."""
    participant = parse_participant(args.user)
    if args.study is not None and not _STUDY.match(args.study):
        raise ConfigError(f"--study {args.study!r}: write a study's flow id, e.g. ai-at-work")

    async def run() -> str:
        runtime = await open_runtime(settings, answer_window_seconds=0)
        try:
            history = await runtime.engine.history(participant)
            if args.study is not None:
                # A retired study's flow may be gone from the deployment; its transcripts still count.
                history = [entry for entry in history if entry.flow_id == args.study]
            replies = await runtime.engine.withdraw_everything(participant, args.study)
            scope = f" in study {args.study}" if args.study else ""
            return f"{replies[0].text} ({len(history)} interview record(s) for this participant{scope}.)"
        finally:
            await runtime.close()

    print(asyncio.run(run()))
    return 0


def purge(settings: Settings, args: argparse.Namespace) -> int:
    """Delete delivered transcripts kept locally (the file sink) past the retention period."""
    found = _DURATION.match(args.older_than)
    if not found:
        raise ConfigError(f"--older-than {args.older_than!r}: write a number and d, h or m, e.g. 30d")
    seconds = int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    removed = asyncio.run(FileSink(settings.data_dir).purge(seconds, time.time()))
    print(f"removed {len(removed)} transcript(s) older than {args.older_than} from {settings.data_dir}")
    return 0
