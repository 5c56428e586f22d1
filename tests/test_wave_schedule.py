"""Wave send times with fixed datetimes: local windows, weekends, holidays, DST days, closing, reminders, DND."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ConfigError
from bot.waves import (
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
)

EVERY_DAY = frozenset(range(7))
WAVE_OPENS = datetime(2026, 1, 1, tzinfo=UTC)
WAVE_CLOSES = datetime(2027, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def window(
    hours: str = "09:30-16:30",
    *,
    opens: datetime = WAVE_OPENS,
    closes: datetime = WAVE_CLOSES,
    weekdays: frozenset[int] = frozenset(range(5)),
    holidays: frozenset[date] = frozenset(),
) -> SendWindow:
    start, end = parse_window(hours)
    return SendWindow(start, end, opens, closes, weekdays, holidays)


def local(instant: datetime | None, tz: str) -> str:
    assert instant is not None
    assert instant.tzinfo is UTC
    return instant.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %a %H:%M:%S %Z")


# ---- ordinary days in four zones ---------------------------------------------------------------


def test_before_the_window_waits_for_its_local_start_in_los_angeles() -> None:
    # Monday 07:00 PST
    got = next_send_time(utc(2026, 3, 2, 15, 0), "America/Los_Angeles", window())
    assert got == utc(2026, 3, 2, 17, 30)


def test_inside_the_window_sends_now() -> None:
    now = utc(2026, 3, 2, 20, 12, 34)  # Monday 12:12 PST
    assert next_send_time(now, "America/Los_Angeles", window()) == now


def test_friday_evening_waits_for_monday_which_is_already_summer_time() -> None:
    # Friday 17:00 PST; the clocks change on Sunday 8 March, so Monday 09:30 is PDT (UTC-7).
    got = next_send_time(utc(2026, 3, 7, 1, 0), "America/Los_Angeles", window())
    assert local(got, "America/Los_Angeles") == "2026-03-09 Mon 09:30:00 PDT"
    assert got == utc(2026, 3, 9, 16, 30)


def test_the_window_end_is_exclusive_in_berlin() -> None:
    # Friday 16:30 CET exactly: that is already outside, so Monday 09:30.
    got = next_send_time(utc(2026, 1, 9, 15, 30), "Europe/Berlin", window())
    assert local(got, "Europe/Berlin") == "2026-01-12 Mon 09:30:00 CET"


def test_a_half_hour_offset_zone_kolkata() -> None:
    # Wednesday 00:00 UTC is 05:30 IST; the window opens at 09:30 IST = 04:00 UTC.
    assert next_send_time(utc(2026, 4, 1, 0, 0), "Asia/Kolkata", window()) == utc(2026, 4, 1, 4, 0)
    # 16:29 IST is inside, 16:30 IST is not: the next is Thursday.
    assert next_send_time(utc(2026, 4, 1, 10, 59), "Asia/Kolkata", window()) == utc(2026, 4, 1, 10, 59)
    assert next_send_time(utc(2026, 4, 1, 11, 0), "Asia/Kolkata", window()) == utc(2026, 4, 2, 4, 0)


def test_sydney_where_the_clocks_go_back_in_april() -> None:
    # Friday 18:00 AEDT (UTC+11); daylight time ends Sunday 5 April, so Monday 09:30 is AEST (UTC+10).
    got = next_send_time(utc(2026, 4, 3, 7, 0), "Australia/Sydney", window())
    assert local(got, "Australia/Sydney") == "2026-04-06 Mon 09:30:00 AEST"
    assert got == utc(2026, 4, 5, 23, 30)


def test_the_same_instant_gives_each_person_their_own_local_morning() -> None:
    now = utc(2026, 6, 15, 0, 0)  # a Monday, 00:00 UTC
    got = {tz: local(next_send_time(now, tz, window()), tz) for tz in ("Europe/Berlin", "Australia/Sydney")}
    assert got == {"Europe/Berlin": "2026-06-15 Mon 09:30:00 CEST", "Australia/Sydney": "2026-06-15 Mon 10:00:00 AEST"}


# ---- weekdays and holidays -----------------------------------------------------------------------


def test_weekends_are_skipped() -> None:
    saturday_noon = utc(2026, 3, 14, 11, 0)
    assert local(next_send_time(saturday_noon, "Europe/Berlin", window()), "Europe/Berlin") == (
        "2026-03-16 Mon 09:30:00 CET"
    )


def test_holidays_are_skipped_in_local_dates() -> None:
    holidays = parse_holidays("2026-12-24, 2026-12-25 2026-12-31")
    got = next_send_time(utc(2026, 12, 24, 7, 0), "Europe/Berlin", window(holidays=holidays))
    assert local(got, "Europe/Berlin") == "2026-12-28 Mon 09:30:00 CET"


def test_a_holiday_is_a_date_in_the_persons_own_zone() -> None:
    # 2026-12-25 09:30 in Sydney is still 24 December in UTC: the local date is what counts.
    holidays = frozenset({date(2026, 12, 25)})
    got = next_send_time(utc(2026, 12, 24, 20, 0), "Australia/Sydney", window(holidays=holidays))
    assert local(got, "Australia/Sydney") == "2026-12-28 Mon 09:30:00 AEDT"


def test_custom_weekdays_such_as_sunday_to_thursday() -> None:
    w = window(weekdays=parse_weekdays("sun-thu"))
    friday_night = utc(2026, 3, 6, 20, 0)
    assert local(next_send_time(friday_night, "Asia/Kolkata", w), "Asia/Kolkata") == "2026-03-08 Sun 09:30:00 IST"


# ---- DST: spring forward -------------------------------------------------------------------------


def test_us_spring_forward_start_in_the_gap_moves_to_the_first_valid_time() -> None:
    # 2026-03-08 Los Angeles: 02:00 PST jumps to 03:00 PDT (10:00 UTC); 02:30 never happens.
    w = window("02:30-04:00", weekdays=EVERY_DAY)
    got = next_send_time(utc(2026, 3, 8, 8, 0), "America/Los_Angeles", w)
    assert got == utc(2026, 3, 8, 10, 0)
    assert local(got, "America/Los_Angeles") == "2026-03-08 Sun 03:00:00 PDT"


def test_eu_spring_forward_start_in_the_gap_moves_to_the_first_valid_time() -> None:
    # 2026-03-29 Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    w = window("02:15-05:00", weekdays=EVERY_DAY)
    got = next_send_time(utc(2026, 3, 28, 23, 0), "Europe/Berlin", w)
    assert got == utc(2026, 3, 29, 1, 0)
    assert local(got, "Europe/Berlin") == "2026-03-29 Sun 03:00:00 CEST"


def test_a_window_entirely_inside_the_gap_is_empty_that_day() -> None:
    w = window("02:10-02:50", weekdays=EVERY_DAY)
    got = next_send_time(utc(2026, 3, 29, 0, 0), "Europe/Berlin", w)
    assert local(got, "Europe/Berlin") == "2026-03-30 Mon 02:10:00 CEST"


def test_ordinary_hours_keep_their_local_time_across_the_change() -> None:
    w = window(weekdays=EVERY_DAY)
    before = next_send_time(utc(2026, 3, 28, 0, 0), "Europe/Berlin", w)
    after = next_send_time(utc(2026, 3, 29, 0, 0), "Europe/Berlin", w)
    assert (before, after) == (utc(2026, 3, 28, 8, 30), utc(2026, 3, 29, 7, 30))


# ---- DST: fall back --------------------------------------------------------------------------------


def test_us_fall_back_start_in_the_repeated_hour_uses_the_first_pass() -> None:
    # 2026-11-01 Los Angeles: 02:00 PDT goes back to 01:00 PST (09:00 UTC); 01:00-02:00 happens twice.
    w = window("01:30-01:45", weekdays=EVERY_DAY)
    got = next_send_time(utc(2026, 11, 1, 7, 0), "America/Los_Angeles", w)
    assert got == utc(2026, 11, 1, 8, 30)
    assert local(got, "America/Los_Angeles") == "2026-11-01 Sun 01:30:00 PDT"


def test_us_fall_back_second_pass_of_the_repeated_hour_is_not_used_again() -> None:
    w = window("01:30-01:45", weekdays=EVERY_DAY)
    # 09:30 UTC is 01:30 PST, the second time the clock shows 01:30: not a second window.
    got = next_send_time(utc(2026, 11, 1, 9, 0), "America/Los_Angeles", w)
    assert local(got, "America/Los_Angeles") == "2026-11-02 Mon 01:30:00 PST"


def test_us_fall_back_window_around_the_repeat_skips_the_second_pass() -> None:
    w = window("01:00-03:00", weekdays=EVERY_DAY)
    tz = "America/Los_Angeles"
    assert next_send_time(utc(2026, 11, 1, 8, 59, 59), tz, w) == utc(2026, 11, 1, 8, 59, 59)  # 01:59:59 PDT
    # 09:00-10:00 UTC is the repeated 01:00-02:00 PST: the next usable instant is 02:00 PST.
    assert next_send_time(utc(2026, 11, 1, 9, 15), tz, w) == utc(2026, 11, 1, 10, 0)
    assert next_send_time(utc(2026, 11, 1, 10, 30), tz, w) == utc(2026, 11, 1, 10, 30)
    assert local(next_send_time(utc(2026, 11, 1, 11, 0), tz, w), tz) == "2026-11-02 Mon 01:00:00 PST"


def test_eu_fall_back_repeated_hour_is_used_once() -> None:
    # 2026-10-25 Berlin: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:00-03:00 happens twice.
    w = window("02:30-02:45", weekdays=EVERY_DAY)
    first = next_send_time(utc(2026, 10, 24, 22, 0), "Europe/Berlin", w)
    assert first == utc(2026, 10, 25, 0, 30)
    assert local(first, "Europe/Berlin") == "2026-10-25 Sun 02:30:00 CEST"
    again = next_send_time(utc(2026, 10, 25, 1, 20), "Europe/Berlin", w)  # 02:20 CET, the second pass
    assert local(again, "Europe/Berlin") == "2026-10-26 Mon 02:30:00 CET"


def test_ordinary_hours_after_fall_back() -> None:
    w = window(weekdays=EVERY_DAY)
    got = next_send_time(utc(2026, 10, 25, 0, 0), "Europe/Berlin", w)
    assert got == utc(2026, 10, 25, 8, 30)
    assert local(got, "Europe/Berlin") == "2026-10-25 Sun 09:30:00 CET"


# ---- opening and closing ------------------------------------------------------------------------


def test_nothing_before_the_wave_opens() -> None:
    w = window(opens=utc(2026, 3, 4, 19, 0))  # Wednesday 11:00 PST
    assert next_send_time(utc(2026, 3, 2, 15, 0), "America/Los_Angeles", w) == utc(2026, 3, 4, 19, 0)


def test_closing_reached_gives_none() -> None:
    # Closes Friday 12:00 UTC; Friday's Los Angeles window only starts at 17:30 UTC.
    w = window(closes=utc(2026, 3, 6, 12, 0))
    assert next_send_time(utc(2026, 3, 6, 1, 0), "America/Los_Angeles", w) is None  # Thursday 17:00 PST
    assert next_send_time(utc(2026, 3, 6, 12, 0), "Europe/Berlin", w) is None
    assert next_send_time(utc(2026, 3, 6, 11, 59), "Europe/Berlin", w) == utc(2026, 3, 6, 11, 59)


def test_only_holidays_until_closing_gives_none() -> None:
    w = window(closes=utc(2026, 12, 27), holidays=parse_holidays(["2026-12-24", "2026-12-25"]))
    assert next_send_time(utc(2026, 12, 23, 17, 0), "Europe/Berlin", w) is None


# ---- time zones that cannot be used ----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", None, "  ", "../../etc/passwd", "/etc/localtime"])
def test_unknown_time_zone_falls_back_to_the_waves_default(bad: str | None) -> None:
    now = utc(2026, 3, 2, 0, 0)
    expected = next_send_time(now, "Europe/Berlin", window())
    assert next_send_time(now, bad, window(), fallback_tz="Europe/Berlin") == expected


def test_an_unusable_default_zone_is_a_precise_error() -> None:
    with pytest.raises(ScheduleError, match=r"default time zone 'Europe/Berlinn' is not an IANA time zone name"):
        next_send_time(utc(2026, 3, 2), "nope", window(), fallback_tz="Europe/Berlinn")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ScheduleError, match=r"now \(2026-03-02T00:00:00\) has no time zone"):
        next_send_time(datetime(2026, 3, 2), "UTC", window())
    with pytest.raises(ScheduleError, match="opening time"):
        SendWindow(time(9), time(17), datetime(2026, 1, 1), utc(2026, 2, 1))


# ---- reminders -----------------------------------------------------------------------------------


def test_reminders_are_moved_into_the_window_and_counted_from_the_moved_time() -> None:
    tz = "America/Los_Angeles"
    invited = utc(2026, 3, 5, 18, 0)  # Thursday 10:00 PST
    got = reminder_times(invited, parse_intervals("2d, 2d, 36h"), window(), tz)
    assert [local(t, tz) for t in got] == [
        "2026-03-09 Mon 09:30:00 PDT",  # Saturday 10:00 moved to Monday
        "2026-03-11 Wed 09:30:00 PDT",  # two days after Monday 09:30
        "2026-03-13 Fri 09:30:00 PDT",  # 36 hours on is Thursday 21:30, moved to Friday
    ]
    gaps = [b - a for a, b in zip([invited, *got], got, strict=False)]
    assert all(gap >= interval for gap, interval in zip(gaps, parse_intervals("2d,2d,36h"), strict=True))


def test_reminders_after_closing_are_dropped() -> None:
    w = window(closes=utc(2026, 3, 12))
    got = reminder_times(utc(2026, 3, 2, 9, 0), [timedelta(days=3)] * 5, w, "Europe/Berlin")
    assert [local(t, "Europe/Berlin") for t in got] == ["2026-03-05 Thu 10:00:00 CET", "2026-03-09 Mon 09:30:00 CET"]


def test_reminders_in_the_window_keep_their_exact_interval() -> None:
    got = reminder_times(utc(2026, 3, 2, 10, 0), [timedelta(hours=2), timedelta(hours=3)], window(), "Europe/London")
    assert got == [utc(2026, 3, 2, 12, 0), utc(2026, 3, 2, 15, 0)]


def test_a_non_positive_reminder_interval_is_refused() -> None:
    with pytest.raises(ScheduleError, match=r"reminder 2 interval -1 day, 0:00:00 is not positive"):
        reminder_times(utc(2026, 3, 2), [timedelta(days=1), timedelta(days=-1)], window(), "UTC")


# ---- do not disturb --------------------------------------------------------------------------------


def test_dnd_until_the_evening_defers_to_the_next_window() -> None:
    tz = "America/Los_Angeles"
    dnd_end = utc(2026, 3, 4, 2, 0)  # Tuesday 18:00 PST
    got = deferred_for_dnd(dnd_end, utc(2026, 3, 3, 20, 0), tz, window())
    assert local(got, tz) == "2026-03-04 Wed 09:30:00 PST"


def test_dnd_ending_inside_the_window_sends_when_it_ends() -> None:
    got = deferred_for_dnd(utc(2026, 3, 3, 21, 15), utc(2026, 3, 3, 20, 0), "America/Los_Angeles", window())
    assert got == utc(2026, 3, 3, 21, 15)


def test_dnd_already_over_sends_now() -> None:
    now = utc(2026, 3, 3, 20, 0)
    assert deferred_for_dnd(utc(2026, 3, 3, 19, 0), now, "America/Los_Angeles", window()) == now


def test_dnd_past_closing_gives_none() -> None:
    w = window(closes=utc(2026, 3, 5))
    assert deferred_for_dnd(utc(2026, 3, 6), utc(2026, 3, 3, 20, 0), "America/Los_Angeles", w) is None


# ---- spreading -------------------------------------------------------------------------------------


def keys(count: int) -> list[str]:
    return [f"pseudonym-{n:04d}" for n in range(count)]


def test_spreading_is_deterministic_and_depends_only_on_the_key() -> None:
    now, tz = utc(2026, 3, 2, 6, 0), "Europe/Berlin"
    first = [send_time_for(k, now, tz, window()) for k in keys(50)]
    again = [send_time_for(k, now, tz, window()) for k in keys(50)]
    assert first == again
    assert spread_fraction("abc") == spread_fraction("abc") != spread_fraction("abd")


def test_three_hundred_invitations_spread_over_the_first_hour() -> None:
    now, tz = utc(2026, 3, 2, 6, 0), "Europe/Berlin"
    start = utc(2026, 3, 2, 8, 30)  # 09:30 CET
    times = [send_time_for(k, now, tz, window()) for k in keys(300)]
    assert all(t is not None and start <= t < start + timedelta(hours=1) for t in times)
    assert len(set(times)) > 250  # whole seconds in one hour: a few collisions at most
    early = sum(1 for t in times if t is not None and t < start + timedelta(minutes=30))
    assert 100 < early < 200  # roughly half in each half hour


def test_spreading_shrinks_to_what_is_left_of_the_window() -> None:
    now, tz = utc(2026, 3, 2, 15, 10), "Europe/Berlin"  # 16:10 CET: twenty minutes left
    times = [send_time_for(k, now, tz, window()) for k in keys(300)]
    assert all(t is not None and now <= t < utc(2026, 3, 2, 15, 30) for t in times)


def test_spreading_stays_before_closing_and_skips_the_repeated_hour() -> None:
    w = window(closes=utc(2026, 3, 2, 8, 40))  # ten minutes after Monday's Berlin window opens
    times = [send_time_for(k, utc(2026, 3, 2), "Europe/Berlin", w) for k in keys(100)]
    assert all(t is not None and utc(2026, 3, 2, 8, 30) <= t < utc(2026, 3, 2, 8, 40) for t in times)
    fall_back = window("01:00-03:00", weekdays=EVERY_DAY)
    tz = "America/Los_Angeles"
    times = [send_time_for(k, utc(2026, 11, 1, 8, 0), tz, fall_back) for k in keys(100)]
    assert all(t is not None and utc(2026, 11, 1, 8, 0) <= t < utc(2026, 11, 1, 9, 0) for t in times)


def test_spreading_refuses_an_empty_key_and_a_non_positive_spread() -> None:
    with pytest.raises(ScheduleError, match="participant key is empty"):
        send_time_for("", utc(2026, 3, 2), "UTC", window())
    with pytest.raises(ScheduleError, match="spread 0:00:00 is not positive"):
        send_time_for("k", utc(2026, 3, 2), "UTC", window(), spread=timedelta(0))


# ---- parsing and precise errors ----------------------------------------------------------------------


def test_parse_window() -> None:
    assert parse_window("09:30-16:30") == (time(9, 30), time(16, 30))
    assert parse_window(" 9:00 \u2013 17:15 ") == (time(9, 0), time(17, 15))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-5", r"send window '9-5' is not HH:MM-HH:MM: write the local start and end, for example 09:30-16:30"),
        ("09:30", r"send window '09:30' is not HH:MM-HH:MM"),
        ("25:00-26:00", r"send window '25:00-26:00': 25:00 is not a time of day \(hours 00-23, minutes 00-59\)"),
        ("09:30-16:75", r"16:75 is not a time of day"),
        ("16:30-09:30", r"send window '16:30-09:30' ends before it starts.*across midnight are not supported"),
        ("09:30-09:30", r"ends before it starts"),
    ],
)
def test_parse_window_errors_name_the_value_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_window(text)


def test_parse_holidays() -> None:
    assert parse_holidays("2026-12-25,2026-12-26\n2027-01-01") == {
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
    }
    assert parse_holidays("") == frozenset()
    with pytest.raises(ScheduleError, match=r"holiday '25/12/2026' \(entry 2\) is not a date: write YYYY-MM-DD"):
        parse_holidays("2026-12-24, 25/12/2026")
    with pytest.raises(ScheduleError, match=r"holiday '2026-02-30' \(entry 1\) is not a calendar date: day is out of"):
        parse_holidays(["2026-02-30"])


def test_parse_intervals() -> None:
    assert parse_interval("2d") == timedelta(days=2)
    assert parse_interval("36h") == timedelta(hours=36)
    assert parse_interval("1d 12h") == timedelta(hours=36)
    assert parse_interval("90m") == timedelta(minutes=90)
    assert parse_interval("1W") == timedelta(weeks=1)
    assert parse_intervals("2d, 3d") == (timedelta(days=2), timedelta(days=3))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2 days", r"interval '2 days' is not a duration: write whole numbers with a unit \(w, d, h or m\)"),
        ("1.5d", r"interval '1.5d' is not a duration.*for example 2d, 36h or 1d12h"),
        ("", r"interval '' is not a duration"),
        ("0h", r"interval '0h' is zero: reminders need a positive gap"),
    ],
)
def test_parse_interval_errors(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_interval(text)


def test_parse_intervals_says_which_entry_is_wrong() -> None:
    with pytest.raises(ScheduleError, match=r"reminder interval 2 'soon' is not a duration"):
        parse_intervals("2d, soon")


def test_parse_weekdays() -> None:
    assert parse_weekdays("mon-fri") == frozenset(range(5))
    assert parse_weekdays("Mon, Wed,friday") == {0, 2, 4}
    assert parse_weekdays("fri-mon") == {4, 5, 6, 0}
    with pytest.raises(ScheduleError, match=r"weekday 'funday' in 'mon,funday' is not a day name.*mon-fri"):
        parse_weekdays("mon,funday")
    with pytest.raises(ScheduleError, match="names no day"):
        parse_weekdays(" , ")


def test_window_errors_are_config_errors_and_value_errors() -> None:
    with pytest.raises(ConfigError, match="closes .* before it opens"):
        window(opens=utc(2026, 2, 1), closes=utc(2026, 1, 1))
    with pytest.raises(ValueError, match="non-empty set of numbers 0 \\(Monday\\) to 6"):
        window(weekdays=frozenset({7}))


def test_window_from_text() -> None:
    w = SendWindow.from_text(
        "10:00-12:00", opens_at=utc(2026, 3, 2), closes_at=utc(2026, 4, 1), weekdays="tue,thu", holidays="2026-03-03"
    )
    assert (w.start, w.end, w.weekdays, w.holidays) == (time(10), time(12), {1, 3}, {date(2026, 3, 3)})
    assert local(next_send_time(utc(2026, 3, 2), "Europe/Berlin", w), "Europe/Berlin") == "2026-03-05 Thu 10:00:00 CET"
