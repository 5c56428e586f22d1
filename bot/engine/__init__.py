"""The interview engine: the state machine, its commands, and its single-round-trip persistence."""

from bot.engine.engine import ContentionError, EngineOptions, InterviewEngine

__all__ = ["ContentionError", "EngineOptions", "InterviewEngine"]
