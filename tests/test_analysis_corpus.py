"""The synthetic interviews with planted themes (tests/analysis_corpus.py) are what they claim to be."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from bot.delivery.transcript import dataset_text
from bot.state.model import CLOSING, INTRO, THANKS
from tests import analysis_corpus as corpus

QUESTIONS = [q.id for q in corpus.FLOW.questions]
# The reference transcripts sit next to the repository: <repo>/../shared/reference.
REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"


@pytest.fixture(scope="module")
def data() -> corpus.SyntheticSet:
    return corpus.synthetic_set(400, seed=11)


def answered(document: dict[str, object]) -> set[str]:
    turns = document["turns"]
    assert isinstance(turns, list)
    return {t["question_id"] for t in turns if t["role"] == "user" and t["question_id"] in QUESTIONS}


def test_the_same_seed_gives_the_same_set_and_another_seed_another() -> None:
    first, again = corpus.synthetic_set(40, seed=3), corpus.synthetic_set(40, seed=3)
    assert first == again
    other = corpus.synthetic_set(40, seed=4)
    assert other.documents != first.documents
    assert [d["transcript_id"] for d in first.documents] == [f"ai-at-work_{n:04d}" for n in range(1, 41)]


def test_transcripts_are_about_the_target_size(data: corpus.SyntheticSet) -> None:
    sizes = {d["transcript_id"]: len(dataset_text(corpus.turns_of(d))) for d in data.documents}
    completed = [sizes[d["transcript_id"]] for d in data.documents if d["ended_by"] == "completed"]
    assert abs(statistics.mean(sizes.values()) / 9000 - 1) <= 0.15
    assert abs(statistics.mean(completed) / 9000 - 1) <= 0.05
    assert all(abs(size / 9000 - 1) <= 0.15 for size in completed)
    smaller = corpus.synthetic_set(60, seed=1, target_chars=6000)
    assert abs(statistics.mean(len(dataset_text(corpus.turns_of(d))) for d in smaller.documents) / 6000 - 1) <= 0.15


def test_transcripts_have_the_shape_candor_delivers(data: corpus.SyntheticSet) -> None:
    ended = Counter(d["ended_by"] for d in data.documents)
    assert ended["stopped"] == 40 and ended["completed"] == 360
    for document in data.documents:
        turns = document["turns"]
        assert document["flow_id"] == "ai-at-work" and document["flow_version"] == corpus.FLOW.version
        assert "participant" not in document and "wave" not in document
        assert (turns[0]["role"], turns[0]["question_id"]) == ("ai", INTRO)
        assert (turns[1]["role"], turns[1]["question_id"]) == ("user", INTRO)
        assert document["consent"]["at"] == turns[1]["at"]
        assert [t["at"] for t in turns] == sorted(t["at"] for t in turns)
        assert turns[0]["at"] == document["started_at"] <= document["ended_at"]
        for before, after in zip(turns, turns[1:], strict=False):
            assert before["role"] != after["role"]  # the interviewer and the participant take turns
        asked = [t["question_id"] for t in turns if t["role"] == "ai" and t["question_id"] in QUESTIONS]
        assert list(dict.fromkeys(asked)) == QUESTIONS[: len(set(asked))]  # in the flow's order
        if document["ended_by"] == "completed":
            assert 8 * 60 <= document["duration_seconds"] <= 25 * 60
            assert [t["question_id"] for t in turns[-3:]] == [CLOSING, CLOSING, THANKS]
            assert answered(document) == set(QUESTIONS)
        else:
            assert 2 <= len(answered(document)) <= 4
            assert turns[-1]["role"] == "ai" and turns[-1]["question_id"] not in answered(document)


def test_planted_themes_are_valid_and_match_the_answers(data: corpus.SyntheticSet) -> None:
    themes = {t.id: t for t in data.themes}
    assert len(themes) == len(data.themes)
    per_question = Counter(t.question_id for t in data.themes)
    assert set(per_question) == set(QUESTIONS) and all(4 <= n <= 5 for n in per_question.values())
    assert all(3 <= len(t.keywords) <= 6 and t.label and t.id.startswith(f"{t.question_id}.") for t in data.themes)
    assert set(data.planted) == {d["transcript_id"] for d in data.documents}
    for document in data.documents:
        planted = data.planted[document["transcript_id"]]
        assert set(planted) == answered(document)
        for question, ids in planted.items():
            assert 1 <= len(ids) <= 2 and len(set(ids)) == len(ids)
            assert all(themes[i].question_id == question for i in ids)
            text = " ".join(
                t["text"].lower() for t in document["turns"] if t["role"] == "user" and t["question_id"] == question
            )
            for theme in ids:  # a reader could tell each planted theme from its words
                assert any(k in text for k in themes[theme].keywords), (document["transcript_id"], theme)


def test_every_theme_reaches_8_percent_and_prevalence_is_uneven(data: corpus.SyntheticSet) -> None:
    participants = Counter(i for answers in data.planted.values() for ids in answers.values() for i in ids)
    shares = {t.id: participants[t.id] / len(data.documents) for t in data.themes}
    assert min(shares.values()) >= 0.08
    assert max(shares.values()) >= 0.35


def test_departments_are_four_uneven_groups_with_a_small_one(data: corpus.SyntheticSet) -> None:
    sizes = Counter(a["department"] for a in data.attributes.values())
    assert set(data.attributes) == set(data.planted)
    assert len(sizes) == 4
    assert min(sizes.values()) / len(data.documents) <= 0.1 < max(sizes.values()) / len(data.documents)


def test_dataset_csv_round_trips(data: corpus.SyntheticSet) -> None:
    rows = list(csv.DictReader(io.StringIO(corpus.dataset_csv(data, "department"), newline="")))
    assert [r["transcript_id"] for r in rows] == [d["transcript_id"] for d in data.documents]
    for row, document in zip(rows, data.documents, strict=True):
        assert row["text"] == dataset_text(corpus.turns_of(document))
        assert row["text"].startswith("AI: Hello") and "\n\nUser: " in row["text"]
        assert row["department"] == data.attributes[row["transcript_id"]]["department"]
    plain = list(csv.reader(io.StringIO(corpus.dataset_csv(data), newline="")))
    assert plain[0] == ["transcript_id", "text"] and len(plain) == len(data.documents) + 1


def test_the_consent_fingerprint_names_the_claude_interviewer() -> None:
    from bot.interviewers.claude import ClaudeInterviewer

    assert ClaudeInterviewer.processor == corpus.PROCESSOR


def test_write_folder_writes_one_json_file_per_transcript(tmp_path: Path) -> None:
    small = corpus.synthetic_set(5, seed=2)
    corpus.write_folder(small, tmp_path / "out")
    files = sorted((tmp_path / "out").glob("*.json"))
    assert [f.stem for f in files] == [d["transcript_id"] for d in small.documents]
    assert [json.loads(f.read_text(encoding="utf-8")) for f in files] == small.documents


def test_two_answers_on_one_theme_rarely_share_a_sentence(data: corpus.SyntheticSet) -> None:
    split = re.compile(r"(?<=[.!?])\s+|\n")
    neutral = {s.lower() for s in corpus._FILLERS + corpus._OPENERS}
    by_theme: dict[str, list[set[str]]] = {}
    for document in data.documents:
        for question, ids in data.planted[document["transcript_id"]].items():
            turns = [t for t in document["turns"] if t["question_id"] == question and t["role"] == "user"]
            text = " ".join(t["text"] for t in turns)
            sentences = {s.strip().lower() for s in split.split(text) if s.strip()} - neutral
            for theme in ids:
                by_theme.setdefault(theme, []).append(sentences)
    rng = random.Random(0)
    shared = []
    for answers in by_theme.values():
        pairs = [rng.sample(answers, 2) for _ in range(300)]
        shared.append(sum(bool(a & b) for a, b in pairs) / len(pairs))
    assert statistics.mean(shared) < 0.12 and max(shared) < 0.25


def test_follow_ups_never_read_like_a_guide_question() -> None:
    """The dataset reader files a reply under the guide question an interviewer turn resembles most.

    It matches when more than 30% of a question's words (short function words aside) appear in the
    turn; a follow-up must stay well below that, or its reply would be filed under another question.
    """
    common = set(
        "a an and are as at be by can do does for from has have how i if in is it its me my of on or so that the "
        "this to was what when where which who why with would you your yours there their them they we our".split()
    )

    def bag(text: str) -> set[str]:
        return {w for w in re.findall(r"\w+(?:['’-]\w+)*", text.lower()) if w not in common}

    asks = [bag(q.ask) for q in corpus.FLOW.questions] + [bag(corpus.FLOW.closing_question)]
    follow_ups = list(corpus._FOLLOW_UP_PLAIN) + [
        f"{opening.format(gist=gist)} {ask}"
        for theme in corpus._THEMES
        for gist in theme.gists
        for opening in corpus._FOLLOW_UP_OPENINGS
        for ask in corpus._FOLLOW_UP_ASKS
    ]
    worst = max((len(bag(text) & ask) / len(ask), text) for text in follow_ups for ask in asks)
    assert worst[0] <= 0.2, worst


def test_fillers_and_rewordings_carry_no_theme_word() -> None:
    keywords = {k for t in corpus.THEMES for k in t.keywords}
    neutral = [*corpus._FILLERS, *corpus._OPENERS, *corpus._SUFFIXES, *corpus._CLOSINGS]
    neutral += [w for words in corpus._REWORDINGS.values() for w in words] + list(corpus._REWORDINGS)
    words = {w for text in neutral for w in re.findall(r"[a-z]+", text.lower())}
    assert not words & keywords


def reference_sentences() -> list[str]:
    found = []
    for path in sorted(REFERENCE.glob("*.txt")):
        if path.name.lower().startswith("readme"):
            continue
        text = re.sub(r"^(AI|Assistant|User):", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            sentence = " ".join(sentence.split()).lower()
            if len(sentence.split()) >= 4:
                found.append(sentence)
    return found


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="the reference transcripts are not next to the repository")
def test_no_sentence_of_the_reference_interviews_is_copied(data: corpus.SyntheticSet) -> None:
    sentences = reference_sentences()
    assert sentences
    written = " ".join(
        " ".join(t["text"].split()).lower() for d in data.documents for t in d["turns"] if t["question_id"] != INTRO
    )
    source = " ".join(Path(corpus.__file__).read_text(encoding="utf-8").split()).lower()
    copied = [s for s in sentences if s in written or s in source]
    assert copied == []
