"""The default sink: one JSON file per interview plus a dataset-format CSV, under the data dir."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import fcntl
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

from bot.delivery.transcript import Transcript, dataset_text
from bot.errors import CandorError


class TranscriptIdTaken(CandorError):
    """A different transcript with the same id is already on disk; nothing is overwritten."""


class FileSink:
    """Writes ``transcripts/<id>.json`` and appends to ``transcripts.csv`` (``transcript_id,text``).

    The JSON is written first, then the CSV row, both under a file lock. A redelivery finds the
    JSON already there and only then scans the CSV, so a crash between the two steps neither
    loses nor doubles a row.
    """

    name = "file"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.json_dir = root / "transcripts"
        self.csv_path = root / "transcripts.csv"
        self._lock_path = root / ".transcripts.lock"

    async def deliver(self, transcript: Transcript) -> None:
        await asyncio.to_thread(self._deliver, transcript)

    async def check(self) -> str | None:
        """For candor doctor: can transcripts be written here? None when they can."""

        def probe() -> str | None:
            try:
                self.json_dir.mkdir(parents=True, exist_ok=True)
                test = self.json_dir / ".candor-doctor"
                test.write_text("ok")
                test.unlink()
            except OSError as exc:
                return f"{self.root}: {exc.strerror or exc}"
            return None

        return await asyncio.to_thread(probe)

    async def delete(self, transcript_id: str) -> bool:
        return await asyncio.to_thread(self._delete, transcript_id)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.json_dir.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _deliver(self, transcript: Transcript) -> None:
        path = self.json_dir / f"{transcript.transcript_id}.json"
        document = json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2) + "\n"
        with self._locked():
            redelivery = path.exists()
            if redelivery and path.read_text(encoding="utf-8") != document:
                raise TranscriptIdTaken(
                    f"{path} already holds a different interview: the transcript counter in Redis started "
                    "again while this folder kept older transcripts. Move the old files away, or set "
                    "CANDOR_DATA_DIR to a fresh folder; the new transcript stays in Redis until then."
                )
            if not redelivery:
                _atomic_write(path, document)
            if redelivery and transcript.transcript_id in self._csv_ids():
                return
            self._append_row(transcript.transcript_id, dataset_text(transcript.turns))

    def _append_row(self, transcript_id: str, text: str) -> None:
        new_file = not self.csv_path.exists() or self.csv_path.stat().st_size == 0
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if new_file:
            writer.writerow(["transcript_id", "text"])
        writer.writerow([transcript_id, text])
        with open(self.csv_path, "a", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())

    def _csv_ids(self) -> set[str]:
        if not self.csv_path.exists():
            return set()
        with open(self.csv_path, encoding="utf-8", newline="") as handle:
            return {row["transcript_id"] for row in csv.DictReader(handle)}

    async def purge(self, older_than_seconds: float, now: float) -> list[str]:
        """Remove delivered transcripts older than the retention period; returns their ids."""
        return await asyncio.to_thread(self._purge, older_than_seconds, now)

    def _purge(self, older_than_seconds: float, now: float) -> list[str]:
        if not self.json_dir.exists():
            return []
        old = sorted(
            path.stem for path in self.json_dir.glob("*.json") if now - path.stat().st_mtime > older_than_seconds
        )
        for transcript_id in old:
            self._delete(transcript_id)
        return old

    def _delete(self, transcript_id: str) -> bool:
        with self._locked():
            path = self.json_dir / f"{transcript_id}.json"
            found = path.exists()
            path.unlink(missing_ok=True)
            if self.csv_path.exists():
                with open(self.csv_path, encoding="utf-8", newline="") as handle:
                    rows = list(csv.reader(handle))
                kept = [row for row in rows[1:] if row and row[0] != transcript_id]
                found = found or len(kept) != len(rows) - 1
                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\n").writerows([rows[0], *kept] if rows else [])
                _atomic_write(self.csv_path, buffer.getvalue())
            return found


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
