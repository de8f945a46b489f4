"""Opening hours through the real server: the session says whether it is open (with a
localised summary), `start` is refused with `closed` outside hours and in the last
minutes before closing, and chats already running continue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chat_server.transport import keys as K

TZ = ZoneInfo("Europe/Stockholm")
ALL_WEEK = {str(d): [["09:00", "16:00"]] for d in range(7)}


def _today() -> str:
    return datetime.now(TZ).date().isoformat()


async def set_hours(server, doc) -> None:
    await server.app[K.SERVICES].hours.set_schedule(doc)


async def test_closed_now_refuses_start(server, visitor):
    # Closed today by an exception; the weekly schedule still says when it opens next.
    await set_hours(server, {"weekly": ALL_WEEK, "exceptions": {_today(): []}, "closed_on_holidays": False})
    v = await visitor(auth={"locale": "en"})
    session = v.received("session")[0]
    assert session["open"] is False
    hours = session["hours"]
    assert hours["open_now"] is False and hours["always_open"] is False
    assert hours["closes_at"] is None and hours["next_open_at"] > datetime.now(TZ).timestamp() * 1000
    assert hours["timezone"] == "Europe/Stockholm"
    assert hours["weekly"][0] == {"weekday": 0, "ranges": [["09:00", "16:00"]]}
    assert "Mon–Sun" in hours["summary"] and "9:00" in hours["summary"]
    ack = await v.call("start", {"audience": "self"})
    assert ack["ok"] is False and ack["error"]["code"] == "closed"
    assert ack["error"]["message"]


async def test_summary_in_the_sessions_locale(server, visitor):
    await set_hours(server, {"weekly": ALL_WEEK, "exceptions": {_today(): []}})
    sv = (await visitor(auth={"locale": "sv"})).received("session")[0]["hours"]["summary"]
    ar = (await visitor(auth={"locale": "ar"})).received("session")[0]["hours"]["summary"]
    assert "mån–sön" in sv and "09:00" in sv
    assert "الاثنين" in ar


async def test_last_call_refuses_new_chats_but_running_chats_continue(server, visitor, operator):
    op, _ = await operator()
    running = await visitor()
    ack = await running.call("start", {"audience": "self"})
    assert ack["ok"]
    conv_id = ack["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": conv_id}))["ok"]

    now = datetime.now(TZ)
    start = max(now - timedelta(hours=1), now.replace(hour=0, minute=0))
    end = now + timedelta(minutes=5)
    end_text = "24:00" if end.date() != now.date() else end.strftime("%H:%M")
    await set_hours(
        server,
        {
            "weekly": ALL_WEEK,
            "exceptions": {_today(): [[start.strftime("%H:%M"), end_text]]},
            "last_call_min": 10,
        },
    )
    late = await visitor()
    session = late.received("session")[0]
    assert session["hours"]["open_now"] is True and session["open"] is False
    refused = await late.call("start", {"audience": "self"})
    assert refused["error"]["code"] == "closed"
    # The chat that was already running goes on.
    sent = await running.call("message", {"client_id": "after-last-call", "text": "Är du kvar?"})
    assert sent["ok"]
    reply = await op.call("message", {"conversation_id": conv_id, "client_id": "o1", "text": "Ja."})
    assert reply["ok"]


async def test_open_hours_accept_chats(server, visitor):
    now = datetime.now(TZ)
    await set_hours(
        server,
        {"weekly": ALL_WEEK, "exceptions": {_today(): [["00:00", "24:00"]]}, "last_call_min": 0},
    )
    v = await visitor()
    assert v.received("session")[0]["open"] is True or now.hour == 23 and now.minute == 59
    assert (await v.call("start", {"audience": "self"}))["ok"]
