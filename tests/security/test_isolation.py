"""A visitor or an operator reaching for someone else's conversation gets nothing."""

from __future__ import annotations

import aiohttp

from ..helpers import Recorder, new_client_id
from .conftest import Reference


async def test_visitor_events_carry_no_conversation_id(server, visitor, healthy: Reference):
    v = await visitor()
    assert (await v.call("start", {"audience": "self"}))["ok"]
    cid = healthy.conversation_id
    attempts = [
        ("message", {"client_id": new_client_id(), "text": "hej", "conversation_id": cid}),
        ("typing", {"active": True, "conversation_id": cid}),
        ("end", {"conversation_id": cid}),
        ("exit", {"conversation_id": cid}),
        ("start", {"audience": "self", "conversation_id": cid}),
        ("start", {"audience": "self", "id": cid}),
    ]
    for event, payload in attempts:
        ack = await v.call(event, payload)
        assert ack == {
            "ok": False,
            "error": {"code": "invalid", "message": ack["error"]["message"]},
        }, (event, ack)
    # Nothing of the reference conversation reached this visitor.
    assert not any(m.get("text", "").startswith(("referens", "svar")) for m in v.received("message"))


async def test_resume_with_a_foreign_or_forged_token_gets_a_fresh_session(server, visitor, healthy: Reference):
    for token in (
        "",
        "x" * 128,
        healthy.conversation_id,
        healthy.visitor.received("session")[0]["token"][:-1],
    ):
        v = await visitor(auth={"resume": token} if token else None)
        session = v.received("session")[0]
        assert session["conversation"] is None
        assert session["token"] != healthy.visitor.received("session")[0]["token"]


async def test_operator_cannot_act_on_a_conversation_assigned_to_someone_else(server, operator, healthy: Reference):
    other, _ = await operator()
    cid = healthy.conversation_id
    calls = [
        (
            "message",
            {"conversation_id": cid, "client_id": new_client_id(), "text": "intrång"},
            "forbidden",
        ),
        ("typing", {"conversation_id": cid, "active": True}, "forbidden"),
        ("end", {"conversation_id": cid}, "forbidden"),
        ("accept", {"conversation_id": cid}, "conflict"),
        (
            "note",
            {"conversation_id": cid, "client_id": new_client_id(), "text": "intern"},
            "forbidden",
        ),
        ("transfer", {"conversation_id": cid, "to": "queue"}, "forbidden"),
        ("invite", {"conversation_id": cid, "to": healthy.session.staff["id"]}, "forbidden"),
        ("block", {"conversation_id": cid}, "forbidden"),
        ("observe", {"conversation_id": cid}, "forbidden"),
        ("leave", {"conversation_id": cid}, "forbidden"),
        ("referral", {"conversation_id": cid, "targets": []}, None),
        ("referral", {"conversation_id": cid, "targets": ["bris-116111"]}, "forbidden"),
        ("followup_summary", {"conversation_id": cid, "summary": "x"}, "forbidden"),
        ("triage_check", {"conversation_id": cid, "triage": {"categories": ["other"], "risk": "low"}}, "forbidden"),
    ]
    for event, payload, code in calls:
        ack = await other.call(event, payload)
        assert ack["ok"] is False, (event, ack)
        if code:
            assert ack["error"]["code"] == code, (event, ack)
    # It never received any of the conversation's messages.
    assert not [m for m in other.received("message") if m.get("conversation_id") == cid]
    assert not [a for a in other.received("assigned") if a["conversation"]["id"] == cid]


async def test_operator_cannot_see_message_history_of_others_on_connect(server, operator, healthy: Reference):
    other, _ = await operator()
    session = other.received("session")[0]
    assert all(c["conversation"]["id"] != healthy.conversation_id for c in session["chats"])
    # The queue shows waiting chats only, and summaries never carry message text.
    for item in session["queue"]["items"]:
        assert "messages" not in item and "text" not in item


async def test_a_visitor_socket_cannot_reach_the_operator_namespace(server, healthy: Reference, clients):
    rec = Recorder(server.url, "/operator")
    clients.append(rec)
    try:
        await rec.connect()
    except Exception:  # noqa: BLE001 - refused, as it must be
        pass
    assert not rec.client.connected or "/operator" not in rec.client.namespaces


async def test_metrics_carry_no_identifiers(server, healthy: Reference):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/metrics") as resp:
            if resp.status == 404:
                return
            text = await resp.text()
    assert healthy.conversation_id not in text
    assert healthy.session.staff["id"] not in text
    assert healthy.visitor.received("session")[0]["pseudonym"] not in text.split()
    assert "referens" not in text and "127.0.0.1" not in text
