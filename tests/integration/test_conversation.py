"""A whole anonymous conversation through the real server, both directions."""

from __future__ import annotations

import asyncio


async def start(v, **params):
    payload = {"audience": "self", "topic": None, "urgent": False, "age_band": None}
    payload.update(params)
    ack = await v.call("start", payload)
    assert ack["ok"], ack
    return ack["conversation"]


async def test_session_event_on_connect(visitor):
    v = await visitor()
    session = v.received("session")[0]
    assert set(session) == {"token", "pseudonym", "locale", "open", "hours", "conversation"}
    assert session["conversation"] is None
    assert session["open"] is True
    assert session["locale"] == "sv"
    assert len(session["token"]) >= 32


async def test_full_conversation_both_ways(visitor, operator):
    op, _ = await operator()
    v = await visitor()
    conv = await start(v, topic="control", age_band="16-17")
    assert conv["state"] == "waiting" and conv["position"] == 1
    await v.wait_for("state", lambda d: d["state"] == "waiting")
    await v.wait_for("queue", lambda d: d["position"] == 1)
    await op.wait_for("queue", lambda d: any(i["id"] == conv["id"] for i in d["items"]))

    ack = await v.call("message", {"client_id": "c1", "text": "Hej, jag behöver prata"})
    assert ack["ok"] and ack["id"] and isinstance(ack["ts"], int)

    ack = await op.call("accept", {"conversation_id": conv["id"]})
    assert ack["ok"], ack
    assigned = await op.wait_for("assigned")
    assert [m["text"] for m in assigned["messages"] if m["from"] == "visitor"] == ["Hej, jag behöver prata"]
    state = await v.wait_for("state", lambda d: d["state"] == "active")
    assert state["operator"]["name"]
    joined = await v.wait_for("message", lambda m: m["from"] == "system")
    assert joined["code"] == "operator_joined"

    ack = await op.call("message", {"conversation_id": conv["id"], "client_id": "o1", "text": "Hej! Jag heter Sara."})
    assert ack["ok"]
    got = await v.wait_for("message", lambda m: m["from"] == "operator")
    assert got["text"] == "Hej! Jag heter Sara." and got["id"] == ack["id"]

    mark = op.mark()
    ack = await v.call("message", {"client_id": "c2", "text": "Tack"})
    got = await op.wait_for("message", lambda m: m["from"] == "visitor", after=mark)
    assert got["text"] == "Tack" and got["conversation_id"] == conv["id"] and got["client_id"] == "c2"

    assert (await v.call("typing", {"active": True}))["ok"]
    typing = await op.wait_for("typing")
    assert typing == {"conversation_id": conv["id"], "active": True}
    assert (await op.call("typing", {"conversation_id": conv["id"], "active": True}))["ok"]
    assert await v.wait_for("typing") == {"active": True}

    assert (await op.call("end", {"conversation_id": conv["id"], "triage": None}))["ok"]
    ended = await v.wait_for("ended")
    # An answered chat: with a single-use token for the one-question feedback.
    assert ended["reason"] == "operator_ended" and set(ended) == {"reason", "feedback"}
    assert (await op.wait_for("ended"))["reason"] == "operator_ended"


async def test_resend_with_same_client_id_is_not_duplicated(visitor, operator):
    op, _ = await operator()
    v = await visitor()
    conv = await start(v)
    await op.call("accept", {"conversation_id": conv["id"]})
    await op.wait_for("assigned")
    first = await v.call("message", {"client_id": "same", "text": "en gång"})
    again = await v.call("message", {"client_id": "same", "text": "en gång"})
    assert first == again
    await asyncio.sleep(0.3)
    visitor_msgs = [m for m in op.received("message") if m["from"] == "visitor"]
    assert len(visitor_msgs) == 1


async def test_visitor_ends(visitor, operator):
    op, _ = await operator()
    v = await visitor()
    conv = await start(v)
    await op.call("accept", {"conversation_id": conv["id"]})
    ack = await v.call("end", {})
    assert ack == {"ok": True}
    assert (await op.wait_for("ended")) == {"conversation_id": conv["id"], "reason": "visitor_ended"}
    assert (await v.wait_for("ended"))["reason"] == "visitor_ended"


async def test_quick_exit_destroys_everything(server, visitor, operator):
    op, _ = await operator()
    v = await visitor()
    token = v.received("session")[0]["token"]
    conv = await start(v)
    await op.call("accept", {"conversation_id": conv["id"]})
    await v.call("message", {"client_id": "x1", "text": "hemligt"})
    assert (await v.call("exit", {})) == {"ok": True}
    assert (await op.wait_for("ended"))["reason"] == "visitor_exit"
    assert await server.ephemeral.get("conv", conv["id"]) is None
    assert await server.ephemeral.get("ckey", conv["id"]) is None
    assert await server.ephemeral.messages(conv["id"]) == []
    await v.disconnect()
    # The token is gone with the session.
    again = await visitor(auth={"resume": token})
    session = again.received("session")[0]
    assert session["conversation"] is None and session["token"] != token


async def test_operator_message_to_unassigned_conversation_is_refused(visitor, operator):
    op1, _ = await operator()
    op2, _ = await operator()
    v = await visitor()
    conv = await start(v)
    assert (await op1.call("accept", {"conversation_id": conv["id"]}))["ok"]
    again = await op2.call("accept", {"conversation_id": conv["id"]})
    assert again["ok"] is False and again["error"]["code"] == "conflict"
    ack = await op2.call("message", {"conversation_id": conv["id"], "client_id": "z", "text": "intrång"})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
