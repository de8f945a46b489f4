"""Routing through the real server: offers by language, timeouts, declines, the
language fallback with "interpreter needed", maximum chats, pick mode, and an operator
who drops (the chat goes back to the head of the queue and the visitor is told)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat_server.config import Secret
from chat_server.transport import keys as K
from tests.conftest import connect_operator, start_redis
from tests.helpers import Recorder, login


async def staff_socket(
    live: Any, clients: list[Recorder], languages: list[str], duty: bool = True, **skills: Any
) -> tuple[Recorder, Any]:
    creds = await live.create_staff("operator", languages=languages)
    if skills:
        await live.app[K.SERVICES].staff.update_profile(creds.id, skills)
    rec, _session = await connect_operator(live.url, creds, clients, duty)
    return rec, creds


async def visitor_socket(
    live: Any, clients: list[Recorder], locale: str = "sv", **start: Any
) -> tuple[Recorder, dict[str, Any]]:
    rec = Recorder(live.url, "/visitor")
    clients.append(rec)
    await rec.connect(auth={"locale": locale})
    await rec.wait_for("session")
    payload = {"audience": "self", "locale": locale, **start}
    ack = await rec.call("start", payload)
    assert ack["ok"], ack
    return rec, ack["conversation"]


async def test_offer_goes_to_the_operator_who_speaks_the_language(server_factory, clients):
    live = await server_factory()
    sv_op, _ = await staff_socket(live, clients, ["sv"])
    ar_op, ar_creds = await staff_socket(live, clients, ["ar", "sv"])
    v, conv = await visitor_socket(live, clients, "ar")
    offer = await ar_op.wait_for("offer", lambda d: d["conversation"]["id"] == conv["id"])
    assert offer["interpreter_needed"] is False and offer["expires_at"] > 0
    assert offer["conversation"]["offered_to"] == ar_creds.id
    assert not [o for o in sv_op.received("offer") if o["conversation"]["id"] == conv["id"]]
    ack = await ar_op.call("accept", {"conversation_id": conv["id"]})
    assert ack["ok"] and ack["conversation"]["interpreter_needed"] is False
    await v.wait_for("state", lambda d: d["state"] == "active")


async def test_offer_not_taken_in_time_goes_to_the_next_operator(server_factory, clients):
    live = await server_factory(offer_timeout_s=1)
    a, a_creds = await staff_socket(live, clients, ["sv"])
    b, b_creds = await staff_socket(live, clients, ["sv"])
    v, conv = await visitor_socket(live, clients)
    first = None
    for rec in (a, b):
        try:
            first = await rec.wait_for("offer", timeout=3)
            break
        except TimeoutError:
            continue
    assert first is not None
    first_rec, other = (a, b) if a.received("offer") else (b, a)
    await first_rec.wait_for("offer_withdrawn", lambda d: d["reason"] == "timeout", timeout=6)
    second = await other.wait_for("offer", lambda d: d["conversation"]["id"] == conv["id"], timeout=6)
    assert second["conversation"]["id"] == conv["id"]
    assert (await other.call("accept", {"conversation_id": conv["id"]}))["ok"]


async def test_decline_passes_the_chat_on(server_factory, clients):
    live = await server_factory(offer_timeout_s=60)
    a, _ = await staff_socket(live, clients, ["sv"])
    b, _ = await staff_socket(live, clients, ["sv"])
    v, conv = await visitor_socket(live, clients)
    await asyncio.sleep(0.3)
    holder, other = (a, b) if a.received("offer") else (b, a)
    assert holder.received("offer")
    ack = await holder.call("decline", {"conversation_id": conv["id"]})
    assert ack["ok"], ack
    await other.wait_for("offer", lambda d: d["conversation"]["id"] == conv["id"])
    # Declining an offer you don't hold is refused.
    assert (await holder.call("decline", {"conversation_id": conv["id"]}))["error"]["code"] == "conflict"


async def test_language_fallback_flags_interpreter_needed(server_factory, clients):
    live = await server_factory(language_fallback_s=1)
    sv_op, _ = await staff_socket(live, clients, ["sv"])
    v, conv = await visitor_socket(live, clients, "so")
    offer = await sv_op.wait_for("offer", lambda d: d["conversation"]["id"] == conv["id"], timeout=6)
    assert offer["interpreter_needed"] is True
    ack = await sv_op.call("accept", {"conversation_id": conv["id"]})
    assert ack["conversation"]["interpreter_needed"] is True


async def test_maximum_chats_is_respected(server_factory, clients):
    live = await server_factory(max_chats_default=1, offer_timeout_s=60)
    op, _ = await staff_socket(live, clients, ["sv"])
    v1, c1 = await visitor_socket(live, clients)
    await op.wait_for("offer", lambda d: d["conversation"]["id"] == c1["id"])
    assert (await op.call("accept", {"conversation_id": c1["id"]}))["ok"]
    v2, c2 = await visitor_socket(live, clients)
    await asyncio.sleep(0.5)
    assert not [o for o in op.received("offer") if o["conversation"]["id"] == c2["id"]]
    refused = await op.call("accept", {"conversation_id": c2["id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "conflict"
    # Ending the first chat frees the place: the second is offered.
    assert (await op.call("end", {"conversation_id": c1["id"]}))["ok"]
    await op.wait_for("offer", lambda d: d["conversation"]["id"] == c2["id"])


async def test_account_max_chats_and_audience_skill(server_factory, clients):
    live = await server_factory(offer_timeout_s=60)
    ind, _ = await staff_socket(live, clients, ["sv"], audiences=["individual"])
    pro, _ = await staff_socket(live, clients, ["sv"], audiences=["professional"], max_chats=2)
    v, conv = await visitor_socket(live, clients, audience="professional")
    await pro.wait_for("offer", lambda d: d["conversation"]["id"] == conv["id"])
    assert not ind.received("offer")


async def test_pick_mode_sends_no_offers(server_factory, clients):
    live = await server_factory(routing_mode="pick")
    op, _ = await staff_socket(live, clients, ["sv"])
    v, conv = await visitor_socket(live, clients)
    await op.wait_for("queue", lambda d: any(i["id"] == conv["id"] for i in d["items"]))
    await asyncio.sleep(0.3)
    assert not op.received("offer")
    assert (await op.call("accept", {"conversation_id": conv["id"]}))["ok"]


async def test_urgent_and_under_18_are_offered_first(server_factory, clients):
    live = await server_factory(max_chats_default=1, offer_timeout_s=60, routing_mode="pick")
    op, _ = await staff_socket(live, clients, ["sv"])
    _, adult = await visitor_socket(live, clients, age_band="22-26")
    _, young = await visitor_socket(live, clients, age_band="13-15")
    _, urgent = await visitor_socket(live, clients, urgent=True)
    queue = await op.wait_for("queue", lambda d: len(d["items"]) == 3)
    assert [i["id"] for i in queue["items"]] == [urgent["id"], young["id"], adult["id"]]


async def test_operator_drop_requeues_at_head_and_tells_the_visitor(server_factory, clients):
    # Pick mode, so the chat that waited longer stays in the queue while the operator
    # picks a newer one.
    live = await server_factory(operator_grace_s=1, routing_mode="pick")
    op, creds = await staff_socket(live, clients, ["sv"])
    _, older = await visitor_socket(live, clients)
    v, conv = await visitor_socket(live, clients)
    assert (await op.call("accept", {"conversation_id": conv["id"]}))["ok"]
    await v.wait_for("state", lambda d: d["state"] == "active")
    mark = v.mark()
    await op.drop()
    left = await v.wait_for("message", lambda m: m.get("code") == "operator_left", timeout=8, after=mark)
    assert creds.name in left["text"]
    await v.wait_for("state", lambda d: d["state"] == "waiting", after=mark)
    await v.wait_for("queue", lambda d: d["position"] == 1, after=mark)
    assert await live.repository.queue_ids() == [conv["id"], older["id"]]
    assert await live.repository.duty_of(creds.id) is None  # taken off duty
    # A colleague on duty sees it first in the queue.
    other, _ = await staff_socket(live, clients, ["sv"])
    queue = await other.wait_for("queue", lambda d: len(d["items"]) == 2)
    assert queue["items"][0]["id"] == conv["id"]


async def test_dropped_operators_offer_goes_to_a_colleague(server_factory, clients):
    live = await server_factory(operator_grace_s=30, offer_timeout_s=60)
    op, _ = await staff_socket(live, clients, ["sv"])
    v, conv = await visitor_socket(live, clients)
    await op.wait_for("offer")
    await op.drop()
    other, _ = await staff_socket(live, clients, ["sv"])
    offer = await other.wait_for("offer")
    assert offer["conversation"]["id"] == conv["id"]


async def test_operator_reconnecting_within_grace_keeps_the_chat(server_factory, clients):
    live = await server_factory(operator_grace_s=3, offer_timeout_s=60)
    op, creds = await staff_socket(live, clients, ["sv"])
    v, conv = await visitor_socket(live, clients)
    await op.wait_for("offer")
    assert (await op.call("accept", {"conversation_id": conv["id"]}))["ok"]
    session = await login(live.url, creds)
    again = Recorder(live.url, "/operator", headers={"Cookie": session.cookie})
    clients.append(again)
    await op.drop()
    await again.connect()
    restored = await again.wait_for("session")
    assert [c["conversation"]["id"] for c in restored["chats"]] == [conv["id"]]
    await asyncio.sleep(3.5)
    assert not [m for m in v.received("message") if m.get("code") == "operator_left"]
    assert (await live.repository.get_live(conv["id"])).state == "active"


@pytest.mark.redis
async def test_routing_across_two_nodes_with_redis(server_factory, clients, tmp_path):
    """Offers, accept, the drop of an operator and the requeue work when the visitor and
    the operator are on different nodes sharing one Redis."""
    redis = start_redis(tmp_path)
    try:
        shared = {
            "ephemeral_url": redis.url_db(0),
            "durable_url": redis.url_db(1),
            "secret_key": Secret("test-secret-routing"),
            "operator_grace_s": 1,
            "offer_timeout_s": 60,
        }
        a = await server_factory(**shared)
        b = await server_factory(**shared)
        op, creds = await staff_socket(a, clients, ["ar"])
        v, conv = await visitor_socket(b, clients, "ar")
        offer = await op.wait_for("offer", lambda d: d["conversation"]["id"] == conv["id"])
        assert offer["interpreter_needed"] is False
        assert (await op.call("accept", {"conversation_id": conv["id"]}))["ok"]
        await v.wait_for("state", lambda d: d["state"] == "active")
        mark = v.mark()
        await op.drop()
        await v.wait_for("message", lambda m: m.get("code") == "operator_left", timeout=8, after=mark)
        await v.wait_for("state", lambda d: d["state"] == "waiting", after=mark)
        assert await b.repository.queue_ids() == [conv["id"]]
    finally:
        redis.stop()
