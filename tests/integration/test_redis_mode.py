"""Scale-out mode on a real redis-server: the persistence guard, JSON fan-out between
processes, store outages (handlers answer ``unavailable``, /readyz 503 then 200),
/metrics, JSON logs and the benchmark-only rate-limit switch."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families

from chat_server.app import StartupError, create_app
from chat_server.config import Secret
from chat_server.logging_setup import configure
from chat_server.security.crypto import KeyRing
from chat_server.security.fanout_seal import FanoutSeal
from chat_server.transport import keys as K
from tests.conftest import (
    ROOT,
    LiveServer,
    RedisServer,
    free_port,
    make_settings,
    start_redis,
    wait_port,
)
from tests.helpers import Recorder, login

pytestmark = pytest.mark.redis

START = {"audience": "self", "topic": None, "urgent": False, "age_band": None}


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own (some tests stop and restart it)."""
    d = tmp_path / "redis"
    d.mkdir()
    server = start_redis(d)
    yield server
    server.stop()


def redis_overrides(r: RedisServer, **extra: Any) -> dict[str, Any]:
    # One deployment secret for every process of a deployment (they unwrap each
    # other's conversation keys).
    secret = Secret("test-secret-" + str(r.port))
    return {"ephemeral_url": r.url_db(0), "durable_url": r.url_db(1), "secret_key": secret, **extra}


async def visitor_on(base: str, clients: list[Recorder], auth: dict[str, Any] | None = None) -> Recorder:
    rec = Recorder(base, "/visitor")
    clients.append(rec)
    await rec.connect(auth=auth)
    await rec.wait_for("session")
    return rec


async def operator_on(live: LiveServer, base: str, clients: list[Recorder]) -> Recorder:
    creds = await live.create_staff()
    session = await login(base, creds)
    rec = Recorder(base, "/operator", headers={"Cookie": session.cookie})
    clients.append(rec)
    await rec.connect()
    await rec.wait_for("session")
    assert (await rec.call("duty", {"on": True}))["ok"]
    return rec


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.text()


# --- persistence guard -------------------------------------------------------------------
def serve_env(tmp_path: Path, ephemeral: str, durable: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    env.update(
        CHAT_EPHEMERAL_URL=ephemeral,
        CHAT_DURABLE_URL=durable,
        CHAT_SECRET_KEY=secrets.token_urlsafe(32),
        CHAT_DATA_DIR=str(tmp_path / "data"),
        **extra,
    )
    return env


def test_refuses_an_ephemeral_redis_that_persists(tmp_path: Path) -> None:
    persistent = start_redis(tmp_path, persistent=True)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "chat_server", "serve", "--port", str(free_port())],
            cwd=ROOT,
            env=serve_env(tmp_path, persistent.url_db(0), persistent.url_db(1)),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        persistent.stop()
    assert proc.returncode == 2, proc.stderr
    assert "persists to disk" in proc.stderr
    assert "CHAT_ALLOW_PERSISTENT_EPHEMERAL" in proc.stderr


async def test_persistent_ephemeral_only_with_explicit_override(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    persistent = start_redis(tmp_path, persistent=True)
    try:
        app = create_app(make_settings(tmp_path, **redis_overrides(persistent)))
        from aiohttp import web

        runner = web.AppRunner(app)
        with pytest.raises(StartupError):
            await runner.setup()
        await runner.cleanup()

        app = create_app(make_settings(tmp_path, allow_persistent_ephemeral=True, **redis_overrides(persistent)))
        runner = web.AppRunner(app)
        with caplog.at_level(logging.WARNING):
            await runner.setup()
        await runner.cleanup()
        assert any("persists to disk" in r.getMessage() for r in caplog.records)
    finally:
        persistent.stop()


# --- fan-out between processes: sealed JSON --------------------------------------------------
SEALED = re.compile(r"^[0-9a-f]{32}\.[0-9]+\.[0-9]+\.[A-Za-z0-9+/]+={0,2}$")


def peer_seal(secret: Secret) -> FanoutSeal:
    """Opens what the servers of a deployment with ``secret`` publish (a test-only peer)."""
    return FanoutSeal(KeyRing(secret.reveal()).fanout_master, "test" + secrets.token_hex(4))


class Capture:
    """PSUBSCRIBE to every channel of a Redis, as an attacker with read access would."""

    def __init__(self, url: str, pattern: str = "*") -> None:
        self.raw = aioredis.from_url(url)
        self.pattern = pattern
        self.messages: list[tuple[str, bytes]] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Capture:
        self.pubsub = self.raw.pubsub()
        await self.pubsub.psubscribe(self.pattern)

        async def collect() -> None:
            async for msg in self.pubsub.listen():
                if msg["type"] == "pmessage":
                    self.messages.append((msg["channel"].decode(), msg["data"]))

        self._task = asyncio.create_task(collect())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.pubsub.aclose()
        await self.raw.aclose()

    def on(self, channel: str) -> list[bytes]:
        return [data for ch, data in self.messages if ch == channel]


async def test_fanout_between_two_servers_is_sealed_json(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    overrides = redis_overrides(own_redis)
    a = await server_factory(**overrides)
    b = await server_factory(**overrides)
    async with Capture(own_redis.url, "rc-chat*") as seen:
        op = await operator_on(b, b.url, clients)
        v = await visitor_on(a.url, clients)
        ack = await v.call("start", START)
        conv_id = ack["conversation"]["id"]
        await op.wait_for("queue", lambda d: any(i["id"] == conv_id for i in d["items"]))
        assert (await op.call("accept", {"conversation_id": conv_id}))["ok"]
        await v.wait_for("state", lambda d: d["state"] == "active")
        await v.call("message", {"client_id": "v1", "text": "hej från A"})
        got = await op.wait_for("message", lambda m: m["from"] == "visitor")
        assert got["text"] == "hej från A"
        await op.call("message", {"conversation_id": conv_id, "client_id": "o1", "text": "svar från B"})
        assert (await v.wait_for("message", lambda m: m["from"] == "operator"))["text"] == "svar från B"
        await asyncio.sleep(0.2)
        # Each room has its own channel, heard only by the process its client is on.
        staff_id = op.received("session")[0]["staff"]["id"]
        channels = {ch for ch, _ in seen.messages}
        # The queue watchers of a centre too (issue 19): one channel per centre.
        rooms = (f"rc-chat:/visitor:v:{conv_id}", f"rc-chat:/operator:st:{staff_id}", "rc-chat:/operator:qw:default")
        for channel in rooms:
            assert channel in channels
            assert (await seen.raw.pubsub_numsub(channel))[0][1] == 1, channel
    assert seen.messages
    peer = peer_seal(overrides["secret_key"])
    opened = []
    for channel, data in seen.messages:
        assert SEALED.match(data.decode()), data[:80]
        assert not data.startswith(b"\x80"), "pickle on the pub/sub channel"
        plain = peer.open(channel, data)
        assert plain is not None, "a message the deployment's key does not open"
        opened.append(json.loads(plain))  # JSON inside the seal, never pickle
    assert {m["method"] for m in opened} <= {"emit", "enter_room", "leave_room", "disconnect", "close_room", "callback"}
    assert any(m.get("event") == "message" for m in opened)
    # Every message seen, on the room channels and the shared one (the library's own:
    # disconnects of remote clients, callbacks), was sealed (checked above).


async def test_a_subscriber_without_the_key_reads_nothing_of_a_visitor(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    # The whole conversation crosses processes: the visitor (writing in Arabic) on A,
    # the operator on B; a follow-up code is issued and sent to the visitor.
    overrides = redis_overrides(own_redis)
    a = await server_factory(**overrides)
    b = await server_factory(**overrides)
    texts = ["مرحبا أنا خائفة من أبي", "Vi kan prata om det, du är inte ensam", "Tack, jag vill ha en kod"]
    async with Capture(own_redis.url) as seen:
        op = await operator_on(b, b.url, clients)
        v = await visitor_on(a.url, clients, auth={"locale": "ar"})
        session = v.received("session")[0]
        assert session["locale"] == "ar"
        conv_id = (await v.call("start", {**START, "urgent": True, "age_band": "13-15"}))["conversation"]["id"]
        await op.wait_for("queue", lambda d: any(i["id"] == conv_id for i in d["items"]))
        assert (await op.call("accept", {"conversation_id": conv_id}))["ok"]
        await v.call("message", {"client_id": "v1", "text": texts[0]})
        await op.wait_for("message", lambda m: m.get("text") == texts[0])
        await op.call("message", {"conversation_id": conv_id, "client_id": "o1", "text": texts[1]})
        await v.wait_for("message", lambda m: m.get("text") == texts[1])
        await v.call("message", {"client_id": "v2", "text": texts[2]})
        assert (await v.call("followup_request", {}))["ok"]
        await op.wait_for("followup_requested", lambda d: d["conversation_id"] == conv_id)
        summary = "Rädd för pappa, pratade om skyddat boende"
        assert (await op.call("followup_summary", {"conversation_id": conv_id, "summary": summary}))["ok"]
        code = (await v.wait_for("followup_code"))["code"]
        await v.call("typing", {"active": True})
        assert (await op.call("end", {"conversation_id": conv_id}))["ok"]
        await v.wait_for("ended")
        await asyncio.sleep(0.3)
    assert len(seen.messages) > 10
    everything = b"\n".join(data for _, data in seen.messages)
    for channel, data in seen.messages:
        # Only the sender's id, a counter, a time and base64: no JSON, no packet.
        assert SEALED.match(data.decode()), (channel, data[:80])
    needles = [
        *texts,
        summary,
        code,
        code.replace("-", ""),
        session["pseudonym"].join('""'),
        session["token"],
        '"ar"',
        "locale",
        "13-15",
        "urgent",
        "followup",
    ]
    for needle in needles:
        assert needle.encode() not in everything, needle
        assert needle.encode("unicode_escape") not in everything or needle.isascii(), needle
    # With the key, the same messages do hold the conversation: the test saw the real thing.
    peer = peer_seal(overrides["secret_key"])
    opened = "\n".join(p for ch, d in seen.messages if (p := peer.open(ch, d)) is not None)
    assert "followup_code" in opened and code in opened


# --- store outage --------------------------------------------------------------------------
async def test_redis_down_answers_unavailable_and_readyz_recovers(
    tmp_path: Path, own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    live = await server_factory(**redis_overrides(own_redis))
    assert (await get(live.url + "/readyz"))[0] == 200
    v = await visitor_on(live.url, clients)
    assert (await v.call("start", START))["ok"]

    own_redis.stop()
    try:
        status, body = await get(live.url + "/readyz")
        assert status == 503 and json.loads(body) == {"status": "unavailable"}
        assert (await get(live.url + "/healthz"))[0] == 200
        ack = await v.call("message", {"client_id": "x1", "text": "hallå?"})
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable"
        # A new connection is refused with a stable code, not a crash.
        late = Recorder(live.url, "/visitor")
        clients.append(late)
        with pytest.raises(Exception):  # noqa: B017 - socketio's ConnectionError
            await late.connect()
        status, text = await get(live.url + "/metrics")
        assert status == 200
        assert metric_values(text)[("rc_chat_ephemeral_store_up", ())] == 0
    finally:
        restarted = start_redis(own_redis.dir, port=own_redis.port)
        own_redis.process = restarted.process

    for _ in range(50):
        if (await get(live.url + "/readyz"))[0] == 200:
            break
        await asyncio.sleep(0.1)
    assert (await get(live.url + "/readyz"))[0] == 200
    # The conversation's state died with the Redis: a resume says so plainly.
    token = v.received("session")[0]["token"]
    await v.disconnect()
    again = await visitor_on(live.url, clients, auth={"resume": token})
    session = again.received("session")[0]
    assert session["conversation"] is None and session["token"] != token
    assert (await again.call("start", START))["ok"]


# --- metrics -------------------------------------------------------------------------------
async def test_metrics_are_aggregate(own_redis: RedisServer, server_factory: Any, clients: list[Recorder]) -> None:
    live = await server_factory(**redis_overrides(own_redis))
    op = await operator_on(live, live.url, clients)
    v = await visitor_on(live.url, clients)
    conv_id = (await v.call("start", START))["conversation"]["id"]
    pseudonym = v.received("session")[0]["pseudonym"]
    await op.wait_for("queue", lambda d: any(i["id"] == conv_id for i in d["items"]))

    values = metric_values((await get(live.url + "/metrics"))[1])
    assert values[("rc_chat_waiting_conversations", ())] == 1
    assert values[("rc_chat_live_conversations", ())] == 1
    assert values[("rc_chat_on_duty_operators", ())] == 1
    assert values[("rc_chat_visitor_sockets", ())] == 1

    assert (await op.call("accept", {"conversation_id": conv_id}))["ok"]
    await v.call("message", {"client_id": "v1", "text": "hemlig text"})
    await op.call("message", {"conversation_id": conv_id, "client_id": "o1", "text": "svar"})
    bad = await v.call("message", {"client_id": "v2", "text": ""})
    assert bad["ok"] is False
    await v.call("end", {})
    await op.wait_for("ended")

    status, text = await get(live.url + "/metrics")
    assert status == 200
    values = metric_values(text)
    assert bad["error"]["code"] == "invalid"
    assert values[("rc_chat_refused_events_total", (("code", "invalid"),))] >= 1
    assert values[("rc_chat_live_conversations", ())] == 0
    # No counter of what visitors do or how their chats went: read twice, a counter
    # gives the exact number of single conversations between two scrapes.
    names = {name for name, _ in values}
    assert names <= {
        "rc_chat_live_conversations",
        "rc_chat_waiting_conversations",
        "rc_chat_on_duty_operators",
        "rc_chat_visitor_sockets",
        "rc_chat_operator_sockets",
        "rc_chat_ephemeral_store_up",
        "rc_chat_refused_events_total",
        "rc_chat_refused_events_created",
    }, names
    # Aggregate only: nothing that names a conversation, a visitor or a message.
    for secret in (conv_id, pseudonym, "hemlig", v.received("session")[0]["token"]):
        assert secret not in text


# --- JSON logs -----------------------------------------------------------------------------
def test_json_logs_option(tmp_path: Path) -> None:
    port = free_port()
    env = serve_env(tmp_path, "memory://", "", CHAT_LOG_JSON="true")
    env.pop("CHAT_DURABLE_URL")
    proc = subprocess.Popen(
        [sys.executable, "-m", "chat_server", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_port(port)
        asyncio.run(get(f"http://127.0.0.1:{port}/no-such-page"))
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "expected some log lines"
    for line in lines:
        record = json.loads(line)
        assert {"ts", "level", "logger", "msg"} <= set(record)
    assert any("/no-such-page" in json.loads(line)["msg"] for line in lines)


def test_json_formatter_in_process() -> None:
    stream = io.StringIO()
    configure("INFO", json_logs=True, stream=stream)
    try:
        logging.getLogger("chat_server.test").info("conversation ended reason=%s", "abandoned")
    finally:
        configure("INFO", json_logs=False)
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["msg"] == "conversation ended reason=abandoned" and record["level"] == "INFO"


# --- benchmark-only switch -------------------------------------------------------------------
async def test_rate_limits_switch(
    server_factory: Any, clients: list[Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    limited = await server_factory()
    refused = 0
    for _ in range(70):  # a burst of 60 per address key (a school class), then 1 per second
        rec = Recorder(limited.url, "/visitor")
        clients.append(rec)
        try:
            await rec.connect()
        except Exception:  # noqa: BLE001
            refused += 1
    assert refused >= 1, "the default connection limit should refuse a burst from one address"

    with caplog.at_level(logging.WARNING):
        unlimited = await server_factory(rate_limits=False)
    assert any("UNSAFE in production" in r.getMessage() for r in caplog.records)
    for _ in range(70):
        await visitor_on(unlimited.url, clients)


# --- room channels come and go with the room's clients ---------------------------------------
async def test_a_room_channel_lives_while_a_client_is_in_the_room(
    own_redis: RedisServer,
    server_factory: Any,
    clients: list[Recorder],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chat_server.transport import redis_fanout

    monkeypatch.setattr(redis_fanout, "CLEANUP_INTERVAL_S", 0.2)
    live = await server_factory(**redis_overrides(own_redis))
    raw = aioredis.from_url(own_redis.url)
    try:
        v = await visitor_on(live.url, clients)
        conv_id = (await v.call("start", START))["conversation"]["id"]
        channel = f"rc-chat:/visitor:v:{conv_id}"
        # Subscribed before `start` was acknowledged: nothing published after can be missed.
        assert (await raw.pubsub_numsub(channel))[0][1] == 1
        assert (await v.call("exit", {}))["ok"]
        for _ in range(50):
            if (await raw.pubsub_numsub(channel))[0][1] == 0:
                break
            await asyncio.sleep(0.1)
        assert (await raw.pubsub_numsub(channel))[0][1] == 0
        assert (await raw.pubsub_numsub("rc-chat"))[0][1] == 1  # the shared channel stays
    finally:
        await raw.aclose()


def emit_message(conv_id: str, packet: str, host_id: str = "someone") -> dict[str, Any]:
    return {
        "host_id": host_id,
        "method": "emit",
        "event": "message",
        "packet": packet,
        "namespace": "/visitor",
        "room": f"v:{conv_id}",
        "skip_sid": None,
        "callback": None,
    }


def message_packet(text: str) -> str:
    payload = {"id": "m-" + text, "client_id": None, "from": "operator", "text": text, "ts": 1}
    return "2/visitor," + json.dumps(["message", payload])


async def test_forged_fanout_packets_are_dropped(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    # A process delivers only what a process of its own deployment sealed for that
    # channel, once: not a packet under another key, not a tampered one, not a genuine
    # one moved to another conversation's channel or replayed. And even a correctly
    # sealed message cannot make it send anything but an event of that namespace.
    overrides = redis_overrides(own_redis)
    live = await server_factory(**overrides)
    b = await server_factory(**overrides)
    raw = aioredis.from_url(own_redis.url)
    try:
        op = await operator_on(b, b.url, clients)
        v = await visitor_on(live.url, clients)
        other = await visitor_on(live.url, clients)
        conv_id = (await v.call("start", START))["conversation"]["id"]
        other_id = (await other.call("start", START))["conversation"]["id"]
        channel, other_channel = f"rc-chat:/visitor:v:{conv_id}", f"rc-chat:/visitor:v:{other_id}"
        await op.wait_for("queue", lambda d: any(i["id"] == conv_id for i in d["items"]))
        assert (await op.call("accept", {"conversation_id": conv_id}))["ok"]
        # One genuine message from B to the visitor on A, captured on its way.
        async with Capture(own_redis.url, channel) as seen:
            await op.call("message", {"conversation_id": conv_id, "client_id": "o1", "text": "äkta"})
            await v.wait_for("message", lambda m: m.get("text") == "äkta")
            await asyncio.sleep(0.1)
        genuine = [
            d
            for d in seen.on(channel)
            if b"message" in (peer_seal(overrides["secret_key"]).open(channel, d) or "").encode()
        ]
        assert genuine
        wire = genuine[-1].decode()

        stranger = FanoutSeal(KeyRing("another deployment's key").fanout_master, "f" * 32)
        body = wire.rsplit(".", 1)[1]
        flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
        forgeries = {
            "wrong key": stranger.seal(channel, json.dumps(emit_message(conv_id, message_packet("fel nyckel")))),
            "tampered": wire.rsplit(".", 1)[0] + "." + flipped,
            "header changed": wire.replace(".", ".9", 1),
            "not sealed": json.dumps(emit_message(conv_id, message_packet("klartext"))),
        }
        for name, forged in forgeries.items():
            assert await raw.publish(channel, forged) == 1, name
        # The genuine message again, on its own channel and on another conversation's.
        assert await raw.publish(channel, wire) == 1
        assert await raw.publish(other_channel, wire) == 1
        # Sealed with the right key, but not an event of its namespace: still dropped.
        insider = peer_seal(overrides["secret_key"])
        for packet in ("1/visitor,", '2/operator,["message",{"text":"x"}]'):
            assert await raw.publish(channel, insider.seal(channel, json.dumps(emit_message(conv_id, packet)))) == 1
        # The control: a correctly sealed event is delivered (the harness works).
        control = insider.seal(channel, json.dumps(emit_message(conv_id, message_packet("kontroll"))))
        assert await raw.publish(channel, control) == 1
        await v.wait_for("message", lambda m: m.get("text") == "kontroll")
        await asyncio.sleep(0.2)

        assert v.client.connected and other.client.connected
        texts = [m.get("text") for m in v.received("message")]
        assert texts.count("äkta") == 1, texts  # the replay was dropped
        assert not {"fel nyckel", "klartext", "x"} & set(texts), texts
        assert not other.received("message")  # nothing moved to another conversation
        assert (await v.call("message", {"client_id": "still-here", "text": "hej"}))["ok"]
        assert live.app[K.SIO].manager._seal.dropped >= len(forgeries) + 1
    finally:
        await raw.aclose()
