"""High availability without persistence: the ephemeral Redis behind Redis Sentinel.

Real processes throughout: redis-server primary and replica (neither writing to disk),
three sentinels, two chat-server processes, python-socketio clients.

* The failover: a visitor (on one process) and an operator (on the other) keep writing
  the way the widget and the console do (one message at a time; the same client_id
  again after ``unavailable`` or a dropped connection); the primary is killed with
  SIGKILL mid-conversation; the sentinels promote the replica; the conversation goes on
  there. Every message acknowledged before, during and after the kill is in both
  histories exactly once and in order, and new messages flow both ways.
* ``WAIT``: a write is acknowledged only once the replica has it; with the replica
  frozen it is acknowledged after the timeout and counted as unreplicated.
* The start-up check covers the replicas: one that writes to disk, or accepts writes of
  its own, stops the server.

The durable store sits on the same Sentinel set (database 1) so that its Sentinel
support is exercised too; a real deployment keeps durable data on a Redis with
persistence (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio

from chat_server.storage import redis_client
from chat_server.storage.redis_ephemeral import RedisEphemeral
from tests.conftest import ServerProcess, spawn_server, start_redis
from tests.helpers import Recorder, login
from tests.redis_sentinel import DISKLESS, SentinelSet, start_sentinel_set

pytestmark = [pytest.mark.redis, pytest.mark.slow]

START = {"audience": "self", "topic": None, "urgent": False, "age_band": None}


@pytest.fixture
def sentinel_set(tmp_path: Path) -> Iterator[SentinelSet]:
    started = start_sentinel_set(tmp_path / "redis")
    yield started
    started.stop()


class Talker:
    """Sends numbered messages as the widget's outbox and the console do: one at a time,
    the same client_id again after ``unavailable`` (or ``rate_limited``, later), a
    timeout or a dropped connection (then reconnecting with its resume token or staff
    cookie), until acknowledged."""

    def __init__(
        self, prefix: str, connect: Callable[[], Awaitable[Recorder]], payload: Callable[[str], dict[str, Any]]
    ) -> None:
        self.prefix = prefix
        self.connect = connect
        self.payload = payload
        self.client: Recorder | None = None
        self.acked: list[tuple[str, str]] = []  # (client_id, server id)
        self.retries = 0
        self.reconnects = 0

    async def run(self, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            client_id = f"{self.prefix}{n}"
            while True:
                try:
                    if self.client is None or not self.client.client.connected:
                        self.reconnects += 1
                        self.client = await self.connect()
                    ack = await self.client.call("message", self.payload(client_id), timeout=2)
                except (socketio.exceptions.SocketIOError, TimeoutError, OSError):
                    ack = None
                if ack and ack.get("ok"):
                    self.acked.append((client_id, ack["id"]))
                    break
                code = ack["error"]["code"] if ack else None
                assert code in (None, "unavailable", "rate_limited"), ack
                self.retries += 1
                await asyncio.sleep(1.0 if code == "rate_limited" else 0.25)
            # About as fast as someone typing quickly (the visitor's limit is 2/s).
            await asyncio.sleep(0.3)

    async def wait_acked(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"{self.prefix}: {len(self.acked)} of {count} acknowledged"
            await asyncio.sleep(0.05)


async def test_conversation_survives_a_failover(tmp_path: Path, sentinel_set: SentinelSet) -> None:
    env = {
        "CHAT_EPHEMERAL_URL": sentinel_set.url(0),
        "CHAT_DURABLE_URL": sentinel_set.url(1),
        "CHAT_SECRET_KEY": secrets.token_urlsafe(32),
        "CHAT_GRACE_PERIOD_S": "120",
        "CHAT_OPERATOR_GRACE_S": "120",
        "CHAT_LOG_LEVEL": "WARNING",
    }
    servers: list[ServerProcess] = []
    clients: list[Recorder] = []
    try:
        # Two processes, started together (each checks every node for persistence).
        a, b = await asyncio.gather(*(asyncio.to_thread(spawn_server, tmp_path, env) for _ in range(2)))
        servers += [a, b]
        creds = await asyncio.to_thread(a.add_staff, tmp_path)
        staff = await login(b.url, creds)

        async def operator() -> Recorder:
            rec = Recorder(b.url, "/operator", headers={"Cookie": staff.cookie})
            clients.append(rec)
            await rec.connect()
            await rec.wait_for("session")
            return rec

        tokens: list[str] = []

        async def visitor() -> Recorder:
            rec = Recorder(a.url, "/visitor")
            clients.append(rec)
            await rec.connect(auth={"resume": tokens[-1]} if tokens else None)
            tokens.append((await rec.wait_for("session"))["token"])
            return rec

        op = await operator()
        assert (await op.call("duty", {"on": True}))["ok"]
        v = await visitor()
        conv_id = (await v.call("start", START))["conversation"]["id"]
        await op.wait_for("queue", lambda d: any(i["id"] == conv_id for i in d["items"]))
        assert (await op.call("accept", {"conversation_id": conv_id}))["ok"]
        await v.wait_for("state", lambda d: d["state"] == "active")

        talkers = [
            Talker("v", visitor, lambda cid: {"client_id": cid, "text": f"besökare {cid}"}),
            Talker("o", operator, lambda cid: {"conversation_id": conv_id, "client_id": cid, "text": f"svar {cid}"}),
        ]
        talkers[0].client, talkers[1].client = v, op
        stop = asyncio.Event()
        running = [asyncio.create_task(t.run(stop)) for t in talkers]

        for t in talkers:
            await t.wait_acked(5)
        old = sentinel_set.kill_primary()
        before = [len(t.acked) for t in talkers]
        promoted = await asyncio.to_thread(sentinel_set.wait_promoted, old)
        for t, n in zip(talkers, before, strict=True):
            await t.wait_acked(n + 5)  # writing on the promoted replica
        stop.set()
        await asyncio.gather(*running)
        assert promoted.port != old.port and old.process.poll() is not None
        assert all(t.retries for t in talkers), "the kill did not land mid-conversation"

        # Both sides resume (a fresh connection each): the whole history, each once.
        acked = {cid: sid for t in talkers for cid, sid in t.acked}
        v_final, op_final = await visitor(), await operator()
        v_history = (await v_final.wait_for("history"))["messages"]
        (chat,) = [c for c in op_final.received("session")[0]["chats"] if c["conversation"]["id"] == conv_id]
        for history in (v_history, chat["messages"]):
            sent = [(m["client_id"], m["id"]) for m in history if m["from"] in ("visitor", "operator")]
            assert len({sid for _, sid in sent}) == len(sent), "a message is there twice"
            assert {cid: sid for cid, sid in sent} == acked
            for t in talkers:  # each side's messages in the order they were sent
                assert [cid for cid, _ in sent if cid.startswith(t.prefix)] == [cid for cid, _ in t.acked]

        # New messages flow both ways, across the two processes.
        assert (await v_final.call("message", {"client_id": "after-v", "text": "finns du kvar?"}))["ok"]
        await op_final.wait_for("message", lambda m: m.get("client_id") == "after-v")
        reply = {"conversation_id": conv_id, "client_id": "after-o", "text": "ja, jag är kvar"}
        assert (await op_final.call("message", reply))["ok"]
        await v_final.wait_for("message", lambda m: m.get("client_id") == "after-o")
    finally:
        for c in clients:
            try:
                await c.disconnect()
            except Exception:  # noqa: BLE001
                pass
        for s in servers:
            s.stop()
    for s in servers:
        log = s.log_text()
        assert "Traceback" not in log, log
        # Up to the kill every write was confirmed by the replica (after it, the
        # promoted node has none: that is logged, and expected).
        assert "acknowledged before" not in log.split("cannot receive from Redis")[0], log
    # Neither node wrote anything to disk: not for persistence, not for replication.
    for node in sentinel_set.nodes:
        assert list(node.dir.iterdir()) == [], node.dir


# --- WAIT --------------------------------------------------------------------------------
async def wait_replica_online(primary_port: int) -> None:
    """Until the primary's WAIT counts the replica: a replica that has just synced is
    counted only after its first acknowledgements (a moment, also in production)."""
    on_primary = redis.Redis(port=primary_port)
    try:
        on_primary.set("probe", "1")
        while on_primary.wait(1, 100) < 1:
            await asyncio.sleep(0.05)
        on_primary.delete("probe")
    finally:
        on_primary.close()


async def test_a_write_is_acknowledged_once_the_replica_has_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "r").mkdir()
    primary = start_redis(tmp_path / "p", extra=DISKLESS)
    replica = start_redis(tmp_path / "r", extra=(*DISKLESS, "--replicaof", "127.0.0.1", str(primary.port)))
    store = RedisEphemeral(primary.url, wait_replicas=1, wait_timeout_ms=300)
    on_replica = redis.Redis(port=replica.port, decode_responses=True)
    try:
        await wait_replica_online(primary.port)
        for n in range(20):
            record, created = await store.append_message("c1", f"k{n}", {"text": f"m{n}"}, ttl=60)
            # Acknowledged means on the replica too, at that very moment.
            assert created and on_replica.llen("rc:e:msgs:c1") == n + 1
        assert await store.update("conv", "c1", {"state": "active"}) is None
        await store.put("conv", "c1", {"version": 1}, ttl=60)
        assert await store.update("conv", "c1", {"version": 2}, expect={"version": 1}) == {"version": 2}
        assert on_replica.get("rc:e:conv:c1") == '{"version": 2}'
        assert store.unreplicated_writes == 0

        # A frozen replica confirms nothing: the write stands on the primary alone and is
        # acknowledged after the timeout, counted (and logged) as unreplicated; the next
        # batches skip WAIT for a while (no stall for each), then try again.
        monkeypatch.setattr(redis_client, "WAIT_RETRY_S", 0.2)
        replica.process.send_signal(signal.SIGSTOP)
        try:
            await store.put("conv", "c2", {"version": 1}, ttl=60)
            assert await store.get("conv", "c2") == {"version": 1}  # a read waits for nobody
            assert store.unreplicated_writes == 1
            await store.put("conv", "c3", {"version": 1}, ttl=60)
            assert store.unreplicated_writes == 2
        finally:
            replica.process.send_signal(signal.SIGCONT)
        await asyncio.sleep(0.3)
        await store.put("conv", "c4", {"version": 1}, ttl=60)
        assert store.unreplicated_writes == 2 and on_replica.exists("rc:e:conv:c4")
        # Replication wrote nothing to either disk.
        assert list((tmp_path / "p").iterdir()) == [] and list((tmp_path / "r").iterdir()) == []
    finally:
        on_replica.close()
        await store.close()
        replica.stop()
        primary.stop()


# --- the start-up check -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("replica_options", "problem"),
    [
        ((), None),
        (("--appendonly", "yes"), "keeps an append-only file"),
        (("--save", "60 1"), "writes RDB snapshots"),
        (("--replica-read-only", "no"), "accepts writes of its own"),
        (("--repl-diskless-load", "disabled"), "stores what it receives from the primary on disk first"),
        (("--repl-diskless-load", "on-empty-db"), "stores what it receives from the primary on disk first"),
        (("--repl-diskless-sync", "no"), "would write an RDB file to feed a replica"),
    ],
)
async def test_the_start_check_looks_at_every_replica(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, replica_options: tuple[str, ...], problem: str | None
) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "r").mkdir()
    primary = start_redis(tmp_path / "p", extra=DISKLESS)
    replica = start_redis(
        tmp_path / "r", extra=(*DISKLESS, "--replicaof", "127.0.0.1", str(primary.port), *replica_options)
    )
    store = RedisEphemeral(primary.url)
    try:
        while (await store.client.info("replication")).get("connected_slaves", 0) < 1:
            await asyncio.sleep(0.05)
        with caplog.at_level(logging.ERROR, logger="chat_server.storage.redis_ephemeral"):
            assert await store.persistence_enabled() is (problem is not None)
        if problem:
            assert any(f"the replica 127.0.0.1:{replica.port} {problem}" in r.getMessage() for r in caplog.records)
    finally:
        await store.close()
        replica.stop()
        primary.stop()


async def test_a_primary_that_would_feed_replicas_from_disk_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    primary = start_redis(tmp_path, extra=("--repl-diskless-sync", "no"))
    store = RedisEphemeral(primary.url)
    try:
        with caplog.at_level(logging.ERROR, logger="chat_server.storage.redis_ephemeral"):
            assert await store.persistence_enabled() is True
        assert any("the primary redis://127.0.0.1:" in r.getMessage() for r in caplog.records)
    finally:
        await store.close()
        primary.stop()
