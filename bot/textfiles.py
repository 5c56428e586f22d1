"""Reading an operator's text file (answers, CSV): UTF-8, a byte-order mark allowed, a bad byte named by line."""

from __future__ import annotations


class NotUtf8(ValueError):
    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is not UTF-8")
        self.line = line


def utf8_text(data: bytes) -> str:
    """The text of ``data``; raises NotUtf8 with the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8(data[: exc.start].count(b"\n") + 1) from None
