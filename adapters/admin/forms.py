"""The "new wave" form turned into a WaveSpec, with pydantic's messages placed next to the fields they concern."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from bot.waves.spec import WaveSpec

FIELDS = (
    "id",
    "flow",
    "platform",
    "workspace",
    "participants",
    "opens_at",
    "closes_at",
    "timezone",
    "send_window",
    "weekdays",
    "reminders_count",
    "reminders_every",
    "target_completes",
)
# The spec's own defaults, filled in so the form shows what an untouched field means.
DEFAULTS = {
    "platform": "slack",
    "timezone": "UTC",
    "send_window": "09:30-16:30",
    "weekdays": "mon-fri",
    "reminders_count": "0",
    "reminders_every": "2d",
}


@dataclass
class WaveForm:
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> WaveForm:
        return cls({name: DEFAULTS.get(name, "") for name in FIELDS})

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name if name in FIELDS else "form", []).append(message)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # the spec's own check reports the unknown zone at its field


def _moment(raw: str, zone: ZoneInfo) -> str:
    """A datetime-local value ("2026-12-01T09:00") read in the chosen zone; anything else goes to pydantic as it is."""
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=zone).isoformat()
    except ValueError:
        return raw


def _people(raw: str) -> tuple[list[str], list[str]]:
    """One person a line (or comma-separated): e-mail addresses, the rest platform user ids."""
    entries = [item.strip() for item in re.split(r"[\n,;]+", raw) if item.strip()]
    return [e for e in entries if "@" not in e], [e for e in entries if "@" in e]


def _data(values: Mapping[str, str]) -> dict[str, Any]:
    zone_name = values["timezone"] or "UTC"
    zone = _zone(zone_name)
    users, emails = _people(values["participants"])
    reminders: dict[str, Any] = {"every": [item.strip() for item in values["reminders_every"].split(",")]}
    if values["reminders_count"]:
        reminders["count"] = values["reminders_count"]
    data: dict[str, Any] = {
        "id": values["id"],
        "flow": values["flow"],
        "platform": values["platform"],
        "workspace": values["workspace"],
        "participants": {"users": users, "emails": emails},
        "opens_at": _moment(values["opens_at"], zone),
        "closes_at": _moment(values["closes_at"], zone),
        "timezone": zone_name,
        "send_window": values["send_window"],
        "weekdays": values["weekdays"],
        "reminders": reminders,
    }
    if values["target_completes"]:
        data["target_completes"] = values["target_completes"]
    return data


def _field(loc: tuple[int | str, ...], message: str) -> str:
    if not loc:
        return "closes_at" if "closes_at" in message else "form"
    if loc[0] == "reminders" and len(loc) > 1:
        return f"reminders_{loc[1]}"
    return str(loc[0])


def read_form(posted: Mapping[str, str]) -> tuple[WaveForm, WaveSpec | None]:
    form = WaveForm({name: str(posted.get(name, "")).strip() for name in FIELDS})
    if form.values["id"] == "new":
        form.add("id", "new is the name of this page; choose another id")
    if not any(_people(form.values["participants"])):
        form.add("participants", "name at least one participant: a user id or an e-mail address a line")
    try:
        spec = WaveSpec.model_validate(_data(form.values))
    except ValidationError as exc:
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            form.add(_field(tuple(error["loc"]), message), message)
        return form, None
    return form, (None if form.errors else spec)
