"""``candor analyze``: its arguments; the work is in ``adapters/analyze_run.py``, imported when it runs.

Other commands (the container's health check among them) start without loading scikit-learn or matplotlib.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("analyze", help="themes, quotes, saturation and participation, as a report")
    parser.add_argument("source", help="a wave id, a folder of delivered transcript JSON, or a transcript_id,text CSV")
    parser.add_argument("--out", type=Path, required=True, help="folder for report.html, findings.json, codebook.csv")
    parser.add_argument("--flow", help="the interview flow (matches dataset turns to its questions)")
    parser.add_argument(
        "--by", help="break participation and themes down by this attribute (a CSV column or a wave's strata)"
    )
    parser.add_argument("--codebook", type=Path, help="code every transcript against this edited codebook.csv")
    parser.add_argument("--min-group", type=int, help="hide any group, theme or code with fewer people (default: 5)")
    parser.add_argument(
        "--method",
        choices=("auto", "tfidf", "embeddings"),
        default="auto",
        help="vectors for clustering: embeddings when candor[analysis] is installed (auto), or TF-IDF",
    )
    parser.add_argument("--offline", action="store_true", help="never ask Claude, even with ANTHROPIC_API_KEY set")
    parser.add_argument("--seed", type=int, default=0, help="clustering seed (same input and seed, same themes)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.analyze_run import run_analysis

    return run_analysis(settings, args)
