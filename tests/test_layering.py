"""Imports point down: nothing in bot/ imports adapters/ or a platform SDK."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

FORBIDDEN = ("adapters", "slack_bolt", "slack_sdk", "microsoft_agents", "botbuilder", "aiohttp")


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_bot_never_imports_adapters_or_platform_sdks() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for name in imported_modules(path.read_text()):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_check_itself_catches_an_upward_import() -> None:
    assert "adapters.cli" in imported_modules("from adapters.cli import main\n")
