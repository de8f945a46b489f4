"""Scale-out with real processes: two chat-server processes on one ephemeral Redis (no
persistence) and one durable Redis (with persistence), nginx in front with sticky
routing and WebSocket upgrade.

One test walks through a whole incident: the visitor's node is killed with SIGKILL
mid-conversation and the visitor resumes on the other node with nothing lost or
duplicated; the node comes back and both sweepers run without ending anything twice;
the ephemeral Redis restarts, the processes stay up, /readyz goes 503 and back to 200,
and a visitor whose conversation died with it is told so and can start again.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from chat_server.security import totp
from tests.conftest import ROOT, RedisServer, free_port, start_redis, wait_port
from tests.helpers import Recorder, StaffCredentials, login

pytestmark = [pytest.mark.redis, pytest.mark.slow]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx.test.conf.template"
START = {"audience": "self", "topic": None, "urgent": False, "age_band": None}

# Used only when deploy/nginx.test.conf.template is missing: the same essentials
# (hash on the client address, WebSocket upgrade, failover to the next process).
FALLBACK_CONF = """
worker_processes 1;
pid @PIDFILE@;
error_log @PREFIX@/error.log info;
events { worker_connections 1024; }
http {
    client_body_temp_path @PREFIX@/client_body_temp;
    proxy_temp_path @PREFIX@/proxy_temp;
    fastcgi_temp_path @PREFIX@/fastcgi_temp;
    uwsgi_temp_path @PREFIX@/uwsgi_temp;
    scgi_temp_path @PREFIX@/scgi_temp;
    access_log off;
    map $http_upgrade $conn_upgrade { default upgrade; '' ''; }
    upstream rc_chat {
        hash $remote_addr consistent;
@UPSTREAMS@
    }
    server {
        listen @LISTEN@;
        add_header X-RC-Upstream $upstream_addr always;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $conn_upgrade;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_next_upstream error timeout;
        proxy_connect_timeout 5s;
        location / { proxy_pass http://rc_chat; proxy_buffering off; proxy_read_timeout 300s; }
    }
}
"""


def render_nginx(prefix: Path, listen: str, upstreams: list[str]) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.read_text() if TEMPLATE.exists() else FALLBACK_CONF
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=2s;" for u in upstreams)
    for placeholder, value in (
        ("@UPSTREAMS@", servers),
        ("@PIDFILE@", str(prefix / "nginx.pid")),
        ("@LISTEN@", listen),
        ("@PREFIX@", str(prefix)),
    ):
        text = text.replace(placeholder, value)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


@dataclass
class Node:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def upstream(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "chat_server",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_port(self.port, timeout=30)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Cluster:
    ephemeral: RedisServer
    durable: RedisServer
    nodes: list[Node]
    proxy_port: int
    operator: StaffCredentials
    nginx: subprocess.Popen[bytes] | None = None
    clients: list[Recorder] = field(default_factory=list)

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    (tmp_path / "eph").mkdir()
    (tmp_path / "dur").mkdir()
    ephemeral = start_redis(tmp_path / "eph")
    durable = start_redis(tmp_path / "dur", persistent=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    env.update(
        CHAT_EPHEMERAL_URL=ephemeral.url,
        CHAT_DURABLE_URL=durable.url,
        CHAT_SECRET_KEY=secrets.token_urlsafe(32),
        CHAT_DATA_DIR=str(tmp_path / "data"),
        CHAT_TRUST_PROXY="true",
        CHAT_GRACE_PERIOD_S="1",
        CHAT_SWEEP_INTERVAL_S="0.3",
        CHAT_LOG_LEVEL="WARNING",
    )
    nodes = [Node(name, free_port(), env, tmp_path / f"{name}.log") for name in ("a", "b")]
    password_file = tmp_path / "pw"
    password_file.write_text("correct horse battery staple 42\n")
    totp_file = tmp_path / "totp"
    secret = totp.new_secret()
    totp_file.write_text(secret)
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "chat_server",
            "operators",
            "add",
            "sara",
            "--name",
            "Sara",
            "--password-file",
            str(password_file),
            "--totp-secret-file",
            str(totp_file),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    creds = StaffCredentials("sara", "correct horse battery staple 42", secret, name="Sara")
    state = Cluster(ephemeral, durable, nodes, free_port(), creds)
    try:
        for node in nodes:
            node.start()
        prefix = tmp_path / "nginx"
        conf = render_nginx(prefix, f"127.0.0.1:{state.proxy_port}", [n.upstream for n in nodes])
        state.nginx = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=open(prefix / "stderr.log", "wb"),  # noqa: SIM115
        )
        wait_port(state.proxy_port)
        yield state
    finally:
        if state.nginx is not None:
            state.nginx.terminate()
            try:
                state.nginx.wait(10)
            except subprocess.TimeoutExpired:
                state.nginx.kill()
        for node in nodes:
            node.stop()
        ephemeral.stop()
        durable.stop()


def session_from(source: str) -> aiohttp.ClientSession:
    """An HTTP session whose connections come from ``source`` (a 127.x loopback address),
    so nginx's address hash can place it on a chosen process."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0), force_close=True))


async def upstream_for(proxy: str, source: str) -> str:
    async with session_from(source) as http, http.get(proxy + "/healthz") as resp:
        assert resp.status == 200
        return resp.headers["X-RC-Upstream"]


async def connect(url: str, namespace: str, source: str | None, clients: list[Recorder], **kw: Any) -> Recorder:
    headers = kw.pop("headers", None)
    rec = Recorder(url, namespace, **({"headers": headers} if headers else {}))
    if source:
        rec.client.eio.http_factory = lambda: session_from(source)
    clients.append(rec)
    await rec.connect(**kw)
    await rec.wait_for("session")
    return rec


async def status(url: str) -> int:
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp,
        ):
            return resp.status
    except aiohttp.ClientError:
        return 0


async def wait_until(check: Any, timeout: float = 20.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(interval)
    raise AssertionError("condition not reached in time")


async def subscribers(redis: RedisServer) -> int:
    """How many processes listen on the fan-out channel."""
    out = await asyncio.to_thread(
        subprocess.run,
        ["redis-cli", "-p", str(redis.port), "PUBSUB", "NUMSUB", "rc-chat"],
        capture_output=True,
        text=True,
    )
    lines = out.stdout.split()
    return int(lines[1]) if len(lines) == 2 else 0


async def ended_counts(durable: RedisServer) -> dict[str, int]:
    """End reasons as the statistics of the ``default`` centre counted them: every
    process adds to the one shared durable store (/metrics no longer counts single
    conversations: metrics_http.py)."""
    client = aioredis.from_url(durable.url, decode_responses=True)
    totals: dict[str, int] = {}
    try:
        for day in await client.smembers("rc:d:stats-days:default"):
            for key, n in (await client.hgetall(f"rc:d:stats:default:{day}")).items():
                if key.startswith("outcome:"):
                    totals[key.partition(":")[2]] = totals.get(key.partition(":")[2], 0) + int(n)
    finally:
        await client.aclose()
    return totals


def texts(messages: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(m["from"], m["client_id"]) for m in messages]


async def test_failover_and_redis_restart(cluster: Cluster) -> None:
    a, b = cluster.nodes
    by_upstream = {n.upstream: n for n in cluster.nodes}
    # Find a visitor address that nginx sends to some node ("home"), and one for the
    # operator that lands on the other node (else the operator goes to it directly).
    sources = [f"127.0.0.{i}" for i in range(2, 40)]
    placement = {s: await upstream_for(cluster.proxy, s) for s in sources[:12]}
    visitor_src = sources[0]
    home = by_upstream[placement[visitor_src]]
    other = b if home is a else a
    op_src = next((s for s, u in placement.items() if u == other.upstream), None)
    clients = cluster.clients
    try:
        op_base = cluster.proxy if op_src else other.url
        staff = await login(op_base, cluster.operator)
        op = await connect(op_base, "/operator", op_src, clients, headers={"Cookie": staff.cookie})
        assert (await op.call("duty", {"on": True}))["ok"]

        v = await connect(cluster.proxy, "/visitor", visitor_src, clients)
        token = v.received("session")[0]["token"]
        conv_id = (await v.call("start", START))["conversation"]["id"]
        await op.wait_for("queue", lambda d: any(i["id"] == conv_id for i in d["items"]))
        accepted = await op.call("accept", {"conversation_id": conv_id})
        assert accepted["ok"], accepted
        await v.wait_for("state", lambda d: d["state"] == "active")

        # Both ways across the two processes.
        for n in (1, 2):
            assert (await v.call("message", {"client_id": f"v{n}", "text": f"visitor {n}"}))["ok"]
            await op.wait_for("message", lambda m, n=n: m.get("client_id") == f"v{n}")
        assert (await op.call("message", {"conversation_id": conv_id, "client_id": "o1", "text": "op 1"}))["ok"]
        await v.wait_for("message", lambda m: m.get("client_id") == "o1")

        # The visitor's node dies mid-conversation; the operator keeps writing.
        home.kill()
        assert (await op.call("message", {"conversation_id": conv_id, "client_id": "o2", "text": "op 2"}))["ok"]
        await v.disconnect()

        # Through nginx again: the dead node is skipped and the visitor resumes.
        v2 = await connect(cluster.proxy, "/visitor", visitor_src, clients, auth={"resume": token})
        session = v2.received("session")[0]
        assert session["conversation"] == {"id": conv_id, "state": "active", "position": None}
        history = (await v2.wait_for("history"))["messages"]
        assert texts(history) == [
            ("system", None),
            ("visitor", "v1"),
            ("visitor", "v2"),
            ("operator", "o1"),
            ("operator", "o2"),
        ]
        assert len({m["id"] for m in history}) == len(history)
        assert (await upstream_for(cluster.proxy, visitor_src)).endswith(other.upstream)

        # A resend of an already stored message is not delivered twice; new ones flow.
        first_v2 = next(m for m in history if m["client_id"] == "v2")
        again = await v2.call("message", {"client_id": "v2", "text": "visitor 2"})
        assert again == {"ok": True, "id": first_v2["id"], "ts": first_v2["ts"]}
        assert (await v2.call("message", {"client_id": "v3", "text": "visitor 3"}))["ok"]
        await op.wait_for("message", lambda m: m.get("client_id") == "v3")
        assert (await op.call("message", {"conversation_id": conv_id, "client_id": "o3", "text": "op 3"}))["ok"]
        await v2.wait_for("message", lambda m: m.get("client_id") == "o3")
        assert [m["client_id"] for m in op.received("message") if m["from"] == "visitor"] == [
            "v1",
            "v2",
            "v3",
        ]

        # The node comes back; with both sweepers running, an abandoned chat ends once.
        home.start()
        await wait_until(lambda: _eq(subscribers(cluster.ephemeral), 2))
        v3 = await connect(other.url, "/visitor", None, clients)
        gone_id = (await v3.call("start", START))["conversation"]["id"]
        await op.wait_for("queue", lambda d: any(i["id"] == gone_id for i in d["items"]))
        assert (await op.call("accept", {"conversation_id": gone_id}))["ok"]
        await v3.disconnect()
        await op.wait_for("ended", lambda d: d["conversation_id"] == gone_id, timeout=15)
        await asyncio.sleep(1.0)  # let every sweeper have another go
        assert [d for d in op.received("ended") if d["conversation_id"] == gone_id] == [
            {"conversation_id": gone_id, "reason": "abandoned"}
        ]
        assert (await ended_counts(cluster.durable)).get("abandoned") == 1

        # The ephemeral Redis restarts: processes stay up, /readyz follows the store.
        cluster.ephemeral.stop()
        for node in cluster.nodes:
            await wait_until(lambda node=node: _eq(status(node.url + "/readyz"), 503))
            assert await status(node.url + "/healthz") == 200
        refused = await v2.call("message", {"client_id": "v4", "text": "visitor 4"})
        assert refused["ok"] is False and refused["error"]["code"] == "unavailable"
        restarted = start_redis(cluster.ephemeral.dir, port=cluster.ephemeral.port)
        cluster.ephemeral.process = restarted.process
        for node in cluster.nodes:
            await wait_until(lambda node=node: _eq(status(node.url + "/readyz"), 200))
        assert a.alive and b.alive
        await wait_until(lambda: _eq(subscribers(cluster.ephemeral), 2), timeout=40)

        # The visitor's conversation died with the store: a resume says so plainly
        # (no conversation), and a new one can be started and answered.
        await v2.disconnect()
        v4 = await connect(cluster.proxy, "/visitor", visitor_src, clients, auth={"resume": token})
        fresh = v4.received("session")[0]
        assert fresh["conversation"] is None and fresh["token"] != token
        await op.disconnect()
        op = await connect(op_base, "/operator", op_src, clients, headers={"Cookie": staff.cookie})
        assert op.received("session")[0]["chats"] == []
        assert (await op.call("duty", {"on": True}))["ok"]
        new_id = (await v4.call("start", START))["conversation"]["id"]
        await op.wait_for("queue", lambda d: any(i["id"] == new_id for i in d["items"]))
        assert (await op.call("accept", {"conversation_id": new_id}))["ok"]
        assert (await v4.call("message", {"client_id": "n1", "text": "igen"}))["ok"]
        await op.wait_for("message", lambda m: m.get("client_id") == "n1")
        assert (await op.call("message", {"conversation_id": new_id, "client_id": "p1", "text": "hej igen"}))["ok"]
        await v4.wait_for("message", lambda m: m.get("client_id") == "p1")
    finally:
        for c in clients:
            try:
                await c.disconnect()
            except Exception:  # noqa: BLE001
                pass
    assert a.alive and b.alive


async def _eq(value: Any, expected: Any) -> bool:
    return (await value) == expected
