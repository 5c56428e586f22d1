"""The interview engine: the state machine, its commands, and its single-round-trip persistence."""

from bot.engine.engine import ContentionError, DeliveryPending, EngineOptions, InterviewEngine

__all__ = ["ContentionError", "DeliveryPending", "EngineOptions", "InterviewEngine"]
