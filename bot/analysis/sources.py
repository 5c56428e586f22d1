"""Reading a folder of delivered transcripts or a CSV in the public dataset's format.

Errors name the file (and line, for CSV) and say what to do; nothing is skipped silently.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path

from bot.analysis.corpus import Interview, Reader, SourceError
from bot.textfiles import NotUtf8, utf8_text

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def read_folder(
    folder: Path,
    reader: Reader,
    *,
    flow_id: str | None = None,
    groups: Mapping[str, str] | None = None,
    only: Collection[str] | None = None,
) -> list[Interview]:
    """Every ``*.json`` transcript in ``folder`` (of one flow); ``groups`` maps transcript ids to strata.

    With ``only``, just those transcripts are read (a wave's, from a folder that holds other studies too).
    """
    paths = sorted(folder.glob("*.json"))
    if only is not None:
        paths = [p for p in paths if p.stem in only]
    if not paths:
        raise SourceError(f"{folder}: no transcript JSON files here; point at the file sink's folder")
    documents = []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{path}: not readable as JSON ({exc}); remove it or fix it") from None
        if not isinstance(document, dict):
            raise SourceError(f"{path}: expected one transcript object")
        documents.append((path, document))
    flows = sorted({str(d.get("flow_id", "")) for _, d in documents})
    if flow_id is None and len(flows) > 1:
        raise SourceError(f"{folder}: holds transcripts of several flows ({', '.join(flows)}); choose one with --flow")
    chosen = [(p, d) for p, d in documents if flow_id is None or d.get("flow_id") == flow_id]
    if not chosen:
        raise SourceError(f"{folder}: no transcripts of flow {flow_id!r}; flows here: {', '.join(flows)}")
    interviews: list[Interview] = []
    seen: dict[str, Path] = {}
    for path, document in chosen:
        tid = str(document.get("transcript_id", ""))
        interview = reader.from_document(document, where=str(path), group=(groups or {}).get(tid, ""))
        if interview.transcript_id in seen:
            raise SourceError(
                f"{path}: transcript_id: {tid!r} is also in {seen[tid].name}; keep one copy of each transcript"
            )
        seen[interview.transcript_id] = path
        interviews.append(_located(interview, str(path)))
    return interviews


def _located(interview: Interview, location: str) -> Interview:
    return replace(interview, location=location)


def read_csv(path: Path, reader: Reader, *, by: str | None = None) -> list[Interview]:
    """Rows of ``transcript_id,text``; any other column can be the ``--by`` attribute."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot open ({exc.strerror})") from None
    try:
        text = utf8_text(data)
    except NotUtf8 as exc:
        raise SourceError(f'{path}:{exc.line}: not UTF-8 text; save the file as UTF-8 ("CSV UTF-8")') from None
    rows = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = rows.fieldnames or []
    except csv.Error as exc:
        raise SourceError(f"{path}:1: header: not valid CSV ({exc})") from None
    missing = [name for name in ("transcript_id", "text") if name not in columns]
    if missing:
        raise SourceError(
            f"{path}:1: header: no {' or '.join(missing)} column; the public dataset's format is transcript_id,text"
        )
    if by is not None and by not in columns:
        raise SourceError(f"{path}:1: header: no {by!r} column for --by; columns: {', '.join(columns)}")
    interviews: list[Interview] = []
    seen: set[str] = set()
    end = rows.line_num
    try:
        for row in rows:
            line, end = end + 1, rows.line_num  # a row's first line: its text may span many
            tid, body = (row.get("transcript_id") or "").strip(), row.get("text") or ""
            if not tid:
                raise SourceError(f"{path}:{line}: transcript_id: empty; give every row an id")
            if tid in seen:
                raise SourceError(f"{path}:{line}: transcript_id: {tid!r} appears twice; ids must be unique")
            seen.add(tid)
            group = (row.get(by) or "").strip() if by else ""
            interviews.append(reader.from_text(tid, body, where=f"{path}:{line}", group=group))
    except csv.Error as exc:
        raise SourceError(f"{path}:{rows.line_num}: not valid CSV ({exc})") from None
    if not interviews:
        raise SourceError(f"{path}: no rows after the header")
    return interviews
