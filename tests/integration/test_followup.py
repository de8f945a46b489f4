"""Anonymous follow-up codes through the real server: the code is shown once to the
visitor, the summary is stored only encrypted under a key derived from the code (the
server cannot read it without the code), a returning visitor's code shows the summary
to the next operator only and works once (also when two try it at once), the visitor
can cancel it, codes expire, and wrong codes are rate-limited."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import time

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chat_server.security.crypto import derive_key
from chat_server.services.followup import NAMESPACE, FollowUps
from chat_server.transport import keys as K

SUMMARY = "Samtal om kontroll hemma. Ville veta mer om skyddat boende. Pratade om BRIS."


async def issue_code(server, visitor, operator):
    op, _ = await operator()
    v = await visitor()
    cid = (await v.call("start", {"audience": "self"}))["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    assert (await v.call("followup_request", {}))["ok"]
    await op.wait_for("followup_requested", lambda d: d["conversation_id"] == cid)
    ack = await op.call("followup_summary", {"conversation_id": cid, "summary": SUMMARY})
    assert ack["ok"], ack
    assert "code" not in ack  # the operator never sees the code
    got = await v.wait_for("followup_code")
    # A whole day (UTC midnight), at least 30 days ahead: never the issue time.
    assert got["expires_at"] % (86400 * 1000) == 0
    assert 0 <= got["expires_at"] / 1000 - (time.time() + 30 * 86400) <= 86400 + 60
    assert (await op.call("end", {"conversation_id": cid}))["ok"]
    return got["code"], op


async def test_returning_visitor_brings_the_summary_to_the_next_operator(server, visitor, operator):
    code, _ = await issue_code(server, visitor, operator)
    assert len(code) == 19 and code.count("-") == 3

    back = await visitor()
    assert (await back.call("followup", {"code": code}))["error"]["code"] == "no_conversation"
    cid = (await back.call("start", {"audience": "self"}))["conversation"]["id"]
    ack = await back.call("followup", {"code": code.lower().replace("-", " ")})  # read aloud, typed loosely
    assert ack == {"ok": True}
    next_op, _ = await operator()
    queue = await next_op.wait_for("queue", lambda d: any(i["id"] == cid for i in d["items"]))
    assert [i for i in queue["items"] if i["id"] == cid][0]["followup"] is True
    assert (await next_op.call("accept", {"conversation_id": cid}))["ok"]
    assigned = await next_op.wait_for("assigned", lambda d: d["conversation"]["id"] == cid)
    notes = [m for m in assigned["messages"] if m.get("code") == "followup_summary"]
    assert len(notes) == 1 and SUMMARY in notes[0]["text"] and notes[0]["internal"] is True
    # The visitor never receives the summary (it is a staff-only note).
    assert not [m for m in back.received("message") if SUMMARY in m.get("text", "")]
    await back.disconnect()
    again = await visitor(auth={"resume": back.received("session")[0]["token"]})
    history = await again.wait_for("history")
    assert not [m for m in history["messages"] if m.get("code") == "followup_summary"]


async def test_the_server_cannot_read_the_summary_without_the_code(server, visitor, operator):
    code, _ = await issue_code(server, visitor, operator)
    rows = await server.durable.list_kv(NAMESPACE)
    assert len(rows) == 1
    lookup, record = rows[0]
    # Not in the database file in any form.
    db = server.settings.data_dir / "rc.sqlite3"
    raw = db.read_bytes() + b"".join(p.read_bytes() for p in db.parent.glob("rc.sqlite3-*"))
    assert SUMMARY.encode() not in raw and b"Samtal om kontroll" not in raw
    assert code.encode() not in raw and code.replace("-", "").encode() not in raw
    # Every key the server can derive from its own secret fails to open the box.
    box = base64.b64decode(record["box"])
    secret = server.settings.secret_key.reveal().encode()
    for purpose in ("conversation-key-wrap", "durable-field", "lookup-hmac", "followup"):
        with pytest.raises(InvalidTag):
            AESGCM(derive_key(secret, purpose)).decrypt(box[:12], box[12:], lookup.encode())
    # The record expires after 30 days (stored with its expiry).
    with sqlite3.connect(db) as conn:
        (expires_at,) = conn.execute("SELECT expires_at FROM kv WHERE namespace = ?", (NAMESPACE,)).fetchone()
    assert expires_at % 86400 == 0 and 0 <= expires_at - (time.time() + 30 * 86400) <= 86400 + 60
    # Wrong codes open nothing; the right one does, once.
    followups: FollowUps = server.app[K.SERVICES].followup_codes
    assert await followups.take("0000-0000-0000-0000") is None
    taken = await followups.take(code)
    assert taken is not None and taken[0]["summary"] == SUMMARY
    # Inside the box, too, only the day it was written.
    assert taken[0]["created_at"] % (86400 * 1000) == 0
    assert await followups.take(code) is None
    assert await server.durable.list_kv(NAMESPACE) == []


async def test_expired_codes_open_nothing(server):
    followups: FollowUps = server.app[K.SERVICES].followup_codes
    code, _ = await followups.store("gammal", now=time.time() - 31 * 86400)
    assert await followups.take(code) is None


async def redeem(visitor, code):
    v = await visitor()
    cid = (await v.call("start", {"audience": "self"}))["conversation"]["id"]
    return v, cid, await v.call("followup", {"code": code})


async def test_a_code_works_once_and_the_new_chat_can_give_a_fresh_one(server, visitor, operator):
    code, _ = await issue_code(server, visitor, operator)
    back, cid, first = await redeem(visitor, code)
    assert first == {"ok": True}
    # Whoever tries the code later (a family member who found it written down) gets
    # nothing, and the counsellor is not told "the visitor came back".
    other, other_cid, second = await redeem(visitor, code)
    assert second["error"]["code"] == "not_found"
    assert (await server.repository.get(other_cid)).followup_redeemed is False
    # The counsellor of the new chat reads the summary with the caution, and can give a
    # fresh code.
    op, _ = await operator()
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    assigned = await op.wait_for("assigned", lambda d: d["conversation"]["id"] == cid)
    note = [m for m in assigned["messages"] if m.get("code") == "followup_summary"][0]
    assert SUMMARY in note["text"] and note["text"] != SUMMARY
    assert (await op.call("followup_summary", {"conversation_id": cid, "summary": "Andra samtalet."}))["ok"]
    fresh = (await back.wait_for("followup_code"))["code"]
    assert fresh != code
    _, _, third = await redeem(visitor, fresh)
    assert third == {"ok": True}


async def test_two_redeems_at_once_one_wins(server, visitor, operator):
    code, _ = await issue_code(server, visitor, operator)
    tries = []
    for _ in range(4):
        v = await visitor()
        await v.call("start", {"audience": "self"})
        tries.append(v)
    acks = await asyncio.gather(*(v.call("followup", {"code": code}) for v in tries))
    assert sorted(a.get("ok", False) for a in acks) == [False, False, False, True]
    assert {a["error"]["code"] for a in acks if not a["ok"]} == {"not_found"}


async def test_a_visitor_can_cancel_their_code(server, visitor, operator):
    op, _ = await operator()
    v = await visitor()
    cid = (await v.call("start", {"audience": "self"}))["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    assert (await op.call("followup_summary", {"conversation_id": cid, "summary": SUMMARY}))["ok"]
    code = (await v.wait_for("followup_code"))["code"]
    assert (await op.call("end", {"conversation_id": cid}))["ok"]
    # After the end, on the same connection (the widget's end view), no chat needed.
    assert await v.call("followup_revoke", {"code": code}) == {"ok": True}
    assert await server.durable.list_kv(NAMESPACE) == []
    _, _, later = await redeem(visitor, code)
    assert later["error"]["code"] == "not_found"
    # A code that never existed gets the same answer: cancelling tests nothing.
    assert await v.call("followup_revoke", {"code": "ABCD-EFGH-JKMN-PQRS"}) == {"ok": True}
    assert (await v.call("followup_revoke", {"code": 7}))["error"]["code"] == "invalid"


async def test_wrong_codes_are_rate_limited(server, visitor):
    v = await visitor()
    assert (await v.call("start", {"audience": "self"}))["ok"]
    codes = []
    for _ in range(6):
        ack = await v.call("followup", {"code": "ABCD-EFGH-JKMN-PQRS"})
        codes.append(ack["error"]["code"])
    assert codes[:5] == ["not_found"] * 5 and codes[5] == "rate_limited"
    assert (await v.call("followup", {"code": "x" * 41}))["error"]["code"] == "too_large"


async def test_wrong_codes_are_limited_per_address_across_connections(server, visitor):
    results = []
    for _ in range(3):
        v = await visitor()
        assert (await v.call("start", {"audience": "self"}))["ok"]
        for _ in range(4):
            results.append((await v.call("followup", {"code": "ABCD-EFGH-JKMN-PQRS"}))["error"]["code"])
        await v.call("end", {})
    assert results.count("not_found") == 10 and results[10:] == ["rate_limited"] * 2
    # The counter is keyed by HMAC of the address, never the address.
    keys = await server.ephemeral.keys_for_inspection()
    assert not [k for k in keys if "127.0.0.1" in str(k)]


async def test_keys_in_the_store_never_hold_the_code(server, visitor, operator):
    code, _ = await issue_code(server, visitor, operator)
    canonical = code.replace("-", "")
    for ns in (NAMESPACE,):
        for key, value in await server.durable.list_kv(ns):
            assert canonical not in key and canonical not in repr(value)
    assert server.app[K.KEYRING].lookup_hash("followup:" + canonical) == (await server.durable.list_kv(NAMESPACE))[0][0]
