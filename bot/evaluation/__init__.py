"""Evaluating an interviewer by replaying real interviews and measuring the transcripts it produces."""

from bot.evaluation.metrics import InterviewMetrics, Summary, measure, summarize
from bot.evaluation.replay import (
    CaptureSink,
    Replayed,
    Source,
    TranscriptFileError,
    load_sources,
    reference_sources,
    replay,
)

__all__ = [
    "CaptureSink",
    "InterviewMetrics",
    "Replayed",
    "Source",
    "Summary",
    "TranscriptFileError",
    "load_sources",
    "measure",
    "reference_sources",
    "replay",
    "summarize",
]
