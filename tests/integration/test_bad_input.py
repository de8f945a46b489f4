"""Bad input gets a clear error and nothing else; others are unaffected."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from tests.helpers import Recorder
from tests.integration.test_conversation import start

BAD_VISITOR_CALLS = [
    ("start", "not an object", "invalid"),
    ("start", {"audience": "everyone"}, "invalid"),
    ("start", {"audience": "self", "extra": 1}, "invalid"),
    ("start", {"audience": "self", "urgent": "yes"}, "invalid"),
    ("start", {"audience": "self", "locale": "xx"}, "invalid"),
    ("message", {"client_id": "a", "text": "x" * 4001}, "too_large"),
    ("message", {"client_id": "a" * 65, "text": "hej"}, "invalid"),
    ("message", {"client_id": "a", "text": "   "}, "invalid"),
    ("message", {"client_id": "a", "text": 42}, "invalid"),
    ("message", {"client_id": "a"}, "invalid"),
    ("message", {"client_id": "a", "text": "hej", "conversation_id": "someone-else"}, "invalid"),
    ("typing", {"active": "yes"}, "invalid"),
    ("end", {"why": "no"}, "invalid"),
    ("no_such_event", {}, "invalid"),
    ("__init__", {}, "invalid"),
]


async def test_every_bad_call_is_refused_clearly_while_others_talk(visitor, operator):
    op, _ = await operator()
    good = await visitor()
    conv = await start(good)
    await op.call("accept", {"conversation_id": conv["id"]})
    bad = await visitor()
    await start(bad)

    for i, (event, payload, code) in enumerate(BAD_VISITOR_CALLS):
        ack = await bad.call(event, payload)
        assert ack["ok"] is False, (event, payload)
        assert ack["error"]["code"] == code, (event, payload, ack)
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
        # The good conversation goes on between every bad call.
        sent = await good.call("message", {"client_id": f"g{i}", "text": f"meddelande {i}"})
        assert sent["ok"]
    got = [m["text"] for m in op.received("message") if m["from"] == "visitor"]
    for _ in range(50):
        if len(got) == len(BAD_VISITOR_CALLS):
            break
        await asyncio.sleep(0.05)
        got = [m["text"] for m in op.received("message") if m["from"] == "visitor"]
    assert got == [f"meddelande {i}" for i in range(len(BAD_VISITOR_CALLS))]


async def test_message_before_start(visitor):
    v = await visitor()
    ack = await v.call("message", {"client_id": "a", "text": "hej"})
    assert ack["ok"] is False and ack["error"]["code"] == "no_conversation"


async def test_error_messages_follow_the_connection_locale(visitor):
    v = await visitor(auth={"locale": "en"})
    ack = await v.call("start", {"audience": "nobody"})
    assert ack["error"] == {"code": "invalid", "message": "The request was not understood."}


async def test_event_without_payload_and_with_extra_arguments(visitor):
    v = await visitor()
    await start(v)
    assert (await v.call("end")) == {"ok": True}
    ack = await v.client.call("typing", ({"active": True}, 2), namespace="/visitor", timeout=5)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"


async def test_oversized_frame_disconnects_only_that_client(server, visitor, operator):
    op, _ = await operator()
    good = await visitor()
    conv = await start(good)
    await op.call("accept", {"conversation_id": conv["id"]})
    bad = await visitor()
    disconnected = asyncio.Event()
    bad.client.on("disconnect", lambda *a: disconnected.set(), namespace="/visitor")
    await bad.emit("message", {"client_id": "big", "text": "x" * 70_000})
    await asyncio.wait_for(disconnected.wait(), 10)
    assert (await good.call("message", {"client_id": "after", "text": "fortfarande här"}))["ok"]
    await op.wait_for("message", lambda m: m.get("client_id") == "after")


async def test_flooding_client_is_limited_and_others_are_not(visitor, operator):
    op, _ = await operator()
    good = await visitor()
    conv = await start(good)
    await op.call("accept", {"conversation_id": conv["id"]})
    flooder = await visitor()
    await start(flooder)
    acks = await asyncio.gather(
        *(flooder.call("message", {"client_id": f"f{i}", "text": "spam"}) for i in range(40)), return_exceptions=True
    )
    codes = [a["error"]["code"] for a in acks if isinstance(a, dict) and not a["ok"]]
    assert "rate_limited" in codes
    for i in range(5):
        assert (await good.call("message", {"client_id": f"ok{i}", "text": f"normal {i}"}))["ok"]


async def test_operator_namespace_refused_without_session(server):
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, namespaces=["/operator"], transports=["websocket"], wait_timeout=5)
    await client.disconnect()
    forged = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await forged.connect(
            server.url,
            namespaces=["/operator"],
            transports=["websocket"],
            headers={"Cookie": "rc_staff=forged-session-id"},
            wait_timeout=5,
        )
    await forged.disconnect()


async def test_bad_auth_payload_is_refused(server, clients):
    rec = Recorder(server.url, "/visitor")
    clients.append(rec)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await rec.connect(auth={"resume": 12345, "evil": True})
