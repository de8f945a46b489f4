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
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio

from chat_server.storage import redis_client
from chat_server.storage.redis_ephemeral import RedisEphemeral
from tests.conftest import ServerProcess, free_port, spawn_server, start_redis, wait_port
from tests.helpers import Recorder, login
from tests.redis_sentinel import DISKLESS, SentinelSet, redis_cli, start_sentinel_set

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

    async def wait_acked(self, count: int, timeout: float = 60.0) -> None:
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
        v_history = (await v_final.wait_for("history", timeout=30))["messages"]
        (chat,) = [c for c in op_final.received("session")[0]["chats"] if c["conversation"]["id"] == conv_id]
        for history in (v_history, chat["messages"]):
            sent = [(m["client_id"], m["id"]) for m in history if m["from"] in ("visitor", "operator")]
            assert len({sid for _, sid in sent}) == len(sent), "a message is there twice"
            assert {cid: sid for cid, sid in sent} == acked
            for t in talkers:  # each side's messages in the order they were sent
                assert [cid for cid, _ in sent if cid.startswith(t.prefix)] == [cid for cid, _ in t.acked]

        # New messages flow both ways, across the two processes.
        assert (await v_final.call("message", {"client_id": "after-v", "text": "finns du kvar?"}))["ok"]
        await op_final.wait_for("message", lambda m: m.get("client_id") == "after-v", timeout=30)
        reply = {"conversation_id": conv_id, "client_id": "after-o", "text": "ja, jag är kvar"}
        assert (await op_final.call("message", reply))["ok"]
        await v_final.wait_for("message", lambda m: m.get("client_id") == "after-o", timeout=30)
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


# --- deploy/redis-ha.sh ---------------------------------------------------------------------
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


class HaSet:
    """Data nodes and sentinels started the way compose.sentinel.yaml and k8s/sentinel/
    start them: through deploy/redis-ha.sh with deploy/redis-ephemeral.conf and
    deploy/sentinel.conf (timings shortened, bound to 127.0.0.1)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.node_ports = [free_port(), free_port()]
        self.sentinel_ports = [free_port() for _ in range(3)]
        conf = (DEPLOY / "redis-ephemeral.conf").read_text()
        assert "\ndir /data\n" in conf
        self.node_dirs = [tmp / f"node-{port}" for port in self.node_ports]
        for directory in self.node_dirs:
            directory.mkdir()
            (tmp / f"{directory.name}.conf").write_text(conf.replace("\ndir /data\n", f"\ndir {directory}\n"))
        sentinel = (DEPLOY / "sentinel.conf").read_text()
        for production, quick in (
            ("rc-ephemeral 5000", "rc-ephemeral 500"),
            ("rc-ephemeral 60000", "rc-ephemeral 2000"),
        ):
            assert production in sentinel
            sentinel = sentinel.replace(production, quick)
        (tmp / "sentinel.conf").write_text(sentinel)
        self.env = {
            **os.environ,
            "RC_REDIS_NODES": " ".join(f"127.0.0.1:{p}" for p in self.node_ports),
            "RC_SENTINELS": " ".join(f"127.0.0.1:{p}" for p in self.sentinel_ports),
            "RC_SENTINEL_CONF": str(tmp / "sentinel.conf"),
        }
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def start_node(self, index: int) -> None:
        port = self.node_ports[index]
        env = {**self.env, "RC_REDIS_SELF": f"127.0.0.1:{port}", "RC_REDIS_CONF": str(self.node_dirs[index]) + ".conf"}
        self._start(port, ["node", "--bind", "127.0.0.1"], env)

    def start_sentinel(self, index: int) -> None:
        port = self.sentinel_ports[index]
        directory = self.tmp / f"sentinel-{port}"
        directory.mkdir(exist_ok=True)
        env = {**self.env, "RC_SENTINEL_DIR": str(directory), "RC_SENTINEL_SELF": f"127.0.0.1:{port}"}
        self._start(port, ["sentinel", "--port", str(port), "--bind", "127.0.0.1"], env)
        wait_port(port)

    def _start(self, port: int, args: list[str], env: dict[str, str]) -> None:
        log = (self.tmp / f"{port}.log").open("ab")
        self.processes[port] = subprocess.Popen(
            ["sh", str(DEPLOY / "redis-ha.sh"), *args], env=env, stdout=log, stderr=log
        )

    def log(self, port: int) -> str:
        return (self.tmp / f"{port}.log").read_text()

    def kill(self, port: int) -> None:
        self.processes[port].send_signal(signal.SIGKILL)
        self.processes[port].wait(5)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


def until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def role(port: int) -> str:
    return redis_cli(port, "ROLE").split("\n")[0]


def test_a_primary_that_restarts_empty_joins_the_promoted_replica(tmp_path: Path) -> None:
    """The danger of replication without persistence: a primary that crashes and comes
    back at once (a container restart) is empty; started as it was, it would hand its
    empty data set to the replica. redis-ha.sh makes it wait for the sentinels to
    promote the replica, then join it."""
    ha = HaSet(tmp_path)
    a, b = ha.node_ports
    try:
        # A set starting from nothing: the first node is the primary.
        ha.start_node(0)
        ha.start_node(1)
        for port in ha.node_ports:
            wait_port(port)
        until(lambda: role(a) == "master" and role(b) == "slave")
        for i in range(3):
            ha.start_sentinel(i)
        sentinel = ha.sentinel_ports[0]
        until(lambda: redis_cli(sentinel, "SENTINEL", "MASTER", "rc-ephemeral").count("\n") > 10)
        until(lambda: "num-other-sentinels\n2" in redis_cli(sentinel, "SENTINEL", "MASTER", "rc-ephemeral"))
        until(lambda: "flags\nslave\n" in redis_cli(sentinel, "SENTINEL", "REPLICAS", "rc-ephemeral"))
        redis_cli(a, "SET", "conversation", "ciphertext")
        until(lambda: redis_cli(b, "GET", "conversation") == "ciphertext")

        # The primary crashes and its container restarts at once.
        ha.kill(a)
        ha.start_node(0)
        until(lambda: redis_cli(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "rc-ephemeral") == f"127.0.0.1\n{b}")
        wait_port(a)
        until(lambda: role(a) == "slave" and redis_cli(a, "GET", "conversation") == "ciphertext")
        restarted = ha.log(a).split("starting as the first primary", 1)[1]
        assert "waiting for them to promote the replica" in restarted
        assert f"the sentinels name 127.0.0.1:{b}: starting as its replica" in restarted
        assert "starting as the primary" not in restarted
        assert redis_cli(b, "GET", "conversation") == "ciphertext"

        # Stopping the primary on purpose (a rolling upgrade): it hands over first, once
        # the sentinels see the replica up again.
        until(lambda: "flags\nslave\n" in redis_cli(sentinel, "SENTINEL", "REPLICAS", "rc-ephemeral"))
        done = subprocess.run(
            ["sh", str(DEPLOY / "redis-ha.sh"), "handover"],
            env={**ha.env, "RC_REDIS_SELF": f"127.0.0.1:{b}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "handed over" in done.stderr, done.stderr
        assert role(b) == "slave" and role(a) == "master"
        until(lambda: redis_cli(b, "GET", "conversation") == "ciphertext")

        # A sentinel that restarts watches the current primary, not the first one.
        ha.kill(sentinel)
        ha.start_sentinel(0)
        assert f"with the primary at 127.0.0.1:{a}" in ha.log(sentinel).rsplit("starting a sentinel", 1)[1]
        # Nothing reached a disk, on either node, through all of it.
        for directory in ha.node_dirs:
            assert list(directory.iterdir()) == [], directory
    finally:
        ha.stop()
