"""services/sessions.py: a fresh or resumed session, the ``session`` payload, the
visitor's connection coming and going, and what staff see of it."""

from __future__ import annotations

from .conftest import World, staff_of, visitor_of


async def test_a_fresh_session_and_a_resume(world: World) -> None:
    sess, conv = await world.services.sessions.open(None, "sv", "ar")
    assert conv is None and sess.locale == "ar" and len(sess.pseudonym) == 4
    assert await world.services.repository.find_session(sess.token) is not None
    payload = await world.services.sessions.payload(sess, None)
    assert payload["token"] == sess.token and payload["conversation"] is None and payload["open"] is True

    sess, cid = await world.start(sess)
    again, live = await world.services.sessions.open(sess.token, "sv", None)
    assert live is not None and live.id == cid and again.conversation_id == cid and again.locale == "ar"
    resumed = await world.services.sessions.payload(again, live)
    assert resumed["conversation"] == {"id": cid, "state": "waiting", "position": 1}

    unknown, none = await world.services.sessions.open("not-a-token", "sv", None)
    assert none is None and unknown.token != "not-a-token"


async def test_away_and_back_are_shown_to_staff_and_only_the_newest_socket_counts(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    conv = await world.services.repository.get(cid)
    assert conv is not None
    back = await world.services.sessions.do_connected(conv, "new-socket")
    assert back.visitor_sid == "new-socket"
    world.events.clear()

    await world.services.sessions.do_disconnected(sess, "old-socket")  # a late disconnect
    assert world.events.sent == []
    assert (await world.services.repository.get(cid)).visitor_connected  # type: ignore[union-attr]

    await world.services.sessions.do_disconnected(sess, "new-socket")
    away = await world.services.repository.get(cid)
    assert away is not None and not away.visitor_connected and away.visitor_away_since
    assert world.events.recipients("conversation") == {staff_of(sara)}
    assert world.events.payloads("conversation", staff_of(sara))[0]["conversation"]["visitor_connected"] is False

    world.events.clear()
    await world.services.sessions.do_connected(away, "newest")
    assert world.events.payloads("conversation", staff_of(sara))[0]["conversation"]["visitor_connected"] is True


async def test_resume_announces_history_state_and_place(world: World) -> None:
    sess, cid = await world.start()
    await world.services.messages.do_visitor_message(sess, "c1", "hej")
    conv = await world.services.repository.get(cid)
    assert conv is not None
    world.events.clear()
    await world.services.sessions.resume_announce(conv)
    assert [s.event for s in world.events.sent] == ["history", "state", "queue"]
    assert {s.to for s in world.events.sent} == {visitor_of(cid)}
    assert [m["text"] for m in world.events.of("history")[0].payload["messages"]] == ["hej"]
