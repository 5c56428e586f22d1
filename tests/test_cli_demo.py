"""``candor demo`` end to end, as a user runs it: real processes, a real Redis, files on disk."""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from bot.engine.hygiene import clean
from bot.flows import FlowRegistry, packaged_flows_dir
from bot.privacy import Redactor
from tests.conftest import DATA, free_port

FLOW = FlowRegistry.from_dirs([packaged_flows_dir()]).get("ai-at-work")
EXIT_PAUSED = 3


def candor_command() -> list[str]:
    script = Path(sys.executable).parent / "candor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


def environment(data_dir: Path, redis_url: str | None, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CANDOR_")}
    env.pop("REDIS_URL", None)
    env.update(CANDOR_DATA_DIR=str(data_dir), CANDOR_REDIS_PREFIX=f"cli-{uuid.uuid4().hex[:10]}", **extra)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def run_demo(env: dict[str, str], answers: list[str], tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp / f"answers-{uuid.uuid4().hex[:6]}.txt"
    path.write_text("\n\n".join(answers) + "\n", encoding="utf-8")
    return subprocess.run(
        [*candor_command(), "demo", "--answers", str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=120,
    )


def reference_answers(name: str) -> list[str]:
    text = (DATA / "reference" / name).read_text()
    turns = re.split(r"\n\s*\n(?=(?:AI|User|Assistant):)", text.strip())
    return [t.removeprefix("User:").strip() for t in turns if t.startswith("User:")]


@pytest.mark.parametrize("name", ["work_0823.txt", "work_0657.txt", "creativity_0014.txt", "science_0003.txt"])
def test_reference_interviews_replay_to_completion(name: str, redis_url: str, tmp_path: Path) -> None:
    """The participant's real answers, in order; if the guide needs more turns than the original
    interview had, the demo pauses (exit 3) and is resumed with short "No." answers."""
    env = environment(tmp_path / "data", redis_url)
    answers = reference_answers(name)
    result = run_demo(env, answers, tmp_path)
    outputs = [result.stdout]
    extra = 0
    while result.returncode == EXIT_PAUSED and extra < 25:
        assert "paused" in result.stdout
        result = run_demo(env, ["No."], tmp_path)
        outputs.append(result.stdout)
        extra += 1
    assert result.returncode == 0, result.stderr
    conversation = "".join(outputs)
    for question in FLOW.questions:
        assert question.ask in conversation, question.id
    assert FLOW.closing_question in conversation
    with open(tmp_path / "data" / "transcripts.csv", newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert re.fullmatch(r"work_\d{4}", row["transcript_id"])
    turns = row["text"].split("\n\n")
    assert all(turn.startswith(("AI: ", "User: ")) for turn in turns)
    user_turns = [turn.removeprefix("User: ") for turn in turns if turn.startswith("User: ")]
    redactor = Redactor()
    for answer in answers:
        expected = re.sub(r"\n\s*\n", "\n", redactor.redact(clean(answer, 4000).text))
        assert expected in user_turns, answer[:60]
    assert (tmp_path / "data" / "transcripts" / f"{row['transcript_id']}.json").exists()


class Terminal:
    """Reads a child's output on a thread so a test can wait for a line without blocking forever."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.output = ""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for chunk in iter(lambda: self.process.stdout.read(1), ""):  # type: ignore[union-attr]
            with self._lock:
                self.output += chunk

    def wait_for(self, marker: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if marker in self.output:
                    return
            assert time.monotonic() < deadline, f"never saw {marker!r}; got {self.output[-500:]!r}"
            time.sleep(0.02)

    def close(self) -> None:
        """After the process has ended: let the reader reach end of file, then close the pipes."""
        self._thread.join(timeout=10)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()  # type: ignore[union-attr]

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()


def _server_pid(socket_path: Path) -> int:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(socket_path))
        sock.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
        time.sleep(0.2)
        info = sock.recv(65536).decode()
    return int(re.search(r"process_id:(\d+)", info).group(1))  # type: ignore[union-attr]


def test_a_killed_demo_resumes_on_the_embedded_redis(tmp_path: Path) -> None:
    """Kill the demo and its embedded Redis mid-interview; the next run continues where it stopped."""
    env = environment(tmp_path / "data", None)
    process = subprocess.Popen(
        [*candor_command(), "demo"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    terminal = Terminal(process)
    terminal.wait_for(FLOW.consent)
    terminal.type("yes")
    terminal.wait_for(FLOW.questions[0].ask)
    terminal.type("I draft release notes with it, then rewrite the summary by hand.")
    terminal.wait_for("release notes”")  # the follow-up quotes the answer back
    pid = _server_pid(tmp_path / "data" / "redis" / "redis.sock")
    process.send_signal(signal.SIGKILL)
    process.wait()
    terminal.close()
    os.kill(pid, signal.SIGKILL)
    # The demo's generated key outlives the crash (owner-only), and Redis's files on disk hold only ciphertext.
    key_file = tmp_path / "data" / "encryption.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key_before = key_file.read_text()
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "data" / "redis").rglob("*") if p.is_file())
    assert on_disk
    assert b"release notes" not in on_disk and b"rewrite the summary" not in on_disk
    resumed = run_demo(env, ["no", "no", "no", "no", "no", "no", "no", "no", "no"], tmp_path)
    assert "(Resuming your unfinished interview.)" in resumed.stdout
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    with open(tmp_path / "data" / "transcripts.csv", newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert "User: I draft release notes with it, then rewrite the summary by hand." in row["text"]
    assert key_file.read_text() == key_before
    assert not (tmp_path / "data" / "redis" / "redis.sock").exists() or not _pings(tmp_path)


def _pings(tmp_path: Path) -> bool:
    try:
        _server_pid(tmp_path / "data" / "redis" / "redis.sock")
        return True
    except OSError:
        return False


def test_answers_running_out_pauses_with_state_kept(redis_url: str, tmp_path: Path) -> None:
    env = environment(tmp_path / "data", redis_url)
    first = run_demo(env, ["yes", "no"], tmp_path, "--flow", "meetings-and-focus")
    assert first.returncode == EXIT_PAUSED and "paused" in first.stdout
    second = run_demo(env, ["no"] * 8, tmp_path)
    assert second.returncode == 0
    assert "(Resuming your unfinished interview.)" in second.stdout
    with open(tmp_path / "data" / "transcripts.csv", newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["transcript_id"].startswith("focus_")


def test_redis_down_is_one_line_naming_the_url(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run_demo(environment(tmp_path / "data", url), ["yes"], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and lines[0].startswith("candor: cannot reach Redis at")


def test_bad_settings_and_answer_files_are_precise(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", None, CANDOR_ANSWER_WINDOW_SECONDS="soon")
    bad_setting = run_demo(env, ["yes"], tmp_path)
    assert bad_setting.returncode == 2 and "Traceback" not in bad_setting.stderr
    assert bad_setting.stderr.startswith("candor: invalid setting: CANDOR_ANSWER_WINDOW_SECONDS:")
    env = environment(tmp_path / "data", None)
    missing = subprocess.run(
        [*candor_command(), "demo", "--answers", "nope.txt"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert missing.returncode == 2 and "nope.txt: cannot read the answers file" in missing.stderr
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"yes\n\nline two\n\xff\xfe\n")
    undecodable = subprocess.run(
        [*candor_command(), "demo", "--answers", str(binary)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert undecodable.returncode == 2 and f"{binary}:4: not valid UTF-8" in undecodable.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n   \n")
    no_answers = subprocess.run(
        [*candor_command(), "demo", "--answers", str(empty)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert no_answers.returncode == 2 and f"{empty}:1: no answers found" in no_answers.stderr
    unknown_flow = run_demo(env, ["yes"], tmp_path, "--flow", "no-such-flow")
    assert unknown_flow.returncode == 1 and "no interview flow with id 'no-such-flow'" in unknown_flow.stderr
