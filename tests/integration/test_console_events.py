"""Console events on /operator: transfer (to a colleague and back to the queue) with a
staff-only note, invite, silent observation and join, block, canned responses and the
urgent alert to supervisors."""

from __future__ import annotations

from chat_server.services.supervision import Supervision
from chat_server.transport import keys as K

from ..helpers import new_client_id


async def _start(visitor, **params):
    v = await visitor()
    ack = await v.call("start", {"audience": "self", **params})
    assert ack["ok"], ack
    return v, ack["conversation"]["id"]


async def test_transfer_note_invite_observe(server, visitor, operator, make_operator) -> None:
    sara, _ = await operator(name="Sara")
    ali, _ = await operator(name="Ali")
    boss, _ = await operator(await make_operator("supervisor", name="Boss"), duty=False)
    v, cid = await _start(visitor, locale="ar")
    assert (await sara.call("accept", {"conversation_id": cid}))["ok"]
    await v.call("message", {"client_id": "v1", "text": "مرحبا"})

    # An internal note reaches staff only.
    ack = await sara.call("note", {"conversation_id": cid, "client_id": new_client_id(), "text": "staff only note"})
    assert ack["ok"], ack
    await sara.wait_for("message", lambda m: m.get("internal") and m["text"] == "staff only note")

    # The supervisor observes silently, cannot write, then joins.
    obs = await boss.call("observe", {"conversation_id": cid})
    assert obs["ok"] and any(m.get("internal") for m in obs["messages"]), obs
    refused = await boss.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "hi"})
    assert refused["error"]["code"] == "forbidden"
    await v.call("message", {"client_id": "v2", "text": "second"})
    await boss.wait_for("message", lambda m: m.get("text") == "second")
    overview = await boss.call("overview", {})
    assert [c["observers"][0]["name"] for c in overview["items"] if c["id"] == cid] == ["Boss"]
    assert (await boss.call("join", {"conversation_id": cid}))["ok"]
    assert (await boss.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "from boss"}))[
        "ok"
    ]
    await v.wait_for("message", lambda m: m.get("text") == "from boss")

    # Transfer to Ali with a note; the visitor never sees either note.
    colleagues = await sara.call("colleagues", {})
    assert any(c["name"] == "Ali" and c["on_duty"] for c in colleagues["items"])
    ack = await sara.call("transfer", {"conversation_id": cid, "to": ali_id(colleagues), "note": "handover note"})
    assert ack["ok"], ack
    assigned = await ali.wait_for("assigned", lambda d: d["conversation"]["id"] == cid)
    assert any(m.get("text") == "handover note" and m.get("internal") for m in assigned["messages"])
    await sara.wait_for("released", lambda d: d["conversation_id"] == cid)
    await v.wait_for("state", lambda d: d["state"] == "active" and d["operator"]["name"] == "Ali")
    refused = await sara.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "late"})
    assert refused["error"]["code"] == "forbidden"

    # Back to the queue.
    assert (await ali.call("transfer", {"conversation_id": cid, "to": "queue"}))["ok"]
    await sara.wait_for("queue", lambda d: any(i["id"] == cid for i in d["items"]))
    await v.wait_for("state", lambda d: d["state"] == "waiting")
    texts = [m["text"] for m in v.received("message")]
    assert "staff only note" not in texts and "handover note" not in texts

    # Invite: the colleague may write.
    assert (await sara.call("accept", {"conversation_id": cid}))["ok"]
    ack = await sara.call("invite", {"conversation_id": cid, "to": ali_id(colleagues)})
    assert ack["ok"] and "Ali" in [p["name"] for p in ack["conversation"]["invited"]]
    await ali.wait_for("invited", lambda d: d["conversation"]["id"] == cid)
    assert (await ali.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "interpreter"}))[
        "ok"
    ]
    await v.wait_for("message", lambda m: m.get("text") == "interpreter")
    sync = await ali.call("sync", {})
    assert [c["conversation"]["id"] for c in sync["chats"]] == [cid]
    canned = await sara.call("canned", {"locale": "ar"})
    assert canned["ok"] and len(canned["items"]) >= 3


def ali_id(colleagues: dict) -> str:
    return next(c["id"] for c in colleagues["items"] if c["name"] == "Ali")


async def test_block_ends_and_blocks_the_address_key(server, visitor, operator) -> None:
    sara, _ = await operator()
    v, cid = await _start(visitor)
    assert (await sara.call("accept", {"conversation_id": cid}))["ok"]
    ack = await sara.call("block", {"conversation_id": cid})
    assert ack == {"ok": True, "blocked": True}
    await v.wait_for("ended", lambda d: d["reason"] == "blocked")
    again = await v.call("start", {"audience": "self"})
    assert again["ok"] is False and again["error"]["code"] == "forbidden"
    # Stored: only the keyed hash, never an address.
    keys = await server.ephemeral.keys_for_inspection()
    assert not any("127.0.0.1" in k for k in keys)


async def test_operator_cannot_observe_and_supervisor_gets_urgent_alert(server_factory, clients) -> None:
    from ..conftest import make_settings  # noqa: F401 - settings come from the factory
    from ..helpers import Recorder, login

    live = await server_factory(urgent_alert_s=0)
    creds = await live.create_staff("supervisor", name="Boss")
    session = await login(live.url, creds)
    boss = Recorder(live.url, "/operator", headers={"Cookie": session.cookie})
    clients.append(boss)
    await boss.connect()
    await boss.wait_for("session")
    op_creds = await live.create_staff("operator")
    op_session = await login(live.url, op_creds)
    op = Recorder(live.url, "/operator", headers={"Cookie": op_session.cookie})
    clients.append(op)
    await op.connect()
    await op.wait_for("session")
    v = Recorder(live.url, "/visitor")
    clients.append(v)
    await v.connect()
    await v.wait_for("session")
    ack = await v.call("start", {"audience": "self", "urgent": True})
    cid = ack["conversation"]["id"]
    alert = await boss.wait_for("alert", timeout=15)
    assert alert["kind"] == "urgent_waiting" and alert["conversation"]["id"] == cid
    assert not op.received("alert")
    refused = await op.call("observe", {"conversation_id": cid})
    assert refused["error"]["code"] == "forbidden"
    assert isinstance(live.app[K.SERVICES].supervision, Supervision)
