"""What research ops do with waves, shared by ``candor wave ...`` and the ``/admin`` page.

Starting a wave only changes its state and enqueues its planning job; the work itself runs in
``candor worker`` processes (``adapters/worker.py``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from saq import Queue

from bot.delivery.transcript import dataset_text
from bot.errors import ConfigError
from bot.flows import FlowRegistry
from bot.state.model import Role, Turn
from bot.waves.spec import WaveSpec
from bot.waves.store import Funnel, Wave, WaveError, WaveState, WaveStore

PLAN_TIMEOUT = 4 * 3600
ExportFormat = Literal["csv", "jsonl", "dataset"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl", "dataset")


@dataclass(frozen=True, slots=True)
class WaveSummary:
    wave: Wave
    funnel: Funnel


class WaveOps:
    def __init__(self, store: WaveStore, queue: Queue, flows: FlowRegistry, transcripts_dir: Path) -> None:
        self.store = store
        self.queue = queue
        self.flows = flows
        # The file sink's folder of JSON transcripts: exports read the delivered, anonymized ones.
        self.transcripts_dir = transcripts_dir

    async def create(self, spec: WaveSpec) -> None:
        self.flows.get(spec.flow)  # an unknown flow is refused now, not when the first invitation goes
        await self.store.create(spec)

    async def start(self, wave_id: str) -> WaveState:
        state = await self.store.move(wave_id, "start")
        # Planning looks everyone up at the platform's pace: a large wave may take a while.
        await self.queue.enqueue("plan_wave", key=f"plan:{wave_id}", timeout=PLAN_TIMEOUT, retries=3, wave_id=wave_id)
        return state

    async def pause(self, wave_id: str) -> WaveState:
        return await self.store.move(wave_id, "pause")

    async def resume(self, wave_id: str) -> WaveState:
        state = await self.store.move(wave_id, "resume")
        await self.queue.enqueue("top_up", key=f"topup:{wave_id}", timeout=300, wave_id=wave_id)
        return state

    async def cancel(self, wave_id: str) -> WaveState:
        """Stops inviting and reminding; interviews already started carry on to their end."""
        return await self.store.move(wave_id, "cancel")

    async def summaries(self) -> list[WaveSummary]:
        return [await self.summary(wave_id) for wave_id in reversed(await self.store.ids())]

    async def summary(self, wave_id: str) -> WaveSummary:
        return WaveSummary(await self.store.get(wave_id), await self.store.funnel(wave_id))

    def _documents(self, wave_id: str) -> list[dict[str, object]]:
        if not self.transcripts_dir.is_dir():
            raise ConfigError(
                f"no transcripts folder at {self.transcripts_dir}: exports read the file sink's transcripts; "
                "add file to CANDOR_SINKS (or run the export where CANDOR_DATA_DIR holds them)"
            )
        found = []
        for path in sorted(self.transcripts_dir.glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("wave") == wave_id:
                found.append(document)
        return found

    async def export(self, wave_id: str, fmt: ExportFormat) -> bytes:
        """The wave's anonymized transcripts: ``jsonl`` documents, ``csv`` metadata and text, ``dataset`` text."""
        await self.store.get(wave_id)  # an unknown wave is an error, not an empty file
        if fmt not in EXPORT_FORMATS:
            raise WaveError(f"--format {fmt!r}: use csv, jsonl or dataset")
        documents = self._documents(wave_id)
        if fmt == "jsonl":
            return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents).encode()
        out = io.StringIO(newline="")
        if fmt == "dataset":
            writer = csv.DictWriter(out, fieldnames=["transcript_id", "text"])
            writer.writeheader()
            for document in documents:
                writer.writerow({"transcript_id": document["transcript_id"], "text": _text(document)})
        else:
            names = ["transcript_id", "flow_id", "flow_version", "started_at", "ended_at", "duration_seconds"]
            writer = csv.DictWriter(out, fieldnames=[*names, "ended_by", "text"])
            writer.writeheader()
            for document in documents:
                row = {name: document.get(name, "") for name in [*names, "ended_by"]}
                writer.writerow({**row, "text": _text(document)})
        return out.getvalue().encode()


def _text(document: dict[str, object]) -> str:
    turns = document.get("turns")
    if not isinstance(turns, list):
        return ""
    return dataset_text([Turn(Role(t["role"]), t["text"], t.get("question_id", ""), 0.0) for t in turns])
