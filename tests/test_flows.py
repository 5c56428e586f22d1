"""Flow files: the shipped ones load, and every mistake is reported with file, line and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.flows import FlowFileError, FlowRegistry, load_flow_file, packaged_flows_dir
from tests.conftest import DATA, ROOT

FLOWS = DATA / "flows"


def _problems(name: str) -> list[str]:
    with pytest.raises(FlowFileError) as caught:
        load_flow_file(FLOWS / name)
    return [str(problem) for problem in caught.value.problems]


def test_shipped_flows_are_valid_and_cover_the_reference_topics() -> None:
    registry = FlowRegistry.from_dirs([packaged_flows_dir()])
    assert {flow.id for flow in registry} >= {"ai-at-work", "meetings-and-focus"}
    ai = registry.get("ai-at-work")
    assert [q.id for q in ai.questions] == [
        "workday",
        "walkthrough",
        "kept_for_self",
        "colleagues_culture",
        "memorable_moment",
        "own_skills",
        "looking_ahead",
    ]
    for flow in registry:
        assert flow.time_budget_minutes >= flow.estimated_minutes
        assert f"{flow.estimated_minutes} minutes" in flow.introduction
        assert "no right or wrong answers" in flow.introduction


def test_each_problem_names_file_line_and_field() -> None:
    problems = _problems("bad-several.yaml")
    path = FLOWS / "bad-several.yaml"
    assert any(p.startswith(f"{path}:1: id: String should match pattern") for p in problems), problems
    assert any(
        p.startswith(f"{path}:7: time_budget_minutes: must be at least estimated_minutes (10)") for p in problems
    )
    assert any(
        p.startswith(f"{path}:21: questions[1].follow_ups: Input should be less than or equal to 3") for p in problems
    ), problems
    assert any(
        p.startswith(f"{path}:22: questions[1].colour: Extra inputs are not permitted; remove it") for p in problems
    ), problems
    assert len(problems) == 4


def test_missing_fields_and_duplicate_keys() -> None:
    problems = _problems("bad-missing.yaml")
    path = FLOWS / "bad-missing.yaml"
    assert f"{path}:1: closing_question: Field required; add this field" in problems
    assert f"{path}:13: questions[0].learn: Field required; add this field" in problems
    assert f"{path}:11: thank_you: this key appears twice; keep one" in problems


def test_duplicate_question_ids_are_reported() -> None:
    flow_text = (FLOWS / "bad-several.yaml").read_text().replace("follow_ups: 4", "follow_ups: 1")
    flow_text = flow_text.replace("id: Bad Flow", "id: bad-flow").replace(
        "time_budget_minutes: 5", "time_budget_minutes: 15"
    )
    flow_text = flow_text.replace("    colour: blue\n", "")
    path = FLOWS.parent / "generated-dup.yaml"
    path.write_text(flow_text)
    try:
        with pytest.raises(FlowFileError, match=r"questions: question id 'first' at questions\[2\] is used twice"):
            load_flow_file(path)
    finally:
        path.unlink()


def test_yaml_syntax_and_shape_errors() -> None:
    assert _problems("bad-yaml.yaml")[0].startswith(f"{FLOWS / 'bad-yaml.yaml'}:5: (yaml): not valid YAML")
    assert _problems("bad-list.yaml") == [
        f"{FLOWS / 'bad-list.yaml'}:1: (file): expected a mapping of flow fields (id:, ...)"
    ]


def _candor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=60,
    )


def test_cli_validate_reports_and_exits_non_zero() -> None:
    ok = _candor("flows", "validate", str(packaged_flows_dir()))
    assert ok.returncode == 0 and ok.stdout.count(": ok (") == 2
    bad = _candor("flows", "validate", str(FLOWS / "bad-missing.yaml"), "no/such/file.yaml")
    assert bad.returncode == 1
    assert "bad-missing.yaml:1: closing_question: Field required" in bad.stderr
    assert "no/such/file.yaml:1: (file): no such file or folder" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_lists_installed_flows(tmp_path: Path) -> None:
    listed = _candor("flows", "list", CANDOR_DATA_DIR=str(tmp_path))
    assert listed.returncode == 0
    assert "ai-at-work" in listed.stdout and "meetings-and-focus" in listed.stdout
