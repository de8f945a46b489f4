"""The opening-hours cases of tests/fixtures/hours_cases.json, through the server.

The widget words the next opening from the ``hours`` payload the server sends
(widget/test/hours_cases.test.js runs the same cases through the widget's code with
that payload, in every locale). Here the server must agree with what the cases expect:
the moment of the next opening, whether it is open now, and, for today / tomorrow,
the same choice in its own summary text. So the fixture cannot drift from the server.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chat_server.services.hours import MSG_OPENS_ON, MSG_OPENS_TODAY, MSG_OPENS_TOMORROW, Schedule

TZ = ZoneInfo("Europe/Stockholm")
CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "hours_cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_server_agrees_with_the_case(case: dict[str, Any]) -> None:
    now = datetime.fromisoformat(case["now"])
    schedule = Schedule(case["schedule"])
    status = schedule.status(now)
    expected = case["next"]
    if expected is None:
        assert status["next_open_at"] is None
    else:
        opens = status["next_open_at"].astimezone(TZ)
        assert (opens.date().isoformat(), opens.strftime("%H:%M")) == (expected["date"], expected["time"])
        assert opens.weekday() == expected["weekday"]
        # Calendar days, never elapsed hours divided by 24.
        assert (opens.date() - now.astimezone(TZ).date()).days == expected["days"]
        msgid = {0: MSG_OPENS_TODAY, 1: MSG_OPENS_TOMORROW}.get(expected["days"], MSG_OPENS_ON)
        assert schedule.summary(now, "en", None).startswith(msgid.split("{")[0])
    if case["last_call_closes"]:
        assert status["open_now"] and not status["accepting"]
        assert status["closes_at"].astimezone(TZ).strftime("%H:%M") == case["last_call_closes"]
    else:
        assert not status["open_now"]


@pytest.mark.parametrize("case", [c for c in CASES if c["today_exception"]], ids=lambda c: c["name"])
def test_an_exception_today_differs_from_the_weekly_table(case: dict[str, Any]) -> None:
    """Where the widget says today is an exception, the server's day really differs
    from the usual week it sends as the table."""
    now = datetime.fromisoformat(case["now"]).astimezone(TZ)
    schedule = Schedule(case["schedule"])
    today: date = now.date()
    assert schedule.ranges_on(today) != schedule.weekly.get(today.weekday(), [])
