"""``candor analyze`` on a study-sized set: 1,250 synthetic transcripts of about 9,000 characters.

    python -m benchmarks.analysis [--count 1250] [--chars 9000] [--repeats 3] [--method tfidf|embeddings|both]
                                  [--json FILE]

The transcripts come from ``tests/analysis_corpus.py`` (planted themes, written as the file sink writes
them). Two measurements per method:

- the whole command as research ops run it (``candor analyze FOLDER --out DIR --offline``) in a child
  process: wall time (median of ``--repeats``) and the child's peak resident memory;
- the same analysis in this process, stage by stage, and how many planted themes it recovered
  (``tests/analysis_scoring.py``: a planted theme is recovered when a found theme of its question
  covers the same participants with F1 >= 0.6).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import machine
from bot.analysis.corpus import Reader
from bot.analysis.pipeline import analyze
from bot.analysis.sources import read_folder
from bot.analysis.vectors import DenseSpace, EmbeddingSpace, LatentSpace
from bot.flows.loader import FlowRegistry
from tests.analysis_corpus import synthetic_set, write_folder
from tests.analysis_scoring import recovery

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0


def command_run(folder: Path, out: Path, method: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``candor analyze`` child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    command = [sys.executable, "-m", "adapters.cli", "analyze", str(folder), "--out", str(out), "--offline"]
    env = {**os.environ, "CANDOR_DATA_DIR": str(out / "data")}
    env.pop("ANTHROPIC_API_KEY", None)
    subprocess.run([*command, "--method", method], check=True, cwd=ROOT, env=env, capture_output=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def space_for(method: str) -> DenseSpace:
    if method == "embeddings":
        from bot.analysis.embeddings import SentenceEmbedder

        return EmbeddingSpace(SentenceEmbedder())
    return LatentSpace()


def in_process(folder: Path, method: str, data: Any) -> dict[str, Any]:
    flows = FlowRegistry.from_dirs([ROOT / "interview_flows"])
    stages: dict[str, float] = {}
    started = time.perf_counter()
    interviews = read_folder(folder, Reader())
    stages["read + redact"] = time.perf_counter() - started
    mark = time.perf_counter()
    last = {"stage": "", "at": mark}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != last["stage"]:
            last["stage"], last["at"] = stage, now
        if done >= total:
            stages[stage] = now - float(last["at"])

    findings = analyze(
        interviews, source=str(folder), flow=flows.get("ai-at-work"), space=space_for(method), progress=progress
    )
    stages["analysis total"] = time.perf_counter() - mark
    question_of = {t.id: t.question_id for t in data.themes}
    found = [t for q in findings.questions for t in q.themes]
    score = recovery(data.planted, question_of, found)
    return {
        "stages": {k: round(v, 2) for k, v in stages.items()},
        "planted_themes": len(question_of),
        "themes_found": len(found),
        "planted_recall": round(score.recall, 3),
        "found_precision": round(score.precision, 3),
        "passages": len(findings.passages),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1250)
    parser.add_argument("--chars", type=int, default=9000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--method", choices=("tfidf", "embeddings", "both"), default="tfidf")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    methods = ["tfidf", "embeddings"] if args.method == "both" else [args.method]
    data = synthetic_set(args.count, seed=7, target_chars=args.chars)
    sizes = [len(json.dumps(d)) for d in data.documents]
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir) / "transcripts"
        folder.mkdir()
        write_folder(data, folder)
        text_chars = statistics.mean(
            sum(len(t["text"]) for t in d["turns"]) + 8 * len(d["turns"]) for d in data.documents
        )
        for method in methods:
            runs = [command_run(folder, Path(workdir) / f"out-{method}-{n}", method) for n in range(args.repeats)]
            row = {
                "method": method,
                "command_seconds": [round(s, 1) for s, _ in runs],
                "command_median_seconds": round(statistics.median(s for s, _ in runs), 1),
                "peak_rss_mb": round(max(m for _, m in runs)),
                **in_process(folder, method, data),
            }
            results.append(row)
    print(
        f"{args.count} transcripts, mean {text_chars:,.0f} characters of dialogue "
        f"({statistics.mean(sizes):,.0f} B of JSON)"
    )
    print(f"machine: {machine()}; Python {platform.python_version()}\n")
    print(
        f"{'method':<11} {'command (median)':>17} {'runs':>18} {'peak RSS':>9} "
        f"{'recall':>7} {'precision':>9} {'themes':>7}"
    )
    for row in results:
        runs = "/".join(f"{s:g}" for s in row["command_seconds"])
        print(
            f"{row['method']:<11} {row['command_median_seconds']:>15}s {runs:>18} {row['peak_rss_mb']:>6} MB "
            f"{row['planted_recall']:>7} {row['found_precision']:>9} {row['themes_found']:>4}/{row['planted_themes']}"
        )
    for row in results:
        print(f"\n{row['method']} stages (in process): " + ", ".join(f"{k} {v}s" for k, v in row["stages"].items()))
    if len(results) == 2:
        base, other = results
        ratio = other["command_median_seconds"] / base["command_median_seconds"]
        print(
            f"\n{other['method']} / {base['method']}, same run: {ratio:.1f}x the time, "
            f"{other['peak_rss_mb'] / base['peak_rss_mb']:.1f}x the peak memory"
        )
    verdict = results[0]["command_median_seconds"] < TARGET_SECONDS
    print(f"\ntarget: under {TARGET_SECONDS:.0f} s for the offline command: {'met' if verdict else 'NOT met'}")
    if args.json:
        payload = {"machine": machine(), "python": platform.python_version(), "count": args.count, "results": results}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
