"""Logging setup: plain lines for a terminal, or one JSON object per line for a log pipeline."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.logcontext import INTERVIEW, REQUEST


class JsonFormatter(logging.Formatter):
    """One line per event: time, level, logger, message, and the request and interview it belongs to."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request := REQUEST.get():
            event["request"] = request
        if interview := INTERVIEW.get():
            event["interview"] = interview
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    """``CANDOR_LOG_LEVEL`` and ``CANDOR_LOG_FORMAT`` (text or json), for every command."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
