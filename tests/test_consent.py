"""What participants are told before they agree, for every installed flow, and the consent record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.flows import FlowFileError, FlowRegistry, consent_version, load_flow_file, packaged_flows_dir, privacy_notice
from bot.types import ReplyKind
from tests.conftest import EngineFactory, message, participant

FLOWS = list(FlowRegistry.from_dirs([packaged_flows_dir()]))


def _checklist(text: str, flow_id: str) -> list[str]:
    """The items an informed consent must cover (issue 6), each as the words that carry it; returns what is missing."""
    study = next(flow for flow in FLOWS if flow.id == flow_id).study
    items = {
        "who runs the study": study.organizer,
        "why": study.purpose,
        "the interviewer is an AI": "AI interviewer, not a person",
        "what is recorded": "What is recorded: only what you write in this conversation",
        "how it is anonymized": "names, e-mail addresses, phone numbers",
        "who will see it": study.audience,
        "where it is stored": study.storage,
        "for how long": study.retention,
        "voluntary": "voluntary",
        "no consequence at work": "no consequence for you at work",
        "skip, pause or stop": "skip any question, pause, or stop",
        "how to withdraw later": "type withdraw here, even after the interview",
        "whom to contact": study.contact,
    }
    return [item for item, words in items.items() if words not in text]


@pytest.mark.parametrize("flow_id", [flow.id for flow in FLOWS])
async def test_every_flow_tells_everything_before_consent(make_engine: EngineFactory, flow_id: str) -> None:
    engine = await make_engine(default_flow=flow_id)
    shown = await engine.handle(message("hello"))
    assert [reply.kind for reply in shown] == [ReplyKind.MESSAGE, ReplyKind.CONSENT]
    assert _checklist(shown[0].text, flow_id) == []
    # Said before the question, not after it: nobody agrees to something they have not been told.
    assert shown[1].text == engine.flows.get(flow_id).consent


def test_the_notice_names_the_ai_service_and_what_it_sees() -> None:
    study = FLOWS[0].study
    scripted = privacy_notice(study)
    assert "question guide written by the research team" in scripted and "Anthropic" not in scripted
    claude = privacy_notice(study, "Claude, an AI model made by Anthropic")
    assert "written by Claude, an AI model made by Anthropic" in claude
    assert "after names and contact details are removed" in claude
    raw = privacy_notice(study, "Claude, an AI model made by Anthropic", model_sees_unredacted=True)
    assert "receives your answers as you write them" in raw
    assert len({consent_version(text) for text in (scripted, claude, raw)}) == 3


async def test_the_consent_record_names_the_words_shown(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    shown = await engine.handle(message("hi"))
    replies = await engine.handle(message("yes"))
    for _ in range(40):
        if replies[-1].kind is ReplyKind.FINISHED:
            break
        replies = await engine.handle(message("no"))
    state = await engine.current(participant())
    assert state is not None
    data_dir: Path = make_engine.data_dir  # type: ignore[attr-defined]
    document = json.loads((data_dir / "transcripts" / f"{state.transcript_id}.json").read_text())
    flow = engine.flows.get("ai-at-work")
    assert document["consent"]["flow_version"] == flow.version
    assert document["consent"]["text_version"] == consent_version(shown[0].text, shown[1].text)
    assert document["consent"]["at"].endswith("Z")


def test_a_flow_without_study_facts_is_refused(tmp_path: Path) -> None:
    text = (packaged_flows_dir() / "ai-at-work.yaml").read_text()
    start = text.index("study:")
    end = text.index("consent:")
    path = tmp_path / "no-study.yaml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(FlowFileError, match="study: Field required"):
        load_flow_file(path)
    short = text.replace('contact: "The People Research team, at research@example.com"', 'contact: "ask"')
    path.write_text(short)
    with pytest.raises(FlowFileError, match=r"study\.contact: String should have at least 10 characters"):
        load_flow_file(path)
