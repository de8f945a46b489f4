"""Scale-out mode on a real redis-server: the persistence guard, JSON fan-out between
processes, store outages (handlers answer ``unavailable``, /readyz 503 then 200),
/metrics, JSON logs and the benchmark-only rate-limit switch."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
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


# --- fan-out between processes uses JSON ----------------------------------------------------
async def test_fanout_between_two_servers_is_json(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    a = await server_factory(**redis_overrides(own_redis))
    b = await server_factory(**redis_overrides(own_redis))
    raw = aioredis.from_url(own_redis.url)
    pubsub = raw.pubsub()
    # The shared channel and every room's own channel (rc-chat:<namespace>:<room>).
    await pubsub.psubscribe("rc-chat*")
    published: list[bytes] = []
    channels: set[bytes] = set()

    async def collect() -> None:
        async for msg in pubsub.listen():
            if msg["type"] == "pmessage":
                published.append(msg["data"])
                channels.add(msg["channel"])

    collector = asyncio.create_task(collect())
    try:
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
        for channel in (f"rc-chat:/visitor:v:{conv_id}", f"rc-chat:/operator:st:{staff_id}"):
            assert channel.encode() in channels
            assert (await raw.pubsub_numsub(channel))[0][1] == 1, channel
    finally:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
        await pubsub.aclose()
        await raw.aclose()
    assert published
    for data in published:
        assert not data.startswith(b"\x80"), "pickle on the pub/sub channel"
        decoded = json.loads(data)
        assert decoded["method"] in {
            "emit",
            "enter_room",
            "leave_room",
            "disconnect",
            "close_room",
            "callback",
        }
    assert any(json.loads(d).get("event") == "message" for d in published)


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
    for _ in range(35):
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
    for _ in range(35):
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


async def test_a_forged_fanout_packet_that_is_not_an_event_is_dropped(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    # Write access to the ephemeral Redis is full compromise of live chats (threat
    # model), but a forged message on a room channel still cannot make a process send
    # its clients anything other than an event of that namespace (e.g. a disconnect).
    live = await server_factory(**redis_overrides(own_redis))
    raw = aioredis.from_url(own_redis.url)
    try:
        v = await visitor_on(live.url, clients)
        conv_id = (await v.call("start", START))["conversation"]["id"]
        channel = f"rc-chat:/visitor:v:{conv_id}"
        for packet in ("1/visitor,", '2/operator,["message",{"text":"x"}]'):
            forged = {
                "host_id": "someone",
                "method": "emit",
                "event": "x",
                "packet": packet,
                "namespace": "/visitor",
                "room": f"v:{conv_id}",
                "skip_sid": None,
                "callback": None,
            }
            assert await raw.publish(channel, json.dumps(forged)) == 1
        await asyncio.sleep(0.3)
        assert v.client.connected
        assert not [m for m in v.received("message") if m.get("text") == "x"]
        assert (await v.call("message", {"client_id": "still-here", "text": "hej"}))["ok"]
    finally:
        await raw.aclose()
