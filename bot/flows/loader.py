"""Reading flow files with line numbers, so every problem names file, line and field."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import FlowNotFound
from bot.flows.model import Flow

Loc = tuple[str | int, ...]

_HINTS = {
    "missing": "add this field",
    "extra_forbidden": "remove it or fix its spelling",
    "string_too_short": "write some text here",
    "string_pattern_mismatch": "use only the characters the pattern allows",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "string_type": "write text (quote it if it looks like a number or yes/no)",
    "less_than_equal": "use a smaller number",
    "greater_than_equal": "use a larger number",
    "too_short": "add at least one entry",
    "too_long": "remove some entries",
}


@dataclass(frozen=True, slots=True)
class FlowProblem:
    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class FlowFileError(Exception):
    """A flow file that could not be read or validated; carries every problem found."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(file)"


class _LineMap:
    """Line of every key and list item in a YAML document, plus duplicate keys PyYAML would hide."""

    def __init__(self, root: yaml.Node) -> None:
        self.lines: dict[Loc, int] = {(): root.start_mark.line + 1}
        self.duplicates: list[tuple[Loc, int]] = []
        self._walk(root, ())

    def _walk(self, node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = (*loc, key)
                if child in self.lines:
                    self.duplicates.append((child, key_node.start_mark.line + 1))
                self.lines[child] = key_node.start_mark.line + 1
                self._walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[(*loc, index)] = item.start_mark.line + 1
                self._walk(item, (*loc, index))

    def line_for(self, loc: Loc) -> int:
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def _parse(path: Path, what: str = "flow") -> tuple[Any, _LineMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowFileError([FlowProblem(path, 1, "(file)", f"cannot read the file: {exc}")]) from None
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise FlowFileError([FlowProblem(path, line, "(yaml)", f"not valid YAML: {problem}")]) from None
    if root is None or not isinstance(data, dict):
        raise FlowFileError([FlowProblem(path, 1, "(file)", f"expected a mapping of {what} fields (id:, ...)")])
    return data, _LineMap(root)


_PATTERN_HINTS = {
    "id": "use lowercase letters, digits and hyphens, like ai-at-work (question ids may also use _)",
    "transcript_prefix": "use lowercase letters, digits and _, starting with a letter, like work",
    "language": "use auto or a language code such as en or pt-BR",
}


def _problems(path: Path, exc: ValidationError, lines: _LineMap) -> list[FlowProblem]:
    problems = []
    errors = exc.errors()
    for err in errors:
        loc: Loc = tuple(err["loc"])
        if err["type"] == "too_short" and any(len(o["loc"]) > len(loc) and o["loc"][: len(loc)] == loc for o in errors):
            continue  # a list emptied by its own invalid items: the items' errors say it better
        hint = _HINTS.get(err["type"])
        if err["type"] == "string_pattern_mismatch":
            hint = _PATTERN_HINTS.get(str(loc[-1]), hint)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] not in ("missing", "extra_forbidden", "value_error") and "input" in err:
            shown = repr(err["input"])
            message += f" (got {shown[:60] + '...' if len(shown) > 60 else shown})"
        text = f"{message}; {hint}" if hint else message
        problems.append(FlowProblem(path, lines.line_for(loc), _field_name(loc), text))
    return problems


M = TypeVar("M", bound=BaseModel)


def load_model_file(path: Path, model: type[M], what: str = "flow") -> M:
    """Validate one YAML file into ``model``; raise :class:`FlowFileError` listing every problem found.

    Wave files use it too: every problem reads ``file:line: field: what is wrong; what to do``.
    """
    data, lines = _parse(path, what)
    problems = [
        FlowProblem(path, line, _field_name(loc), "this key appears twice; keep one") for loc, line in lines.duplicates
    ]
    try:
        loaded = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems(path, exc, lines))
    if problems:
        raise FlowFileError(sorted(problems, key=lambda p: p.line))
    return loaded


def load_flow_file(path: Path) -> Flow:
    """Validate one flow file; raise :class:`FlowFileError` listing every problem found."""
    return load_model_file(path, Flow)


def packaged_flows_dir() -> Path:
    """The flows that ship with Candor (the ``interview_flows`` package)."""
    import interview_flows

    return Path(interview_flows.__file__).resolve().parent


def flow_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            yield path


class FlowRegistry:
    """The flows a deployment offers, by id. A later directory overrides an earlier one."""

    def __init__(self, flows: Iterable[Flow]) -> None:
        self._flows = {flow.id: flow for flow in flows}

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> FlowRegistry:
        return cls(load_flow_file(path) for path in flow_files(dirs))

    def get(self, flow_id: str) -> Flow:
        try:
            return self._flows[flow_id]
        except KeyError:
            known = ", ".join(sorted(self._flows)) or "none"
            raise FlowNotFound(f"no interview flow with id {flow_id!r} (installed: {known})") from None

    def __contains__(self, flow_id: object) -> bool:
        return flow_id in self._flows

    def __iter__(self) -> Iterator[Flow]:
        return iter(sorted(self._flows.values(), key=lambda f: f.id))

    def __len__(self) -> int:
        return len(self._flows)
