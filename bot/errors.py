"""Exceptions that cross module boundaries, each carrying an operator-readable message."""

from __future__ import annotations


class CandorError(Exception):
    """Base class: ``str(error)`` is a complete sentence an operator can act on."""


class ConfigError(CandorError):
    """A setting is missing or has a value Candor cannot use."""


class StoreUnavailable(CandorError):
    """Redis could not be reached; the message was not stored and must not be acknowledged."""


class FlowNotFound(CandorError):
    """An interview flow id was asked for that no loaded flow file defines."""
