"""Encryption at rest: nothing anyone wrote is readable in Redis, ciphertexts stay where they were
written, keys rotate, and sinks still receive plaintext."""

from __future__ import annotations

import asyncio
import csv
import re
import subprocess
from pathlib import Path

import pytest

from bot.engine import InterviewEngine
from bot.errors import ConfigError
from bot.flows import Flow, Question
from bot.state import Role, Status
from bot.state.crypto import KEY_FILE, DecryptionFailed, Keyring, load_or_create_keyring, new_entry
from bot.state.history import HistoryEntry
from tests.conftest import TEST_STUDY, EngineFactory, keys_and_values, message, participant
from tests.test_cli_demo import candor_command, environment, run_demo

GADGET = "Which gadget in the kitchen deserves a medal for surviving Mondays?"
ERRAND = "Describe the errand you would hand to a robot without hesitation."
CLOSING = "Is there anything about pantry logistics you want to add?"


def kitchen_flow() -> Flow:
    return Flow(
        id="kitchen",
        version=1,
        title="Kitchens",
        language="en",
        transcript_prefix="kitchen",
        estimated_minutes=5,
        time_budget_minutes=60,
        introduction="A short study about kitchens and errands.",
        study=TEST_STUDY,
        consent="Shall we start the kitchen chat?",
        closing_question=CLOSING,
        thank_you="Thank you, that was the kitchen chat.",
        questions=(
            Question(id="gadget", ask=GADGET, learn="Which tools matter.", follow_ups=1),
            Question(id="errand", ask=ERRAND, learn="What people delegate.", follow_ups=0),
        ),
    )


# Distinctive words that appear in no flow text: if one shows up in Redis, some text is stored in clear.
SECRET_WORDS = ("marmalade", "trombone", "zucchini", "flamingo", "quokka", "saxophone", "porcupine")


async def raw_dump(engine: InterviewEngine, prefix: str) -> str:
    stored = await keys_and_values(engine.store.client, prefix)
    return "\n".join(f"{key} {value}" for key, value in stored.items())


def assert_no_text(dump: str, *texts: str) -> None:
    for text in (*SECRET_WORDS, *texts):
        assert text not in dump, text


async def test_a_whole_interview_leaves_no_readable_text_in_redis(make_engine: EngineFactory) -> None:
    """Window, pending answer, edits, follow-up in the header, completion, history: all ciphertext."""
    engine = await make_engine(default_flow="kitchen", window=0.3, extra_flows=[kitchen_flow()])
    prefix: str = make_engine.prefix  # type: ignore[attr-defined]
    asked: list[str] = [r.text for r in await engine.handle(message("hello"))]
    asked += [r.text for r in await engine.handle(message("yes"))]
    assert any(GADGET in text for text in asked)

    # An answer waiting in its window (the pending list), then edited while it waits.
    waiting = await engine.receive(message("The marmalade jar opener, dented but loyal.", message_id="M1"))
    dump = await raw_dump(engine, prefix)
    assert ":p" in dump and "opener" not in dump
    await engine.edit(participant(), "M1", "The marmalade jar opener and the trombone-shaped whisk.")
    dump = await raw_dump(engine, prefix)
    assert_no_text(dump, "opener", "whisk", GADGET)
    assert await waiting.due()
    follow_up = [r.text for r in await waiting.replies()]
    assert follow_up and GADGET not in follow_up[0]

    # The follow-up question sits in the header (its text fields are the encrypted part).
    state = await engine.current(participant())
    assert state is not None and state.follow_up_prompt == follow_up[0]
    assert_no_text(await raw_dump(engine, prefix), follow_up[0], "whisk")

    # An edit of an answer already applied rewrites a stored turn.
    await engine.handle(message("It has survived a zucchini glut.", message_id="M2"))
    await engine.edit(participant(), "M2", "It has survived a zucchini glut and a flamingo party.")
    key = engine.key_for(participant())
    users = [t.text for t in await engine.store.turns(key) if t.role is Role.USER]
    assert "It has survived a zucchini glut and a flamingo party." in users
    assert_no_text(await raw_dump(engine, prefix), "survived", ERRAND, *follow_up)

    await engine.handle(message("Returning quokka-sized parcels to the post office.", message_id="M3"))
    await engine.handle(message("Only that my saxophone lives in the porcupine cupboard.", message_id="M4"))
    state = await engine.current(participant())
    assert state is not None and state.status is Status.COMPLETED
    history = await engine.history(participant())
    assert [entry.status for entry in history] == ["completed"]
    dump = await raw_dump(engine, prefix)
    # Left in clear: counters, and the header's status and transcript id (metadata, not anyone's words).
    assert_no_text(dump, GADGET, ERRAND, CLOSING, "parcels", "cupboard")

    # The sink still gets the plaintext transcript, edits included.
    data_dir: Path = make_engine.data_dir  # type: ignore[attr-defined]
    with open(data_dir / "transcripts.csv", newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["transcript_id"] == state.transcript_id
    for text in (
        "User: The marmalade jar opener and the trombone-shaped whisk.",
        "User: It has survived a zucchini glut and a flamingo party.",
        GADGET,
        f"AI: {follow_up[0]}",
        "User: Only that my saxophone lives in the porcupine cupboard.",
    ):
        assert text in row["text"], text


async def _started(engine: InterviewEngine, user: str, answer: str) -> str:
    await engine.handle(message("hello", user=user))
    await engine.handle(message("yes", user=user))
    await engine.handle(message(answer, user=user))
    return engine.key_for(participant(user))


async def test_a_ciphertext_moved_to_another_interview_does_not_decrypt(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    prefix: str = make_engine.prefix  # type: ignore[attr-defined]
    alice = await _started(engine, "UALICE", "Alice's answer about spreadsheets.")
    bob = await _started(engine, "UBOB", "Bob's answer about slides.")
    client = engine.store.client
    stolen = await client.lindex(f"{prefix}:iv:{alice}", 2)
    assert stolen is not None
    await client.lset(f"{prefix}:iv:{bob}", 2, stolen)
    with pytest.raises(DecryptionFailed, match="moved from another key"):
        await engine.store.turns(bob)
    assert any("spreadsheets" in turn.text for turn in await engine.store.turns(alice))

    # A turn passed off as the header's text fields fails too (different associated data).
    header = await client.lindex(f"{prefix}:iv:{alice}", 0)
    assert header is not None
    version, seen, data = header.split(b"\x1f", 2)
    await client.lset(f"{prefix}:iv:{alice}", 0, b"\x1f".join((version, seen, data.split(b"\x1f")[0], stolen)))
    with pytest.raises(DecryptionFailed):
        await engine.store.load(alice)

    # History entries are bound to their participant's key as well.
    await engine.store.add_history(alice, HistoryEntry("long-test", "completed", 1.0, 2.0, "long_0001"))
    entry = await client.lindex(f"{prefix}:hist:{alice}", 0)
    assert entry is not None
    await client.rpush(f"{prefix}:hist:{bob}", entry)
    with pytest.raises(DecryptionFailed):
        await engine.store.history(bob)


async def test_a_wrong_or_missing_key_is_a_clear_error(make_engine: EngineFactory) -> None:
    writer = await make_engine(default_flow="long-test")
    key = await _started(writer, "U1", "Some answer.")
    same_id_other_key = Keyring.parse(new_entry(writer.store.keyring.current))
    impostor = await make_engine(default_flow="long-test", keyring=same_id_other_key)
    with pytest.raises(DecryptionFailed, match="failed authentication"):
        await impostor.store.turns(key)
    stranger = await make_engine(default_flow="long-test", keyring=Keyring.parse(new_entry("other")))
    with pytest.raises(DecryptionFailed) as caught:
        await stranger.store.turns(key)
    message_text = str(caught.value)
    assert repr(writer.store.keyring.current) in message_text and "CANDOR_ENCRYPTION_KEYS" in message_text
    assert "add that key back" in message_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "CANDOR_ENCRYPTION_KEYS is set but holds no key"),
        ("k1", "CANDOR_ENCRYPTION_KEYS entry 1 has no ':'"),
        ("k1:!!notbase64!!", "CANDOR_ENCRYPTION_KEYS entry 1 (k1): the key is not valid base64"),
        ("k1:c2hvcnQ=", "CANDOR_ENCRYPTION_KEYS entry 1 (k1): the key is 5 bytes; AES-256 needs 32"),
        ("bad id:" + "A" * 44, "CANDOR_ENCRYPTION_KEYS entry 1: the key id before ':' must be"),
        (f"{new_entry('a')},{new_entry('a')}", "CANDOR_ENCRYPTION_KEYS entry 2: key id 'a' appears twice"),
    ],
)
def test_invalid_keys_name_the_variable_and_the_entry(raw: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Keyring.parse(raw)
    assert str(caught.value).startswith(expected)
    assert "candor keys generate" in str(caught.value) or "twice" in expected


def test_errors_never_echo_a_key() -> None:
    secret = new_entry("k1").split(":", 1)[1]
    for raw in (secret, f"{secret}:k1", f"k1:{secret[:-4]}"):
        with pytest.raises(ConfigError) as caught:
            Keyring.parse(raw)
        assert secret[:12] not in str(caught.value)


def test_development_key_is_kept_in_the_data_dir_with_mode_0600(tmp_path: Path) -> None:
    first = load_or_create_keyring(None, tmp_path / "data")
    path = tmp_path / "data" / KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_or_create_keyring(None, tmp_path / "data")
    blob = first.encrypt(b"kept across restarts", b"aad")
    assert again.decrypt(blob, b"aad") == b"kept across restarts"
    # The file holds an entry in the variable's own form, so it can be pasted into it.
    assert Keyring.parse(path.read_text().strip()).decrypt(blob, b"aad") == b"kept across restarts"
    path.write_text("garbage\n")
    with pytest.raises(ConfigError, match="does not hold one keyid:base64key entry"):
        load_or_create_keyring(None, tmp_path / "data")


async def test_rotation_leaves_everything_readable_with_only_the_new_key(make_engine: EngineFactory) -> None:
    old_entry, new = new_entry("old"), new_entry("new")
    before = await make_engine(default_flow="long-test", keyring=Keyring.parse(old_entry))
    keys = [await _started(before, f"U{i}", f"Answer number {i} about trombone practice.") for i in range(3)]
    await before.store.push_pending(keys[0], "Mwait", "Still waiting in its window: marmalade.", 1.0)
    await before.store.add_history(keys[1], HistoryEntry("long-test", "stopped", 1.0, 2.0))
    await before.handle(message("stop", user="U2"))  # a follow-up prompt or end state in the header
    expected = {key: [t.text for t in await before.store.turns(key)] for key in keys}

    both = await make_engine(default_flow="long-test", keyring=Keyring.parse(f"{new},{old_entry}"))
    report = await both.store.rotate()
    assert report.key_id == "new" and report.rewritten > 10 and report.current == 0
    again = await both.store.rotate()
    assert again.rewritten == 0 and again.current == report.rewritten and again.keys == report.keys

    after = await make_engine(default_flow="long-test", keyring=Keyring.parse(new))
    for key in keys:
        assert [t.text for t in await after.store.turns(key)] == expected[key]
        assert await after.store.load(key) is not None
    _, pending = await after.store.load_with_pending(keys[0])
    assert [p.text for p in pending] == ["Still waiting in its window: marmalade."]
    assert [entry.status for entry in await after.store.history(keys[1])] == ["stopped"]
    only_old = await make_engine(default_flow="long-test", keyring=Keyring.parse(old_entry))
    with pytest.raises(DecryptionFailed, match="'new'"):
        await only_old.store.turns(keys[0])


async def test_rotation_while_interviews_are_answered_loses_nothing(make_engine: EngineFactory) -> None:
    """Every write during the scan either lands before the key is read or makes its EXEC retry."""
    old_entry, new = new_entry("old"), new_entry("new")
    first = await make_engine(default_flow="long-test", keyring=Keyring.parse(old_entry))
    users = [f"UR{i}" for i in range(12)]
    for user in users:
        await _started(first, user, "first answer")
    serving = await make_engine(default_flow="long-test", keyring=Keyring.parse(f"{new},{old_entry}"))
    rotator = await make_engine(default_flow="long-test", keyring=Keyring.parse(f"{new},{old_entry}"))

    async def answer(user: str) -> None:
        for n in range(6):
            await serving.handle(message(f"answer {n} from {user}", user=user))

    rotations = [rotator.store.rotate() for _ in range(3)]
    await asyncio.gather(*rotations, *(answer(user) for user in users))
    await rotator.store.rotate()
    after = await make_engine(default_flow="long-test", keyring=Keyring.parse(new))
    for user in users:
        texts = [t.text for t in await after.store.turns(after.key_for(participant(user))) if t.role is Role.USER]
        assert texts[-6:] == [f"answer {n} from {user}" for n in range(6)]


def _cli(env: dict[str, str], tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*candor_command(), *args], capture_output=True, text=True, env=env, cwd=tmp, timeout=120)


def test_serve_refuses_to_start_without_keys_outside_development(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", None, CANDOR_PSEUDONYM_KEY="a long random pseudonym secret")
    refused = _cli(env, tmp_path, "serve")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("candor: CANDOR_ENCRYPTION_KEYS is not set")
    assert "candor keys generate" in refused.stderr and "CANDOR_DEVELOPMENT=1" in refused.stderr
    bad = environment(tmp_path / "data", None, CANDOR_ENCRYPTION_KEYS="k1:c2hvcnQ=")
    result = run_demo(bad, ["yes"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("candor: CANDOR_ENCRYPTION_KEYS entry 1 (k1): the key is 5 bytes")
    assert not (tmp_path / "data" / "redis").exists()  # refused before the embedded Redis started


def test_demo_data_rotates_onto_a_configured_key(redis_url: str, tmp_path: Path) -> None:
    """The demo's generated key, then `candor keys rotate` onto a new one, then the demo with only that key."""
    env = environment(tmp_path / "data", redis_url)
    first = run_demo(env, ["yes", "I keep a trombone in the supply closet."], tmp_path)
    assert first.returncode == 3, first.stdout + first.stderr
    dev_entry = (tmp_path / "data" / KEY_FILE).read_text().strip()
    generated = _cli(env, tmp_path, "keys", "generate", "--id", "prod2")
    assert generated.returncode == 0
    new = generated.stdout.strip()
    assert new.startswith("prod2:") and Keyring.parse(new).current == "prod2"

    assert _cli(env, tmp_path, "keys", "rotate").returncode == 2  # rotation needs the variable
    rotated = _cli({**env, "CANDOR_ENCRYPTION_KEYS": f"{new},{dev_entry}"}, tmp_path, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert re.search(r"re-encrypted [1-9]\d* value\(s\) under key 'prod2'; 0 were already", rotated.stdout)

    only_new = {**env, "CANDOR_ENCRYPTION_KEYS": new}
    resumed = run_demo(only_new, ["no"] * 12, tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "(Resuming your unfinished interview.)" in resumed.stdout
    with open(tmp_path / "data" / "transcripts.csv", newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert "User: I keep a trombone in the supply closet." in row["text"]
