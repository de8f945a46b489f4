"""Queues and routing per centre through the real server (issue 19 point 3): real
sockets, one process on the memory store, then two processes on one Redis, where a
centre's queue snapshot reaches the watchers of that centre on the other process and
nobody else."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat_server.config import Secret
from chat_server.services.centres import NewCentre
from tests.conftest import connect_operator, start_redis
from tests.helpers import Recorder


async def make_centres(live: Any, *ids: str) -> None:
    for centre in ids:
        if await live.services.centres.get(centre) is None:
            await live.services.centres.do_create_centre(None, NewCentre(centre, {"sv": "RC " + centre}))


async def console(
    live: Any, clients: list[Recorder], centre: str, role: str = "operator", duty: bool = True
) -> tuple[Recorder, Any]:
    creds = await live.create_staff(role, centres={centre: role})
    rec, _ = await connect_operator(live.url, creds, clients, duty)
    return rec, creds


async def visitor(live: Any, clients: list[Recorder], centre: str, locale: str = "sv") -> tuple[Recorder, str]:
    rec = Recorder(live.url, "/visitor")
    clients.append(rec)
    # Several centres: the widget names its own at connect (issue 19 point 2).
    await rec.connect(auth={"locale": locale, "centre": centre})
    await rec.wait_for("session")
    ack = await rec.call("start", {"audience": "self", "locale": locale})
    assert ack["ok"], ack
    return rec, ack["conversation"]["id"]


def queued(rec: Recorder) -> set[str]:
    """Every conversation id a console was ever shown in a queue snapshot."""
    return {item["id"] for snap in rec.received("queue") for item in snap["items"]}


async def test_a_centres_chat_reaches_its_own_staff_only(server_factory, clients) -> None:
    live = await server_factory(offer_timeout_s=60)
    await make_centres(live, "skane", "dalarna")
    op_a, _ = await console(live, clients, "skane")
    sup_a, _ = await console(live, clients, "skane", "supervisor", duty=False)
    op_b, _ = await console(live, clients, "dalarna")
    _, cid = await visitor(live, clients, "dalarna")
    offer = await op_b.wait_for("offer", lambda d: d["conversation"]["id"] == cid)
    assert offer["conversation"]["centre"] == "dalarna"
    await op_b.wait_for("queue", lambda d: cid in {i["id"] for i in d["items"]})
    await asyncio.sleep(0.3)
    assert cid not in queued(op_a) | queued(sup_a)
    assert not op_a.received("offer")
    # Another centre's chat does not exist for Skåne's staff: refused with not_found,
    # in the console's language, and nothing changes.
    for rec, event in ((op_a, "accept"), (sup_a, "accept"), (sup_a, "observe")):
        ack = await rec.call(event, {"conversation_id": cid})
        assert ack["ok"] is False and ack["error"]["code"] == "not_found", ack
        assert ack["error"]["message"] and ack["error"]["message"] != "not_found"
    overview = await sup_a.call("overview", {})
    assert overview["ok"] and cid not in {c["id"] for c in overview["items"]}
    assert (await op_b.call("accept", {"conversation_id": cid}))["ok"]
    ack = await sup_a.call("transfer", {"conversation_id": cid, "to": "queue"})
    assert ack["error"]["code"] == "not_found"
    canned = await sup_a.call("canned", {"locale": "sv", "conversation_id": cid})
    assert canned["error"]["code"] == "not_found"
    assert (await op_b.call("canned", {"locale": "sv", "conversation_id": cid}))["ok"]


async def test_the_single_centre_installation_behaves_as_before(server_factory, clients) -> None:
    live = await server_factory(offer_timeout_s=60)
    op, _ = await console(live, clients, "default")
    boss, _ = await console(live, clients, "default", "supervisor", duty=False)
    _, cid = await visitor(live, clients, "default")
    await op.wait_for("offer", lambda d: d["conversation"]["id"] == cid)
    snap = await boss.wait_for("queue", lambda d: cid in {i["id"] for i in d["items"]})
    assert snap["centres"] == ["default"]
    assert await live.repository.queue_ids() == [cid]


@pytest.mark.redis
async def test_queue_broadcasts_per_centre_across_two_processes(server_factory, clients, tmp_path) -> None:
    """The watchers of Skåne on process A see the chat a visitor on process B starts
    in Skåne (the room's Redis channel); Dalarna's watchers, on either process, never do."""
    redis = start_redis(tmp_path)
    try:
        shared = {
            "ephemeral_url": redis.url_db(0),
            "durable_url": redis.url_db(1),
            "secret_key": Secret("test-secret-centres"),
            "routing_mode": "pick",
        }
        a = await server_factory(**shared)
        b = await server_factory(**shared)
        await make_centres(a, "skane", "dalarna")
        skane_on_a, _ = await console(a, clients, "skane", "supervisor", duty=False)
        dalarna_on_a, _ = await console(a, clients, "dalarna")
        dalarna_on_b, _ = await console(b, clients, "dalarna", "supervisor", duty=False)
        _, cid = await visitor(b, clients, "skane")
        snap = await skane_on_a.wait_for("queue", lambda d: cid in {i["id"] for i in d["items"]})
        assert snap["centres"] == ["skane"]
        _, other = await visitor(a, clients, "dalarna")
        await dalarna_on_b.wait_for("queue", lambda d: other in {i["id"] for i in d["items"]})
        await dalarna_on_a.wait_for("queue", lambda d: other in {i["id"] for i in d["items"]})
        await asyncio.sleep(0.3)
        assert cid not in queued(dalarna_on_a) | queued(dalarna_on_b)
        assert other not in queued(skane_on_a)
        # Accepting on the other process: the Skåne watcher sees the queue empty again.
        taker, _ = await console(b, clients, "skane")
        assert (await taker.call("accept", {"conversation_id": cid}))["ok"]
        await skane_on_a.wait_for("queue", lambda d: d["centres"] == ["skane"] and not d["items"])
    finally:
        redis.stop()


async def test_overflow_over_real_sockets(server_factory, clients) -> None:
    """A visitor of a centre with nobody on duty is offered the next centre in their
    language, chooses it (twice: idempotent), and that centre's operator takes the chat;
    bad choices are refused with a translated message and change nothing."""
    live = await server_factory(routing_mode="pick")
    await live.services.centres.do_create_centre(
        None, NewCentre("skane", {"sv": "RC Skåne"}), extra={"overflow": ["kronoberg"]}
    )
    await live.services.centres.do_create_centre(
        None, NewCentre("kronoberg", {"sv": "RC Kronoberg", "ar": "مركز كرونوبري"})
    )
    op, _ = await console(live, clients, "kronoberg")
    rec = Recorder(live.url, "/visitor")
    clients.append(rec)
    await rec.connect(auth={"locale": "ar", "centre": "skane"})
    await rec.wait_for("session")
    options = await rec.call("overflow_options", {"audience": "self"})
    assert options == {
        "ok": True,
        "reason": "nobody_on_duty",
        "centres": [{"id": "kronoberg", "name": "مركز كرونوبري"}],
    }
    ack = await rec.call("overflow_accept", {"centre": "kronoberg"})
    assert ack["ok"] is False and ack["error"]["code"] == "no_conversation"
    ack = await rec.call("start", {"audience": "self"})
    cid = ack["conversation"]["id"]
    offer = await rec.wait_for("overflow")
    assert offer["reason"] == "nobody_on_duty" and offer["centres"][0]["id"] == "kronoberg"
    for bad in ({"centre": "skane"}, {"centre": "nowhere"}, {"centre": 7}, {}, None):
        refused = await rec.call("overflow_accept", bad)
        assert refused["ok"] is False and refused["error"]["code"] in ("conflict", "invalid"), refused
        assert refused["error"]["message"]
    assert (await live.repository.get(cid)).centre == "skane"  # type: ignore[union-attr]
    first, second = await asyncio.gather(
        rec.call("overflow_accept", {"centre": "kronoberg"}), rec.call("overflow_accept", {"centre": "kronoberg"})
    )
    assert first["ok"] and second["ok"] and first["conversation"]["id"] == cid
    await op.wait_for("queue", lambda d: cid in {i["id"] for i in d["items"]})
    # A network drop and a resume from the widget of the home centre: the moved chat is
    # re-attached where it waits now.
    token = rec.received("session")[0]["token"]
    await rec.drop()
    again = Recorder(live.url, "/visitor")
    clients.append(again)
    await again.connect(auth={"resume": token, "centre": "skane", "locale": "ar"})
    session = await again.wait_for("session")
    assert session["conversation"]["id"] == cid and session["conversation"]["state"] == "waiting"
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    await again.wait_for("state", lambda d: d["state"] == "active")
    totals = {k: n for _, k, n in await live.services.stats.totals("2000-01-01", "2999-12-31", "skane")}
    assert totals["overflow:out"] == 1
