"""``candor eval``, ``candor flows plan`` and ``candor flows review``: the glue between the CLI and bot/."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import tempfile
import textwrap
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from adapters.runtime import Runtime, flow_dirs, open_runtime
from bot.config import Settings
from bot.engine import InterviewEngine
from bot.engine.texts import COMMANDS_HINT
from bot.errors import ConfigError, FlowNotFound
from bot.evaluation import (
    CaptureSink,
    InterviewMetrics,
    Source,
    Summary,
    TranscriptFileError,
    load_sources,
    measure,
    reference_sources,
    replay,
    summarize,
)
from bot.flows import Flow, FlowFileError, FlowRegistry, load_flow_file, privacy_notice

# The same codes as adapters.cli: 1 something failed, 2 bad input from the operator.
EXIT_ERROR = 1
EXIT_USAGE = 2

# -- candor eval ----------------------------------------------------------------------------------------------


async def _replay_all(
    settings: Settings, sources: list[Source], flow_id: str | None
) -> tuple[Flow, list[InterviewMetrics]]:
    """Every source through a fresh engine on its own key prefix; the keys are deleted afterwards."""
    runtime = await open_runtime(settings, answer_window_seconds=0)
    try:
        flow = runtime.engine.flows.get(flow_id or settings.default_flow)
        capture = CaptureSink()
        base = runtime.engine
        engine = InterviewEngine(
            flows=base.flows,
            store=base.store,
            interviewer=base.interviewer,
            sinks=[*base.sinks, capture],
            secret=runtime.secret,
            options=base.options,
        )
        results = []
        for source in sources:
            done = await replay(engine, capture, source, flow.id)
            results.append(
                measure(
                    source.name, flow, done.turns, done.usage, done.ended_by, done.answers_given, done.extra_answers
                )
            )
        return flow, results
    finally:
        await _forget(runtime, settings.redis_prefix)
        await runtime.close()


async def _forget(runtime: Runtime, prefix: str) -> None:
    """Delete the run's keys; when Redis itself failed, the error that says so is the one to show."""
    with contextlib.suppress(RedisError, OSError):
        keys = [key async for key in runtime.client.scan_iter(f"{prefix}:*", count=500)]
        for start in range(0, len(keys), 500):
            await runtime.client.delete(*keys[start : start + 500])


_COLUMNS = (
    ("transcript", 18),
    ("ended", 10),
    ("coverage", 9),
    ("follow-ups", 11),
    ("refer", 6),
    ("max ?", 6),
    ("mean ?", 7),
    ("leading", 8),
    ("q words", 8),
    ("turns", 6),
    ("tokens in", 10),
    ("out", 7),
    ("cost $", 8),
    ("fallbacks", 10),
)
_RULE = "-" * sum(width for _, width in _COLUMNS)


def _row(cells: list[str]) -> str:
    first, *rest = zip(cells, (width for _, width in _COLUMNS), strict=True)
    return f"{first[0]:<{first[1]}}" + "".join(f"{cell:>{width}}" for cell, width in rest)


def _cells(name: str, ended: str, m: InterviewMetrics | Summary, coverage: float) -> list[str]:
    leading = m.leading_flags if isinstance(m.leading_flags, int) else len(m.leading_flags)
    tokens_in = m.input_tokens + m.cache_read_tokens + m.cache_write_tokens
    return [
        name[:17],
        ended[:10],
        f"{coverage:.2f}",
        str(m.follow_ups),
        str(m.follow_ups_referring),
        str(m.questions_per_turn_max),
        f"{m.questions_per_turn_mean:.2f}",
        str(leading),
        f"{m.question_words_mean:.1f}",
        str(m.turns),
        str(tokens_in),
        str(m.output_tokens),
        f"{m.cost:.4f}",
        str(m.fallbacks),
    ]


def table(flow: Flow, results: list[InterviewMetrics], overall: Summary) -> str:
    lines = [f"Replayed {overall.interviews} interviews with the {flow.id} flow (v{flow.version}).", ""]
    lines += [_row([heading for heading, _ in _COLUMNS]), _RULE]
    lines += [_row(_cells(m.name, m.ended_by, m, m.coverage)) for m in results]
    lines.append(_RULE)
    ended = f"{overall.completed}/{overall.interviews}"
    lines.append(_row(_cells("overall", ended, overall, overall.coverage_mean)))
    flags = [f"  {m.name}: {flag}" for m in results for flag in m.leading_flags]
    lines += ["", "Possibly leading wording:", *flags] if flags else ["", "No leading wording found."]
    cared = ", ".join(f"{m.name} ({m.care_messages})" for m in results if m.care_messages)
    lines += [f"Care messages after signs of distress (check they were warranted): {cared}"] if cared else []
    lines += ["", "refer: follow-ups that pick up the participant's words; max ? / mean ?: question marks per"]
    lines += ["interviewer message (1 is one question at a time); q words: mean words per question."]
    return "\n".join(lines)


def _report(settings: Settings, flow: Flow, results: list[InterviewMetrics], overall: Summary) -> dict[str, Any]:
    per = [{**dataclasses.asdict(m), "coverage": m.coverage} for m in results]
    interviewer = "claude" if settings.anthropic_api_key else "scripted"
    return {
        "flow": {"id": flow.id, "version": flow.version, "core_questions": len(flow.questions)},
        "interviewer": interviewer,
        "model": settings.model if interviewer == "claude" else None,
        "interviews": per,
        "overall": dataclasses.asdict(overall),
    }


def evaluate(settings: Settings, args: argparse.Namespace) -> int:
    """Replay real answers through the configured interviewer and print how it did."""
    try:
        sources = load_sources(args.transcripts) if args.transcripts else reference_sources()
    except TranscriptFileError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="candor-eval-") as scratch:
        isolated = settings.model_copy(
            update={"data_dir": Path(scratch), "redis_prefix": f"candor-eval-{uuid.uuid4().hex[:12]}"}
        )
        flow, results = asyncio.run(_replay_all(isolated, sources, args.flow))
    overall = summarize(results)
    print(table(flow, results, overall))
    if args.json:
        args.json.write_text(json.dumps(_report(settings, flow, results, overall), indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


# -- candor flows plan ----------------------------------------------------------------------------------------


def _goals(given: str) -> str:
    """A file's contents when ``given`` names a file, else ``given`` itself."""
    try:
        is_file = Path(given).is_file()
    except (OSError, ValueError):  # text too long or too odd to be a file name
        is_file = False
    try:
        text = Path(given).read_text(encoding="utf-8") if is_file else given
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--goals {given}: cannot read the file: {exc}") from None
    if not text.strip():
        raise ConfigError("--goals is empty: describe what the study wants to learn, from whom, and how long it takes")
    return text


def plan(settings: Settings, args: argparse.Namespace) -> int:
    """Draft a flow with Claude and write it as YAML marked DRAFT, for a researcher to review."""
    if settings.anthropic_api_key is None:
        raise ConfigError("flows plan needs ANTHROPIC_API_KEY (Claude drafts the flow); set it and run again")
    key = settings.anthropic_api_key.get_secret_value()
    if args.out.exists() and not args.force:
        raise ConfigError(f"{args.out} already exists: choose another --out, or add --force to replace it")
    goals = _goals(args.goals)
    source = args.study_from or settings.default_flow
    try:
        study = FlowRegistry.from_dirs(flow_dirs(settings)).get(source).study
    except FlowNotFound as exc:
        raise ConfigError(f"--study-from: {exc}") from None
    import anthropic

    from bot.flows.planning import PlanFailed, draft_flow, draft_yaml

    async def run() -> Any:
        async with anthropic.AsyncAnthropic(
            api_key=key,
            max_retries=settings.model_max_retries,
            timeout=max(settings.model_timeout_seconds, 180.0),  # a whole flow takes longer than one turn
        ) as client:
            return await draft_flow(client, settings.model, goals, study=study, flow_id=args.id)

    try:
        draft = asyncio.run(run())
    except PlanFailed as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except anthropic.APIError as exc:
        print(f"candor: flows plan: the Anthropic API failed: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        args.out.write_text(draft_yaml(draft.flow, date.today()), encoding="utf-8")
    except OSError as exc:
        print(f"candor: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    tries = "first try" if draft.attempts == 1 else "after one correction"
    print(f"wrote {args.out}: DRAFT {draft.flow.id}, {len(draft.flow.questions)} questions ({tries}).")
    print(f"The study facts (who, contact, storage, retention) were copied from {source}: check them too.")
    print(f"Review it before use: candor flows review {args.out}")
    return 0


# -- candor flows review --------------------------------------------------------------------------------------


def _block(text: str, first: str = "  ", rest: str = "") -> list[str]:
    """Wrapped paragraphs; ``first`` starts the first line (a number), ``rest`` indents the others."""
    out: list[str] = []
    for paragraph in text.strip().split("\n"):
        lead = first if not out else (rest or first)
        out += textwrap.wrap(paragraph, 96, initial_indent=lead, subsequent_indent=rest or first) or [""]
    return out


def review_text(flow: Flow) -> str:
    """What a participant reads, in order; then, apart, what only the interviewer sees."""
    lines = [f"{flow.title} ({flow.id} v{flow.version}), about {flow.estimated_minutes} minutes", ""]
    lines += ["WHAT THE PARTICIPANT SEES", "=" * 25, "", "Introduction:", *_block(flow.introduction)]
    lines += ["", *_block(COMMANDS_HINT), "", "Privacy notice (with the scripted interviewer; Claude adds its name):"]
    lines += [*_block(privacy_notice(flow.study, "", flow.model_sees_unredacted))]
    lines += ["", "Consent (Yes / No):", *_block(flow.consent), "", "Questions:"]
    for number, question in enumerate(flow.questions, 1):
        lines += _block(question.ask, f"{number:>3}. ", "     ")
    lines += ["", "Closing question:", *_block(flow.closing_question), "", "Thank-you:", *_block(flow.thank_you)]
    lines += ["", "", "RESEARCHER NOTES (never shown to participants)", "=" * 46, ""]
    for number, question in enumerate(flow.questions, 1):
        lines.append(f"{number:>3}. {question.id}: up to {question.follow_ups} follow-up(s)")
        lines += _block(f"To learn: {question.learn}", "     ")
    lines += ["", f"Time budget: {flow.time_budget_minutes} minutes; language: {flow.language}"]
    lines.append(f"Support text: {flow.support.strip() if flow.support else '(none: the deployment default)'}")
    lines.append(f"Model sees unredacted answers: {'yes' if flow.model_sees_unredacted else 'no'}")
    lines.append(f"Links allowed in the interviewer's messages: {'yes' if flow.links_allowed else 'no'}")
    return "\n".join(lines)


def review(path: Path) -> int:
    try:
        flow = load_flow_file(path)
    except FlowFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_ERROR
    print(review_text(flow))
    return 0
