"""Issue 14 over real sockets: each small input that used to fail, with the right
value, on the memory store (one server) and on Redis with two servers (the visitor on
one, the operators on the other, as behind the shipped nginx). Real python-socketio
clients; a "cut" closes the TCP connection without a close frame or a DISCONNECT."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chat_server.config import Secret
from chat_server.transport import keys as K
from tests.conftest import LiveServer, RedisServer, connect_operator, start_redis
from tests.helpers import Recorder, new_client_id

START = {"audience": "self", "locale": "sv"}


@dataclass
class Deployment:
    """``a`` serves the visitors, ``b`` the operators (the same server in memory mode)."""

    a: LiveServer
    b: LiveServer
    clients: list[Recorder]

    async def visitor(self, on: LiveServer | None = None, token: str | None = None) -> Recorder:
        rec = Recorder((on or self.a).url, "/visitor")
        self.clients.append(rec)
        await rec.connect(auth={"resume": token} if token else None)
        await rec.wait_for("session")
        return rec

    async def staff(
        self, role: str = "operator", duty: bool = True, name: str | None = None, **skills: Any
    ) -> tuple[Recorder, str]:
        creds = await self.b.create_staff(role, name=name)
        if skills:
            await self.b.app[K.SERVICES].staff.update_profile(creds.id, skills)
        rec, _ = await connect_operator(self.b.url, creds, self.clients, duty)
        return rec, creds.id

    async def chat(self, op: Recorder) -> tuple[Recorder, str]:
        """A visitor on ``a`` whose chat ``op`` accepted."""
        v = await self.visitor()
        cid = (await v.call("start", START))["conversation"]["id"]
        assert (await op.call("accept", {"conversation_id": cid}))["ok"]
        await v.wait_for("state", lambda d: d["state"] == "active")
        return v, cid

    async def overview(self) -> list[dict[str, Any]]:
        admin, _ = await self.staff("admin", duty=False)
        ack = await admin.call("overview", {})
        assert ack["ok"], ack
        return list(ack["items"])


Factory = Callable[..., Awaitable[Deployment]]


@pytest.fixture(params=["memory", "redis"])
async def deploy(
    request: pytest.FixtureRequest, server_factory: Any, clients: list[Recorder], tmp_path: Path
) -> AsyncIterator[Factory]:
    """``await deploy(**settings)``: one server on the memory store, or two on one Redis."""
    redis: list[RedisServer] = []
    servers: list[LiveServer] = []

    async def factory(**settings: Any) -> Deployment:
        if request.param == "memory":
            one = await server_factory(**settings)
            servers.append(one)
            return Deployment(one, one, clients)
        folder = tmp_path / "redis"
        folder.mkdir()
        redis.append(start_redis(folder))
        r = redis[0]
        shared = {
            "ephemeral_url": r.url_db(0),
            "durable_url": r.url_db(1),
            "secret_key": Secret("test-secret-" + str(r.port)),
            **settings,
        }
        servers.extend([await server_factory(**shared), await server_factory(**shared)])
        return Deployment(servers[0], servers[1], clients)

    yield factory
    for c in clients:  # the clients and servers before the Redis goes
        try:
            await c.disconnect()
        except Exception:  # noqa: BLE001
            pass
    for live in servers:
        await live.stop()
    for r in redis:
        r.stop()


async def cut(rec: Recorder) -> None:
    """The network goes: the TCP connection closes without a close frame or DISCONNECT."""
    ws = rec.client.eio.ws
    if ws is not None and ws._conn is not None:
        ws._conn.transport.abort()
    await asyncio.sleep(0.05)
    try:
        await rec.client.disconnect()
    except Exception:  # noqa: BLE001 - the client may already know
        pass


# --- start ---------------------------------------------------------------------------
async def test_two_starts_at_once_on_one_socket_make_one_conversation(deploy: Factory) -> None:
    d = await deploy()
    v = await d.visitor()
    acks = await asyncio.gather(v.call("start", START), v.call("start", START))
    assert all(a["ok"] for a in acks)
    assert acks[0]["conversation"]["id"] == acks[1]["conversation"]["id"]
    session = v.received("session")[0]
    mine = [c for c in await d.overview() if c["pseudonym"] == session["pseudonym"]]
    assert [c["id"] for c in mine] == [acks[0]["conversation"]["id"]]


async def test_two_sockets_of_one_session_on_two_processes_make_one_conversation(deploy: Factory) -> None:
    d = await deploy()
    first = await d.visitor(d.a)
    token = first.received("session")[0]["token"]
    second = await d.visitor(d.b, token)  # the same session, on the other process
    acks = await asyncio.gather(first.call("start", START), second.call("start", START))
    assert len({a["conversation"]["id"] for a in acks}) == 1
    op, _ = await d.staff()
    cid = acks[0]["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    for v in (first, second):  # both sockets are in the one conversation's room
        await v.wait_for("state", lambda p: p["state"] == "active")


async def test_a_start_cut_at_once_leaves_no_conversation_shown_connected(deploy: Factory) -> None:
    d = await deploy()
    pseudonyms = set()
    for delay_ms in (0, 1, 2, 3, 5, 8, 13, 20):
        v = await d.visitor()
        pseudonyms.add(v.received("session")[0]["pseudonym"])
        await v.emit("start", START)
        await asyncio.sleep(delay_ms / 1000)
        await cut(v)
    await asyncio.sleep(1.0)  # the disconnects and the starts are all handled
    mine = [c for c in await d.overview() if c["pseudonym"] in pseudonyms]
    assert [c["id"] for c in mine if c["visitor_connected"]] == []


# --- giving a chat to someone --------------------------------------------------------
async def test_a_transfer_to_a_colleague_at_their_maximum_is_refused_and_leaves_no_note(deploy: Factory) -> None:
    d = await deploy(max_chats_default=1)
    a, _ = await d.staff(name="A")
    b, b_id = await d.staff(name="B")
    await d.chat(b)  # B is at the maximum
    _v, cid = await d.chat(a)
    ack = await a.call("transfer", {"conversation_id": cid, "to": b_id, "note": "Lämnas över"})
    assert not ack["ok"] and ack["error"]["code"] == "conflict"
    assert ack["error"]["message"] == "Den kollegan har redan så många chattar som hen kan ta."
    await asyncio.sleep(0.3)
    assert not [m for m in a.received("message") if m.get("text") == "Lämnas över"]
    assert len(b.received("assigned")) == 1


async def test_pending_offers_never_stop_an_accept(deploy: Factory) -> None:
    d = await deploy(routing_mode="auto", offer_timeout_s=60, max_chats_default=3)
    op, _ = await d.staff()
    for _ in range(3):
        v = await d.visitor()
        assert (await v.call("start", START))["ok"]
    await op.wait_for("offer", lambda _p: len(op.received("offer")) >= 3)
    v = await d.visitor()
    urgent = (await v.call("start", {**START, "urgent": True}))["conversation"]["id"]
    ack = await op.call("accept", {"conversation_id": urgent})
    assert ack["ok"], ack
    await op.wait_for("offer_withdrawn", lambda p: p["reason"] == "at_maximum")


async def test_accept_needs_duty_and_the_audience_and_offers_wait_for_the_visitor(deploy: Factory) -> None:
    d = await deploy(routing_mode="auto", offer_timeout_s=60)
    off, _ = await d.staff(duty=False)
    assert off.received("session")[0]["queue"] == {"items": [], "centres": []}  # no queue off duty
    v = await d.visitor()
    pro = (await v.call("start", {**START, "audience": "professional"}))["conversation"]["id"]
    refused = await off.call("accept", {"conversation_id": pro})
    assert refused["error"] == {"code": "forbidden", "message": "Gå i tjänst för att ta en chatt."}
    ind, _ = await d.staff(audiences=["individual"])
    refused = await ind.call("accept", {"conversation_id": pro})
    assert refused["error"]["code"] == "forbidden"
    # A visitor who left is not offered to anyone; back, they are.
    token = v.received("session")[0]["token"]
    await cut(v)
    await asyncio.sleep(0.5)
    skilled, _ = await d.staff()
    await asyncio.sleep(0.5)
    assert skilled.received("offer") == []
    await d.visitor(d.b, token)
    offer = await skilled.wait_for("offer")
    assert offer["conversation"]["id"] == pro and offer["conversation"]["visitor_connected"] is True


# --- participants --------------------------------------------------------------------
async def test_after_a_transfer_to_the_queue_the_invitee_receives_nothing(deploy: Factory) -> None:
    d = await deploy()
    a, _ = await d.staff(name="A")
    b, b_id = await d.staff(name="B")
    c, _ = await d.staff(name="C")
    v, cid = await d.chat(a)
    assert (await a.call("invite", {"conversation_id": cid, "to": b_id}))["ok"]
    assert (await a.call("transfer", {"conversation_id": cid, "to": "queue", "note": None}))["ok"]
    await b.wait_for("released", lambda p: p == {"conversation_id": cid, "reason": "requeued"})
    assert (await c.call("accept", {"conversation_id": cid}))["ok"]
    assigned = await c.wait_for("assigned")
    assert assigned["conversation"].get("invited", []) == []
    mark = b.mark()
    assert (await v.call("message", {"client_id": new_client_id(), "text": "hej"}))["ok"]
    await c.wait_for("message", lambda m: m["text"] == "hej")
    await asyncio.sleep(0.3)
    assert [e for e, p in b.events[mark:] if e == "message"] == []
    written = await b.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": "x"})
    assert written["error"]["code"] == "forbidden"


async def test_after_an_operator_drop_the_invitee_is_released_too(deploy: Factory) -> None:
    d = await deploy(operator_grace_s=0)
    a, _ = await d.staff(name="A")
    b, b_id = await d.staff(name="B")
    v, cid = await d.chat(a)
    assert (await a.call("invite", {"conversation_id": cid, "to": b_id}))["ok"]
    await cut(a)  # A's console is gone; past the grace the chat goes back to the queue
    await b.wait_for("released", lambda p: p == {"conversation_id": cid, "reason": "requeued"}, timeout=15)
    await v.wait_for("state", lambda p: p["state"] == "waiting")
    mark = b.mark()
    assert (await v.call("message", {"client_id": new_client_id(), "text": "hallå?"}))["ok"]
    await asyncio.sleep(0.3)
    assert [e for e, _p in b.events[mark:] if e == "message"] == []


# --- what the visitor must keep ------------------------------------------------------
async def test_cards_and_a_code_sent_during_a_drop_reach_the_visitor_on_resume(deploy: Factory) -> None:
    d = await deploy()
    op, _ = await d.staff()
    v, cid = await d.chat(op)
    token = v.received("session")[0]["token"]
    await cut(v)
    await asyncio.sleep(0.3)
    sent = await op.call("referral", {"conversation_id": cid, "targets": ["bris-116111"]})
    assert sent["ok"]
    assert (await op.call("followup_summary", {"conversation_id": cid, "summary": "Skolan."}))["ok"]

    back = await d.visitor(d.b, token)  # resumes on the other process
    history = (await back.wait_for("history"))["messages"]
    records = [m for m in history if m.get("code") in ("referral", "followup_code")]
    assert [m["code"] for m in records] == ["referral", "followup_code"]  # once each, in order
    assert [c["id"] for c in records[0]["cards"]] == ["bris-116111"]
    code = records[1]["followup"]["code"]
    assert code in records[1]["text"]  # an older client shows the text
    assert all(set(m) >= {"id", "client_id", "from", "text", "ts"} for m in records)
    # The counsellor's log shows both, in Swedish, without the code.
    shown = [m for m in op.received("message") if m.get("code") in ("referral", "followup_code")]
    assert [m["id"] for m in shown] == [m["id"] for m in records]
    assert code not in str(op.events)


# --- typing --------------------------------------------------------------------------
async def test_typing_is_cleared_when_the_visitor_drops(deploy: Factory) -> None:
    d = await deploy()
    op, _ = await d.staff()
    v, cid = await d.chat(op)
    assert (await v.call("typing", {"active": True}))["ok"]
    await op.wait_for("typing", lambda p: p["active"])
    await cut(v)
    await op.wait_for("typing", lambda p: p == {"conversation_id": cid, "active": False})
    await op.wait_for("conversation", lambda p: p["conversation"]["visitor_connected"] is False)


# --- blocks --------------------------------------------------------------------------
async def test_a_block_from_the_other_process_holds_on_every_process(deploy: Factory) -> None:
    d = await deploy()
    op, _ = await d.staff()  # on b
    v, cid = await d.chat(op)  # on a
    ack = await op.call("block", {"conversation_id": cid})
    assert ack == {"ok": True, "blocked": True}
    await v.wait_for("ended", lambda p: p["reason"] == "blocked")
    for on in (d.a, d.b):  # a new socket from the same address, on either process
        again = await d.visitor(on)
        refused = await again.call("start", START)
        assert refused["error"]["code"] == "forbidden"
