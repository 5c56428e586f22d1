"""``candor analyze WAVE``: the wave's delivered transcripts, its funnel, and a breakdown by its strata."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from pathlib import Path

from adapters.runtime import open_runtime
from bot.config import Settings
from bot.types import Participant, Platform
from bot.waves.store import WaveStore
from tests.analysis_corpus import SyntheticSet, synthetic_set, write_folder
from tests.test_wave_cli import _candor

WAVE = """\
id: {wave}
flow: ai-at-work
platform: slack
workspace: T0001
participants:
  users: [U1001]
opens_at: 2026-12-01T09:00:00+01:00
closes_at: 2026-12-12T17:00:00+01:00
quotas:
  by: department
  per_stratum: 30
"""


async def run_wave(settings: Settings, wave: str, data: SyntheticSet) -> list[str]:
    """Members per department, each interview completed and linked as the wave tracker does; one withdrawn."""
    runtime = await open_runtime(settings, answer_window_seconds=0, retry_outbox=False)
    try:
        store = WaveStore(runtime.client, settings.redis_prefix, runtime.engine.store.keyring)
        people = []
        for number, document in enumerate(data.documents):
            stratum = data.attributes[document["transcript_id"]]["department"]
            people.append((f"k{number}", Participant(Platform.SLACK, "T0001", f"U{number:04d}"), "UTC", stratum))
        await store.add_members(wave, people)
        linked = []
        for (key, *_), document in zip(people, data.documents, strict=True):
            await store.record(wave, key, "invited")
            await store.record(wave, key, "completed", duration=900)
            assert await store.link_transcript(wave, document["transcript_id"], key)
            linked.append(document["transcript_id"])
        withdrawn = linked.pop()
        await store.unlink_transcript(wave, withdrawn)
        await store.record(wave, people[-1][0], "withdrawn")
        return linked
    finally:
        await runtime.close()


def test_a_wave_is_analysed_with_its_funnel_and_strata(tmp_path: Path, redis_url: str) -> None:
    prefix = f"awave-{uuid.uuid4().hex[:8]}"
    wave = "spring-ai"
    spec = tmp_path / "wave.yaml"
    spec.write_text(WAVE.format(wave=wave))
    created = _candor(tmp_path, redis_url, prefix, "wave", "create", str(spec))
    assert created.returncode == 0, created.stderr

    data = synthetic_set(50, seed=4)
    data = replace(data, documents=[{**d, "wave": wave} for d in data.documents])
    folder = tmp_path / "data" / "transcripts"
    folder.mkdir(parents=True)
    write_folder(data, folder)
    other = {**data.documents[0], "transcript_id": "other_0001", "wave": "another-wave"}
    (folder / "other_0001.json").write_text(json.dumps(other))
    settings = Settings(redis_url=redis_url, data_dir=tmp_path / "data", redis_prefix=prefix)
    linked = asyncio.run(run_wave(settings, wave, data))

    out = tmp_path / "out"
    result = _candor(tmp_path, redis_url, prefix, "analyze", wave, "--out", str(out), "--method", "tfidf")
    assert result.returncode == 0, result.stderr
    assert f"analysed {len(linked)} interviews" in result.stdout
    findings = json.loads((out / "findings.json").read_text())
    assert findings["flow"] == "ai-at-work" and findings["participation"]["interviews"] == 49
    assert findings["funnel"]["invited"] == 50 and findings["funnel"]["completed"] == 49
    assert findings["by"] == "department"
    counts = {d: sum(1 for t in linked if data.attributes[t]["department"] == d) for d in ("Engineering", "Legal")}
    assert findings["groups"]["Engineering"]["interviews"] == counts["Engineering"] >= 5
    assert counts["Legal"] < 5 and findings["groups"]["Legal"] == "fewer than 5"
    assert all(row["Legal"] == "fewer than 5" for row in findings["theme_prevalence_by_group"].values())
    quoted = {q["transcript_id"] for s in findings["questions"] for t in s["themes"] for q in t["quotes"]}
    assert quoted and quoted <= set(linked), "quotes come only from this wave's linked transcripts"
    html = (out / "report.html").read_text()
    assert "Participation funnel: invited 50" in html
    assert "href='../data/transcripts/" in html  # quotes link to their delivered transcript

    wrong = _candor(tmp_path, redis_url, prefix, "analyze", wave, "--out", str(out), "--by", "region")
    assert wrong.returncode == 1 and "this wave's strata are by department" in wrong.stderr
    unknown = _candor(tmp_path, redis_url, prefix, "analyze", "no-such-wave", "--out", str(out))
    assert unknown.returncode == 1 and "no-such-wave" in unknown.stderr and "Traceback" not in unknown.stderr
