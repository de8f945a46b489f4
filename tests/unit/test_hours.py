"""Opening hours (services/hours.py): weekly schedule, exceptions, Swedish holidays
including Midsummer Eve / Christmas Eve / New Year's Eve, last call, 24:00, summer
time, validation, and the localised summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat_server.i18n import SUPPORTED, Catalogs
from chat_server.services.hours import Schedule

TZ = ZoneInfo("Europe/Stockholm")
OFFICE = {"weekly": {str(d): [["09:00", "16:00"]] for d in range(5)}, "last_call_min": 10}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_unconfigured_is_always_open() -> None:
    status = Schedule(None).status(utc(2026, 12, 24, 3, 0))
    assert status["open_now"] and status["accepting"] and status["closes_at"] is None


def test_weekday_hours_and_weekend() -> None:
    s = Schedule(OFFICE)
    assert s.status(local(2026, 11, 23, 9, 0))["open_now"]  # Monday 09:00
    assert not s.status(local(2026, 11, 23, 8, 59))["open_now"]
    assert not s.status(local(2026, 11, 23, 16, 0))["open_now"]  # the end is exclusive
    saturday = s.status(local(2026, 11, 28, 12, 0))
    assert not saturday["open_now"] and saturday["next_open_at"] == local(2026, 11, 30, 9, 0)


def test_last_call_stops_new_chats_but_not_open_now() -> None:
    s = Schedule(OFFICE)
    before = s.status(local(2026, 11, 23, 15, 49))
    during = s.status(local(2026, 11, 23, 15, 50))
    assert before["accepting"] and during["open_now"] and not during["accepting"]
    assert during["closes_at"] == local(2026, 11, 23, 16, 0)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # Nyårsdagen
        date(2026, 1, 6),  # Trettondedag jul
        date(2026, 4, 3),  # Långfredagen
        date(2026, 4, 6),  # Annandag påsk
        date(2026, 5, 1),  # Första maj
        date(2026, 5, 14),  # Kristi himmelsfärdsdag
        date(2027, 6, 25),  # Midsommarafton (a Friday), a de facto holiday
        date(2026, 12, 24),  # Julafton
        date(2026, 12, 25),  # Juldagen
        date(2026, 12, 31),  # Nyårsafton
    ],
)
def test_closed_on_public_holidays_and_eves(day: date) -> None:
    all_week = {"weekly": {str(d): [["09:00", "16:00"]] for d in range(7)}}
    s = Schedule(all_week)
    assert s.ranges_on(day) == []
    assert not s.status(datetime.combine(day, datetime.min.time(), TZ).replace(hour=12))["open_now"]


def test_eves_can_be_opened_and_exceptions_win() -> None:
    week = {str(d): [["09:00", "16:00"]] for d in range(7)}
    assert Schedule({"weekly": week, "closed_on_eves": False}).ranges_on(date(2026, 6, 19))  # Midsummer Eve
    assert not Schedule({"weekly": week, "closed_on_eves": False}).ranges_on(date(2026, 6, 20))  # Midsummer Day
    assert Schedule({"weekly": week, "closed_on_holidays": False}).ranges_on(date(2026, 12, 25))
    opened = Schedule({"weekly": week, "exceptions": {"2026-12-24": [["10:00", "13:00"]]}})
    assert opened.status(local(2026, 12, 24, 11, 0))["open_now"]
    closed = Schedule({"weekly": week, "exceptions": {"2026-11-25": []}})
    assert not closed.status(local(2026, 11, 25, 11, 0))["open_now"]


def test_christmas_next_opening_skips_all_closed_days() -> None:
    s = Schedule(OFFICE)
    status = s.status(local(2026, 12, 23, 17, 0))  # Wednesday evening
    assert status["next_open_at"] == local(2026, 12, 28, 9, 0)  # 24 eve, 25-26 holidays, weekend


def test_summer_time_starts() -> None:
    # 2026-03-29: 02:00 CET -> 03:00 CEST. Opening 09:00 local is 07:00 UTC that day.
    s = Schedule({"weekly": {"6": [["09:00", "16:00"]]}})
    assert not s.status(utc(2026, 3, 29, 6, 59))["open_now"]
    assert s.status(utc(2026, 3, 29, 7, 0))["open_now"]
    assert s.status(utc(2026, 3, 28, 20, 0))["next_open_at"].timestamp() == utc(2026, 3, 29, 7, 0).timestamp()
    assert s.status(utc(2026, 3, 29, 13, 59))["closes_at"].timestamp() == utc(2026, 3, 29, 14, 0).timestamp()


def test_summer_time_ends() -> None:
    # 2026-10-25: 03:00 CEST -> 02:00 CET. Opening 09:00 local is 08:00 UTC that day.
    s = Schedule({"weekly": {"6": [["09:00", "16:00"]]}})
    assert not s.status(utc(2026, 10, 25, 7, 59))["open_now"]
    assert s.status(utc(2026, 10, 25, 8, 0))["open_now"]
    assert s.status(utc(2026, 10, 25, 14, 59))["open_now"]
    assert not s.status(utc(2026, 10, 25, 15, 0))["open_now"]


def test_midnight_ranges_on_a_short_day() -> None:
    # A 23-hour day: open all day; 24:00 is the next midnight, in summer time.
    s = Schedule({"weekly": {"6": [["00:00", "24:00"]]}, "last_call_min": 30})
    status = s.status(utc(2026, 3, 29, 21, 0))  # 23:00 CEST
    assert status["open_now"] and status["closes_at"].timestamp() == utc(2026, 3, 29, 22, 0).timestamp()
    assert not s.status(utc(2026, 3, 29, 21, 31))["accepting"]


def test_24_hours_running_into_the_next_day_has_no_false_last_call() -> None:
    s = Schedule({"weekly": {"0": [["18:00", "24:00"]], "1": [["00:00", "08:00"]]}, "last_call_min": 30})
    status = s.status(local(2026, 11, 23, 23, 50))
    assert status["accepting"] and status["closes_at"] == local(2026, 11, 24, 8, 0)


@pytest.mark.parametrize(
    "doc",
    [
        {"weekly": {"7": [["09:00", "10:00"]]}},
        {"weekly": {"0": [["10:00", "09:00"]]}},
        {"weekly": {"0": [["9:00", "10:00"]]}},
        {"weekly": {"0": [["09:00", "25:00"]]}},
        {"weekly": {"0": "09-16"}},
        {"weekly": {"0": [["09:00", "16:00"]]}, "exceptions": {"2026-13-01": []}},
        {"weekly": {"0": [["09:00", "16:00"]]}, "last_call_min": -1},
        {"weekly": {"0": [["09:00", "16:00"]]}, "last_call_min": True},
    ],
)
def test_bad_documents_are_refused(doc: dict) -> None:
    with pytest.raises(ValueError):
        Schedule(doc)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)))
def test_status_is_consistent(now: datetime) -> None:
    s = Schedule({**OFFICE, "weekly": {**OFFICE["weekly"], "5": [["10:00", "14:00"]]}})
    status = s.status(now)
    if status["open_now"]:
        assert status["closes_at"] > now and status["next_open_at"] is None
        assert status["accepting"] == (now.timestamp() < status["closes_at"].timestamp() - 600)
    else:
        assert not status["accepting"] and status["next_open_at"] > now
        assert s.status(status["next_open_at"])["open_now"]


def test_summary_is_localised_with_babel() -> None:
    catalogs = Catalogs()
    s = Schedule({"weekly": {**{str(d): [["09:00", "16:00"]] for d in range(4)}, "4": [["09:00", "12:00"]]}})
    now = local(2026, 11, 23, 10, 0)
    sv = s.summary(now, "sv", catalogs)
    assert "mån–tors" in sv and "09:00–16:00" in sv and "fre" in sv and "16:00" in sv
    en = s.summary(now, "en", catalogs)
    assert "Mon–Thu" in en and "9:00" in en and "PM" in en
    ar = s.summary(now, "ar", catalogs)
    assert "الاثنين" in ar
    closed = s.summary(local(2026, 12, 24, 10, 0), "en", catalogs)
    assert "Dec 28" in closed  # the next opening, formatted for the locale
    for code in SUPPORTED:
        assert s.summary(now, code, catalogs)  # every locale renders without error
    assert Schedule(None).summary(now, "en", catalogs)


def test_a_summer_closure_is_one_period_and_an_exception_date_inside_it_is_refused_elsewhere() -> None:
    doc = {
        **OFFICE,
        "exception_periods": [
            {"from": "2026-07-06", "to": "2026-08-02", "ranges": [], "reason": "Sommarstängt"},
            {"from": "2026-08-03", "to": "2026-08-07", "ranges": [["10:00", "12:00"]]},
        ],
    }
    s = Schedule(doc)
    closed = s.status(local(2026, 7, 15, 10, 0))  # a Wednesday in the closure
    assert not closed["open_now"] and closed["next_open_at"] == local(2026, 8, 3, 10, 0)
    reduced = s.status(local(2026, 8, 3, 11, 0))
    assert reduced["open_now"] and reduced["closes_at"] == local(2026, 8, 3, 12, 0)
    assert s.status(local(2026, 8, 10, 9, 30))["open_now"]  # the usual week again
    assert s.to_doc()["exception_periods"][0]["reason"] == "Sommarstängt"
    assert "exception_periods" not in Schedule(OFFICE).to_doc()


def test_closed_on_eves_can_be_switched_off() -> None:
    christmas_eve = local(2026, 12, 24, 10, 0)  # a Thursday
    assert not Schedule(OFFICE).status(christmas_eve)["open_now"]
    assert Schedule({**OFFICE, "closed_on_eves": False}).status(christmas_eve)["open_now"]


@pytest.mark.parametrize(
    "period",
    [
        {"from": "2026-07-10", "to": "2026-07-01", "ranges": []},
        {"from": "2026-07-01", "to": "2026-07-10", "ranges": [], "reason": 5},
        {"from": "2026-07-01", "ranges": []},
    ],
)
def test_a_bad_period_is_refused(period: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Schedule({**OFFICE, "exception_periods": [period]})
