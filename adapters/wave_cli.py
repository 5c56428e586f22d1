"""``candor wave ...``: research ops' commands for interview waves."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.console import bar
from adapters.runtime import open_runtime
from adapters.wave_ops import EXPORT_FORMATS, WaveOps, WaveSummary
from adapters.worker import job_queue
from bot.config import Settings
from bot.errors import ConfigError
from bot.flows.loader import FlowFileError, load_model_file
from bot.waves.spec import WaveSpec
from bot.waves.store import FUNNEL, WaveStore

EXIT_ERROR = 1


def add_parser(commands: Any) -> None:
    wave = commands.add_parser("wave", help="interview waves: create, start, watch, pause, export")
    sub = wave.add_subparsers(dest="wave_command", required=True)
    create = sub.add_parser("create", help="create a wave (draft) from a YAML file or from flags")
    create.add_argument("file", nargs="?", type=Path, help="a wave file (see the README)")
    create.add_argument("--id", dest="wave_id")
    create.add_argument("--flow")
    create.add_argument("--platform", choices=["slack", "teams"])
    create.add_argument("--workspace", help="Slack team id or Teams tenant id")
    create.add_argument("--users", default="", help="comma-separated user ids (Slack) or AAD object ids (Teams)")
    create.add_argument("--emails", default="", help="comma-separated e-mail addresses")
    create.add_argument("--channels", default="", help="comma-separated Slack channel ids: all their members")
    create.add_argument("--csv", help="a CSV of participants (user, email or aad_id, plus attributes)")
    create.add_argument("--opens", help="e.g. 2026-12-01T09:00:00+01:00")
    create.add_argument("--closes", help="e.g. 2026-12-12T17:00:00+01:00")
    create.add_argument("--window", default="09:30-16:30", help="local send window")
    create.add_argument("--timezone", default="UTC", help="for people whose own time zone is unknown")
    create.add_argument("--reminders", type=int, default=0, help="how many reminders")
    create.add_argument("--remind-every", default="2d", help="e.g. 2d or 36h")
    create.add_argument("--target", type=int, help="stop inviting after this many completes")
    for name, text in [
        ("start", "start inviting"),
        ("pause", "stop sending for now"),
        ("resume", "carry on after a pause"),
        ("cancel", "stop inviting and reminding for good"),
        ("status", "the wave's funnel, overall and per stratum"),
    ]:
        sub.add_parser(name, help=text).add_argument("wave_id")
    sub.add_parser("list", help="every wave, newest first")
    export = sub.add_parser("export", help="the wave's anonymized transcripts")
    export.add_argument("wave_id")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="dataset")
    export.add_argument("--out", type=Path, help="write here instead of standard output")


def _spec_from_flags(args: argparse.Namespace) -> WaveSpec:
    missing = [
        flag
        for flag, value in [
            ("--id", args.wave_id),
            ("--flow", args.flow),
            ("--platform", args.platform),
            ("--workspace", args.workspace),
            ("--opens", args.opens),
            ("--closes", args.closes),
        ]
        if not value
    ]
    if missing:
        raise ConfigError(f"wave create: give a wave file, or all of {', '.join(missing)}")

    def split(text: str) -> list[str]:
        return [part.strip() for part in text.split(",") if part.strip()]

    data: dict[str, Any] = {
        "id": args.wave_id,
        "flow": args.flow,
        "platform": args.platform,
        "workspace": args.workspace,
        "participants": {
            "users": split(args.users),
            "emails": split(args.emails),
            "slack_channels": split(args.channels),
            "csv": args.csv,
        },
        "opens_at": args.opens,
        "closes_at": args.closes,
        "send_window": args.window,
        "timezone": args.timezone,
        "reminders": {"count": args.reminders, "every": [args.remind_every]},
        "target_completes": args.target,
    }
    try:
        return WaveSpec.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc']) or '(wave)'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("wave create: " + "; ".join(lines)) from None


def _list_lines(summaries: list[WaveSummary]) -> list[str]:
    lines = [f"{'wave':<24} {'state':<10} {'flow':<20} {'invited':>7} {'completed':>9}  progress"]
    for item in summaries:
        counts, spec = item.funnel.counts, item.wave.spec
        goal = spec.target_completes or counts["invited"]
        lines.append(
            f"{spec.id:<24} {item.wave.state.value:<10} {spec.flow:<20} {counts['invited']:>7} "
            f"{counts['completed']:>9}  [{bar(counts['completed'], goal)}] {counts['completed']}/{goal}"
        )
    return lines


def _status_lines(item: WaveSummary) -> list[str]:
    spec, funnel = item.wave.spec, item.funnel
    rate = funnel.completion_rate
    lines = [
        f"wave {spec.id} ({item.wave.state.value}): flow {spec.flow} on {spec.platform}",
        f"open {spec.opens_at.isoformat()} to {spec.closes_at.isoformat()}, window {spec.send_window} local",
        "",
        *(f"  {stage.replace('_', ' '):<12} {funnel.counts[stage]:>6}" for stage in FUNNEL),
        "",
        f"completion rate: {'-' if rate is None else f'{rate:.0%}'} of invited;"
        f" median duration: {'-' if funnel.median_minutes is None else f'{funnel.median_minutes} min'}",
    ]
    if funnel.by_stratum and spec.quotas is not None:
        lines += ["", f"per {spec.quotas.by}:"]
        for name, counts in funnel.by_stratum.items():
            target = spec.quotas.target(name)
            lines.append(f"  {name:<16} invited {counts['invited']:>5}  completed {counts['completed']:>4} of {target}")
    if item.wave.problems:
        lines += ["", "problems found while planning:", *(f"  {p}" for p in item.wave.problems[:20])]
    return lines


async def _with_ops(settings: Settings, work: Callable[[WaveOps], Awaitable[int]]) -> int:
    runtime = await open_runtime(settings, answer_window_seconds=0, retry_outbox=False)
    queue = job_queue(runtime.connect_url, settings.redis_prefix)
    try:
        store = WaveStore(runtime.client, settings.redis_prefix, runtime.engine.store.keyring)
        ops = WaveOps(store, queue, runtime.engine.flows, settings.data_dir / "transcripts")
        return await work(ops)
    finally:
        await queue.disconnect()
        await runtime.close()


def wave(settings: Settings, args: argparse.Namespace) -> int:
    command = args.wave_command
    spec: WaveSpec | None = None
    if command == "create":
        try:
            spec = load_model_file(args.file, WaveSpec, "wave") if args.file else _spec_from_flags(args)
        except FlowFileError as exc:
            print(f"candor: the wave file is invalid:\n{exc}", file=sys.stderr)
            return 2

    async def run(ops: WaveOps) -> int:
        if spec is not None:
            await ops.create(spec)
            print(f"created wave {spec.id} (draft); start it with: candor wave start {spec.id}")
        elif command == "list":
            print("\n".join(_list_lines(await ops.summaries())))
        elif command == "status":
            print("\n".join(_status_lines(await ops.summary(args.wave_id))))
        elif command == "export":
            data = await ops.export(args.wave_id, args.format)
            if args.out is None:
                sys.stdout.write(data.decode())
            else:
                args.out.write_bytes(data)
                print(f"wrote {args.out} ({len(data):,} bytes, {args.format})", file=sys.stderr)
        else:
            state = await getattr(ops, command)(args.wave_id)
            print(f"wave {args.wave_id} is now {state.value} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
        return 0

    return asyncio.run(_with_ops(settings, run))
