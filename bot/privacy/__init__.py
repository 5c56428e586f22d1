"""Keeping participants unidentifiable: keyed conversation ids and text redaction."""

from bot.privacy.identity import conversation_key, load_or_create_key, study_pseudonym
from bot.privacy.redact import REDACTED, Redactor

__all__ = ["REDACTED", "Redactor", "conversation_key", "load_or_create_key", "study_pseudonym"]
