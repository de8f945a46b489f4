"""services/recipients.py: the one function that chooses who receives what."""

from __future__ import annotations

from dataclasses import replace

from chat_server.services.recipients import Notify, recipients

from .conftest import RecordingEvents
from .test_domain import CONV


def test_each_scope() -> None:
    everyone = recipients(CONV, "everyone")
    assert everyone.visitor and everyone.staff == ("s1", "s2", "s3")
    staff = recipients(CONV, "staff")
    assert not staff.visitor and staff.staff == ("s1", "s2", "s3")
    visitor = recipients(CONV, "visitor")
    assert visitor.visitor and visitor.staff == ()
    waiting = replace(CONV, state="waiting", operator_id=None, invited_ids=(), observer_ids=())
    assert recipients(waiting, "everyone").staff == ()


async def test_notify_sends_each_reader_their_own_payload() -> None:
    events = RecordingEvents()

    async def locale(staff_id: str) -> str:
        return {"s1": "sv", "s2": "ar"}.get(staff_id, "en")

    to = await Notify(events, locale).send(
        CONV, "everyone", "message", {"for": "visitor"}, lambda loc: {"for": "staff", "locale": loc}
    )
    assert to == recipients(CONV, "everyone")
    got = {s.to: s.payload for s in events.sent}
    assert got == {
        ("visitor", "c1"): {"for": "visitor"},
        ("staff", "s1"): {"for": "staff", "locale": "sv"},
        ("staff", "s2"): {"for": "staff", "locale": "ar"},
        ("staff", "s3"): {"for": "staff", "locale": "en"},
    }
