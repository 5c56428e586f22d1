"""When a wave may message a person: pure arithmetic on (now, their time zone, the send window).

Nothing here reads a clock or does I/O, so every rule can be tested with fixed datetimes. All
instants going in must be aware; all instants coming out are aware and in UTC.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONDAY_TO_FRIDAY = frozenset(range(5))
# Invitations for one wave are spread over this much of the window's start, so 300 people are not
# all messaged in the same second (and the rate limiter is not handed a 300-message burst).
DEFAULT_SPREAD = timedelta(hours=1)

_WINDOW = re.compile(r"(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DURATION = re.compile(r"(?:\d+[wdhm])+")
_DURATION_PART = re.compile(r"(\d+)([wdhm])")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_SPREAD_SALT = b"candor-wave-spread\x1f"


class ScheduleError(ConfigError, ValueError):
    """A wave setting that cannot be used; the message names the value and says what to write instead."""


@dataclass(frozen=True, slots=True)
class SendWindow:
    """The local hours and days a wave may message people, and the period the wave is open.

    ``start``/``end`` are wall-clock times in each person's own zone; ``weekdays`` uses
    Monday=0; ``holidays`` are local calendar dates; the wave sends in ``[opens_at, closes_at)``.
    """

    start: time
    end: time
    opens_at: datetime
    closes_at: datetime
    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ScheduleError("send window times are local wall-clock times: pass them without a time zone")
        if self.start >= self.end:
            raise ScheduleError(
                f"send window {self.start:%H:%M}-{self.end:%H:%M} ends before it starts: "
                "the start must be earlier than the end on the same day (windows across midnight are not supported)"
            )
        opens, closes = _utc(self.opens_at, "the wave's opening time"), _utc(self.closes_at, "the wave's closing time")
        if opens >= closes:
            raise ScheduleError(f"the wave closes ({closes.isoformat()}) before it opens ({opens.isoformat()})")
        days = frozenset(self.weekdays)
        if not days or not days <= frozenset(range(7)):
            raise ScheduleError(f"weekdays {sorted(days)} must be a non-empty set of numbers 0 (Monday) to 6 (Sunday)")
        # Normalised once here, so the arithmetic below only ever compares UTC instants.
        object.__setattr__(self, "opens_at", opens)
        object.__setattr__(self, "closes_at", closes)
        object.__setattr__(self, "weekdays", days)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def from_text(
        cls,
        window: str,
        *,
        opens_at: datetime,
        closes_at: datetime,
        weekdays: str = "mon-fri",
        holidays: str | Iterable[str] = (),
    ) -> SendWindow:
        """Build a window from the strings research ops write in a wave's settings."""
        start, end = parse_window(window)
        return cls(start, end, opens_at, closes_at, parse_weekdays(weekdays), parse_holidays(holidays))


# ---- time zones -----------------------------------------------------------------------------


def _lookup_zone(name: str | None) -> ZoneInfo | None:
    if not name or not name.strip():
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_or_fallback(tz_name: str | None, fallback_tz: str) -> ZoneInfo:
    """Profiles can carry empty or retired zone names; one bad profile must not stop a wave."""
    zone = _lookup_zone(tz_name)
    if zone is not None:
        return zone
    fallback = _lookup_zone(fallback_tz)
    if fallback is None:
        raise ScheduleError(
            f"default time zone {fallback_tz!r} is not an IANA time zone name: write one such as Europe/Berlin or UTC"
        )
    return fallback


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleError(f"{what} ({value.isoformat()}) has no time zone: pass an aware datetime, e.g. in UTC")
    return value.astimezone(UTC)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    # A ZoneInfo always has an offset; ``or`` only satisfies the type (a zero offset stays zero).
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _transition(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second in (before, after] that already has ``after``'s UTC offset."""
    target = _offset(after, zone)
    low, high = 0, int((after - before).total_seconds())
    while low < high:
        middle = (low + high) // 2
        if _offset(before + timedelta(seconds=middle), zone) == target:
            high = middle
        else:
            low = middle + 1
    return before + timedelta(seconds=low)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first moment the local clock shows ``wall`` on ``day``.

    In a repeated (fall-back) hour that is the first pass. In a spring-forward gap the time never
    shows, so it is the end of the gap: the first valid local time after it.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return _transition(min(first, other), max(first, other), zone)


def _day_spans(day: date, zone: ZoneInfo, window: SendWindow) -> list[tuple[datetime, datetime]]:
    """The UTC stretches of one local day's window; a fall-back hour's second pass is cut out.

    Assumes at most one offset change inside one day's window, which holds for every zone in use.
    """
    start, end = _instant(day, window.start, zone), _instant(day, window.end, zone)
    if start >= end:
        return []
    repeated = _offset(start, zone) - _offset(end, zone)
    if repeated <= timedelta(0):
        return [(start, end)]
    change = _transition(start, end, zone)
    spans = [(start, change), (change + repeated, end)]
    return [(a, b) for a, b in spans if a < b]


def _sendable_day(day: date, window: SendWindow) -> bool:
    return day.weekday() in window.weekdays and day not in window.holidays


def _next_span(now_utc: datetime, zone: ZoneInfo, window: SendWindow) -> tuple[datetime, datetime] | None:
    """The earliest sendable instant at or after ``now_utc``, and where its stretch of window ends."""
    earliest = max(_utc(now_utc, "now"), window.opens_at)
    day, last_day = earliest.astimezone(zone).date(), window.closes_at.astimezone(zone).date()
    while day <= last_day:
        if _sendable_day(day, window):
            for start, end in _day_spans(day, zone, window):
                if start >= window.closes_at:
                    return None
                begin, finish = max(start, earliest), min(end, window.closes_at)
                if begin < finish:
                    return begin, finish
        day += timedelta(days=1)
    return None


# ---- the public questions ----------------------------------------------------------------------


def next_send_time(
    now_utc: datetime, tz_name: str | None, window: SendWindow, *, fallback_tz: str = "UTC"
) -> datetime | None:
    """The earliest UTC instant >= now inside the person's local window, or None once the wave has closed."""
    span = _next_span(now_utc, zone_or_fallback(tz_name, fallback_tz), window)
    return None if span is None else span[0]


def spread_fraction(participant_key: str) -> float:
    """A stable number in [0, 1) for a key: the same person keeps the same slot across restarts."""
    if not participant_key:
        raise ScheduleError("participant key is empty: pass the participant's pseudonym (never a platform user id)")
    digest = hashlib.sha256(_SPREAD_SALT + participant_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def send_time_for(
    participant_key: str,
    now_utc: datetime,
    tz_name: str | None,
    window: SendWindow,
    *,
    fallback_tz: str = "UTC",
    spread: timedelta = DEFAULT_SPREAD,
) -> datetime | None:
    """The next send time plus a per-person offset within the first ``spread`` of the window.

    ``participant_key`` is an opaque string such as the study pseudonym; it is only hashed. The
    offset shrinks when less window is left, so the result never leaves the window or the wave.
    """
    if spread <= timedelta(0):
        raise ScheduleError(f"spread {spread} is not positive: write a duration such as 1h")
    fraction = spread_fraction(participant_key)
    span = _next_span(now_utc, zone_or_fallback(tz_name, fallback_tz), window)
    if span is None:
        return None
    begin, finish = span
    room = min(spread, finish - begin).total_seconds()
    return begin + timedelta(seconds=int(fraction * room))


def reminder_times(
    invited_at: datetime,
    intervals: Sequence[timedelta],
    window: SendWindow,
    tz_name: str | None,
    *,
    fallback_tz: str = "UTC",
) -> list[datetime]:
    """Up to ``len(intervals)`` reminders, each at least its interval after the one before.

    Each counts from the previous send as actually scheduled (not as first computed), so a
    reminder pushed past a weekend never lands on top of the next one. Reminders that would fall
    after the wave closes are dropped.
    """
    for number, interval in enumerate(intervals, 1):
        if interval <= timedelta(0):
            raise ScheduleError(f"reminder {number} interval {interval} is not positive: write e.g. 2d or 36h")
    zone = zone_or_fallback(tz_name, fallback_tz)
    times: list[datetime] = []
    previous = _utc(invited_at, "the invitation time")
    for interval in intervals:
        span = _next_span(previous + interval, zone, window)
        if span is None:
            break
        previous = span[0]
        times.append(previous)
    return times


def deferred_for_dnd(
    dnd_end_utc: datetime,
    now_utc: datetime,
    tz_name: str | None,
    window: SendWindow,
    *,
    fallback_tz: str = "UTC",
) -> datetime | None:
    """When the platform says "do not disturb until T": the next send time at or after T (and now)."""
    later = max(_utc(dnd_end_utc, "the do-not-disturb end"), _utc(now_utc, "now"))
    return next_send_time(later, tz_name, window, fallback_tz=fallback_tz)


# ---- parsing what research ops write -----------------------------------------------------------


def _clock(text: str, hours: str, minutes: str) -> time:
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ScheduleError(
            f"send window {text!r}: {hours}:{minutes} is not a time of day (hours 00-23, minutes 00-59)"
        )
    return time(hour, minute)


def parse_window(text: str) -> tuple[time, time]:
    """Parse ``"09:30-16:30"`` into local start and end times."""
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise ScheduleError(
            f"send window {text!r} is not HH:MM-HH:MM: write the local start and end, for example 09:30-16:30"
        )
    start, end = _clock(text, *match.group(1, 2)), _clock(text, *match.group(3, 4))
    if start >= end:
        raise ScheduleError(
            f"send window {text!r} ends before it starts: write an earlier start than end on the same day, "
            "for example 09:30-16:30 (windows across midnight are not supported)"
        )
    return start, end


def _items(value: str | Iterable[str]) -> list[str]:
    if isinstance(value, str):
        return [item for item in re.split(r"[,\s]+", value) if item]
    return [item.strip() for item in value]


def parse_holidays(value: str | Iterable[str]) -> frozenset[date]:
    """Parse ISO dates, as one comma- or space-separated string or as a list of strings."""
    days: set[date] = set()
    for number, item in enumerate(_items(value), 1):
        if not _DATE.fullmatch(item):
            raise ScheduleError(
                f"holiday {item!r} (entry {number}) is not a date: write YYYY-MM-DD, for example 2026-12-25"
            )
        try:
            days.add(date.fromisoformat(item))
        except ValueError as exc:
            raise ScheduleError(f"holiday {item!r} (entry {number}) is not a calendar date: {exc}") from None
    return frozenset(days)


def parse_interval(text: str, *, what: str = "interval") -> timedelta:
    """Parse ``"2d"``, ``"36h"``, ``"90m"``, ``"1w"`` or combinations such as ``"1d12h"``."""
    compact = re.sub(r"\s+", "", text).lower()
    if not _DURATION.fullmatch(compact):
        raise ScheduleError(
            f"{what} {text!r} is not a duration: write whole numbers with a unit (w, d, h or m), "
            "for example 2d, 36h or 1d12h"
        )
    total = sum((int(amount) * _UNITS[unit] for amount, unit in _DURATION_PART.findall(compact)), timedelta(0))
    if total <= timedelta(0):
        raise ScheduleError(f"{what} {text!r} is zero: reminders need a positive gap, for example 2d")
    return total


def parse_intervals(value: str | Iterable[str]) -> tuple[timedelta, ...]:
    """Parse reminder intervals such as ``"2d, 3d"``: one reminder per entry."""
    return tuple(
        parse_interval(item, what=f"reminder interval {number}") for number, item in enumerate(_items(value), 1)
    )


def _weekday(token: str, text: str) -> int:
    name = token.strip().lower()
    for number, day in enumerate(WEEKDAY_NAMES):
        if len(name) >= 3 and day.startswith(name):
            return number
    raise ScheduleError(
        f"weekday {token.strip()!r} in {text!r} is not a day name: write English day names or their first "
        "three letters, for example mon-fri or mon,wed,fri"
    )


def parse_weekdays(text: str) -> frozenset[int]:
    """Parse ``"mon-fri"``, ``"mon,wed,fri"`` or ``"sun-thu"`` (ranges may wrap past Sunday)."""
    days: set[int] = set()
    for part in (p for p in text.split(",") if p.strip()):
        first, _, last = part.partition("-")
        start = _weekday(first, text)
        stop = _weekday(last, text) if last else start
        days.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
    if not days:
        raise ScheduleError(f"weekdays {text!r} names no day: write for example mon-fri")
    return frozenset(days)
