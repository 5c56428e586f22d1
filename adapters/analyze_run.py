"""The work of ``candor analyze``: find the source, show progress, choose Claude and embeddings, write the files.

The analysis itself lives in ``bot/analysis``; this module writes ``report.html``, ``findings.json`` and
``codebook.csv``. It is imported only when the command runs (scikit-learn and matplotlib take a while).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import anthropic

from adapters.console import bar
from adapters.runtime import build_redactor, flow_dirs, open_runtime
from bot.analysis.claude import ClaudeAnalyst, code_all
from bot.analysis.codebook import Code, codebook_csv, read_codebook
from bot.analysis.corpus import Interview, Reader, SourceError
from bot.analysis.pipeline import Findings, Options, analyze, by_group, code_offline, set_codes
from bot.analysis.report import Report
from bot.analysis.sources import read_csv, read_folder
from bot.analysis.themes import Theme
from bot.analysis.vectors import DenseSpace, EmbeddingSpace, LatentSpace
from bot.config import Settings
from bot.errors import ConfigError
from bot.flows import FlowRegistry
from bot.state.model import CLOSING


class ProgressBar:
    """One line, rewritten in place on a terminal; whole lines per stage when output is a file or pipe."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 28) -> None:
        self.stream = stream
        self.width = width
        self.live = stream.isatty()
        self.stage = ""
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        shown = bar(done, total, self.width) if total else "#" * self.width
        line = f"{stage:<20} [{shown}] {done}/{total} {elapsed:5.1f}s"
        if self.live:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        elif done >= total and stage != self.stage:
            self.stream.write(line + "\n")
            self.stage = stage
        self.stream.flush()


def _space(method: str) -> DenseSpace:
    if method == "tfidf":
        return LatentSpace()
    from bot.analysis.embeddings import EmbeddingsUnavailable, SentenceEmbedder, embeddings_available

    if method == "auto" and not embeddings_available():
        return LatentSpace()
    try:
        return EmbeddingSpace(SentenceEmbedder())
    except EmbeddingsUnavailable as exc:
        raise ConfigError(str(exc)) from None


async def _from_wave(
    settings: Settings, wave_id: str, reader: Reader, by: str | None
) -> tuple[list[Interview], dict[str, Any], str, str | None]:
    """The wave's delivered transcripts (from the file sink's folder), its funnel and its strata."""
    from bot.waves.store import WaveStore

    runtime = await open_runtime(settings, answer_window_seconds=0, retry_outbox=False)
    try:
        store = WaveStore(runtime.client, settings.redis_prefix, runtime.engine.store.keyring)
        wave = await store.get(wave_id)
        funnel = await store.funnel(wave_id)
        members = await store.transcript_members(wave_id)
        attribute = wave.spec.quotas.by if wave.spec.quotas is not None else None
        if by is not None and by != attribute:
            raise SourceError(
                f"wave {wave_id}: --by {by!r}: this wave's strata are by {attribute or 'nothing (no quotas)'}; "
                "use that attribute, or export the wave to CSV with your own column"
            )
        folder = settings.data_dir / "transcripts"
        if not folder.is_dir():
            raise SourceError(
                f"{folder}: no transcripts folder; the analysis reads the file sink's transcripts "
                "(add file to CANDOR_SINKS, or run where CANDOR_DATA_DIR holds them)"
            )
        if not any((folder / f"{tid}.json").is_file() for tid in members):
            raise SourceError(f"wave {wave_id}: no delivered transcripts of this wave in {folder} yet")
        groups = {tid: member.stratum for tid, member in members.items()}
        # Only the wave's own files are read: the folder may hold other studies, even a broken file.
        interviews = read_folder(folder, reader, flow_id=wave.spec.flow, groups=groups, only=members)
        stages = dict(funnel.counts)
        return interviews, stages, wave.spec.flow, attribute
    finally:
        await runtime.close()


def _claude(settings: Settings) -> ClaudeAnalyst | None:
    """The same client settings as the interviewer: key, retries and timeout."""
    if settings.anthropic_api_key is None:
        return None
    client = anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        max_retries=settings.model_max_retries,
        timeout=settings.model_timeout_seconds,
    )
    return ClaudeAnalyst(client, settings.model)


async def _with_claude(
    findings: Findings, analyst: ClaudeAnalyst, codes: list[Code] | None, progress: ProgressBar
) -> None:
    themes = findings.all_themes()
    points = findings.points
    if points is None:
        raise RuntimeError("analyze first")
    done = 0
    progress("Claude: naming", 0, len(themes))

    async def name(theme: Theme) -> None:
        nonlocal done
        await analyst.name_theme(theme, findings.passages, points)
        done += 1
        progress("Claude: naming", done, len(themes))

    try:
        await asyncio.gather(*(name(t) for t in themes))
        if codes is not None:
            progress("Claude: coding", 0, len(findings.interviews))
            results, failed = await code_all(
                analyst, findings.interviews, codes, lambda d, t: progress("Claude: coding", d, t)
            )
            set_codes(findings, results, "Claude, each coding checked against a verbatim quote")
            if failed:
                findings.notes.append(f"Claude could not code {failed} transcripts; they are left out of the counts.")
    finally:
        findings.notes.append(analyst.ledger.note())
        await analyst.client.close()


@dataclass
class Loaded:
    interviews: list[Interview]
    flow_id: str | None
    by: str | None
    funnel: dict[str, Any] | None = None


def _load(settings: Settings, args: argparse.Namespace, reader: Reader) -> Loaded:
    """SOURCE is a folder, a CSV file, or else a wave id."""
    source = Path(args.source)
    if source.is_dir():
        if args.by:
            raise SourceError(
                f"{source}: --by {args.by!r}: delivered transcripts carry no attributes; analyse the wave by its id, "
                "or a CSV with that column"
            )
        interviews = read_folder(source, reader, flow_id=args.flow)
        return Loaded(interviews, args.flow or interviews[0].flow_id, None)
    if source.is_file():
        return Loaded(read_csv(source, reader, by=args.by), args.flow, args.by)
    if source.suffix or "/" in args.source:
        raise SourceError(f"{source}: no such file or folder")
    interviews, funnel, flow_id, attribute = asyncio.run(_from_wave(settings, args.source, reader, args.by))
    return Loaded(interviews, args.flow or flow_id, args.by or attribute, funnel)


def run_analysis(settings: Settings, args: argparse.Namespace) -> int:
    started = time.monotonic()
    progress = ProgressBar()
    flows = FlowRegistry.from_dirs(flow_dirs(settings))
    k = args.min_group if args.min_group is not None else settings.admin_min_group
    if k < 1:
        raise ConfigError("--min-group must be at least 1")
    _writable(args.out)  # a bad --out or codebook is reported before the work, not after it
    reader = Reader(build_redactor(settings), flow=flows.get(args.flow) if args.flow else None)
    loaded = _load(settings, args, reader)
    flow = flows.get(loaded.flow_id) if loaded.flow_id and loaded.flow_id in flows else None
    questions = [*(q.id for q in flow.questions), CLOSING] if flow is not None else []
    answered = {a.question_id for i in loaded.interviews for a in i.answers if a.question_id}
    codes = read_codebook(args.codebook, questions or sorted(answered)) if args.codebook else None
    space = _space(args.method)
    options = Options(min_group=k, seed=args.seed)
    findings = analyze(
        loaded.interviews, source=args.source, flow=flow, space=space, options=options, progress=progress
    )
    findings.funnel = loaded.funnel
    if loaded.by is not None:
        by_group(findings, loaded.by)
    analyst = None if args.offline else _claude(settings)
    if codes is not None and analyst is None:
        progress("coding", 0, 1)
        code_offline(findings, codes)
        progress("coding", 1, 1)
    if analyst is not None:
        asyncio.run(_with_claude(findings, analyst, codes, progress))
    _write(findings, args.out)
    print(
        f"analysed {len(loaded.interviews)} interviews in {time.monotonic() - started:.1f}s: "
        f"{sum(len(q.themes) for q in findings.questions)} themes over {len(findings.questions)} questions, "
        f"{len(findings.across.themes) if findings.across else 0} across the interview\n"
        f"wrote {args.out / 'report.html'}, findings.json and codebook.csv"
    )
    return 0


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".candor-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write there ({exc.strerror}); choose another folder") from None


def _write(findings: Findings, out: Path) -> None:
    try:
        findings_json = json.dumps(findings.to_dict(), indent=2, ensure_ascii=False) + "\n"
        (out / "findings.json").write_text(findings_json, encoding="utf-8")
        (out / "codebook.csv").write_text(codebook_csv(findings.all_themes()), encoding="utf-8")
        (out / "report.html").write_text(Report(findings, out).html(), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{out}: cannot write the report ({exc.strerror}); choose another --out folder") from None
