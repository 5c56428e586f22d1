"""Interview waves: when each invitation and reminder may go out, and how fast the platforms allow."""

from bot.waves.ratelimit import Decision, Limit, Limits, RateLimited, RateLimiter, bucket_key
from bot.waves.schedule import (
    DEFAULT_SPREAD,
    ScheduleError,
    SendWindow,
    deferred_for_dnd,
    next_send_time,
    parse_holidays,
    parse_interval,
    parse_intervals,
    parse_weekdays,
    parse_window,
    reminder_times,
    send_time_for,
    spread_fraction,
    zone_or_fallback,
)

__all__ = [
    "DEFAULT_SPREAD",
    "Decision",
    "Limit",
    "Limits",
    "RateLimited",
    "RateLimiter",
    "bucket_key",
    "ScheduleError",
    "SendWindow",
    "deferred_for_dnd",
    "next_send_time",
    "parse_holidays",
    "parse_interval",
    "parse_intervals",
    "parse_weekdays",
    "parse_window",
    "reminder_times",
    "send_time_for",
    "spread_fraction",
    "zone_or_fallback",
]
