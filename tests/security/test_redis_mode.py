"""Scale-out mode under attack, and what someone who reads the ephemeral Redis finds.

Two servers share one Redis (ephemeral in db 5, durable in db 6); the visitor is on one
node and the operator on the other. Malformed packets sent to either node close only
the sender; the conversation goes on. A dump of every key in the ephemeral Redis holds
no message text and no resume token, and after the conversation ends nothing of it is
left (crypto-shredding: the key goes first).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess

import pytest

from chat_server.config import Secret

from ..helpers import Recorder, login, new_client_id
from .raw import RawSocket

pytestmark = pytest.mark.redis


def redis_dump(port: int, db: int) -> str:
    """Every key with its value, as text (what an attacker with read access sees)."""
    cli = ["redis-cli", "-p", str(port), "-n", str(db)]
    keys = subprocess.run([*cli, "--scan"], capture_output=True, text=True, check=True).stdout.split()
    out = []
    for key in keys:
        kind = subprocess.run([*cli, "TYPE", key], capture_output=True, text=True).stdout.strip()
        command = {
            "string": ["GET", key],
            "list": ["LRANGE", key, "0", "-1"],
            "hash": ["HGETALL", key],
            "zset": ["ZRANGE", key, "0", "-1"],
            "set": ["SMEMBERS", key],
        }.get(kind, ["TYPE", key])
        value = subprocess.run([*cli, *command], capture_output=True, text=True).stdout
        out.append(f"{key} {value}")
    return "\n".join(out)


def flushdb(port: int, db: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "-n", str(db), "FLUSHDB"], check=True, capture_output=True)


async def test_two_nodes_under_attack_and_a_redis_dump(server_factory, redis_server, clients):
    flushdb(redis_server.port, 5)
    flushdb(redis_server.port, 6)
    shared = {
        "ephemeral_url": redis_server.url_db(5),
        "durable_url": redis_server.url_db(6),
        "secret_key": Secret(secrets.token_urlsafe(32)),
    }
    a = await server_factory(**shared)
    b = await server_factory(**shared)
    creds = await b.create_staff("operator")
    session = await login(b.url, creds)
    op = Recorder(b.url, "/operator", headers={"Cookie": session.cookie})
    v = Recorder(a.url, "/visitor")
    clients.extend([op, v])
    await op.connect()
    await op.wait_for("session")
    assert (await op.call("duty", {"on": True}))["ok"]
    await v.connect()
    token = (await v.wait_for("session"))["token"]
    cid = (await v.call("start", {"audience": "self"}))["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]

    secret_text = "hemlig text 7f3a <script>"
    for node in (a, b):
        for frame in (
            '451-/visitor,7["message",{"_placeholder":true,"num":0}]',
            '42/visitor,1["typing",{',
            '42/operator,1["accept",{}]',
        ):
            sock = await RawSocket.open(node.url)
            await sock.send("40/visitor,{}")
            await sock.recv()
            await sock.send(frame)
            assert await sock.closed()
            await sock.close()
        assert (await v.call("message", {"client_id": new_client_id(), "text": secret_text}))["ok"]
        await op.wait_for("message", lambda m, t=secret_text: m.get("text") == t)
        reply = f"svar från {node.url[-5:]}"
        ack = await op.call("message", {"conversation_id": cid, "client_id": new_client_id(), "text": reply})
        assert ack["ok"]
        await v.wait_for("message", lambda m, t=reply: m.get("text") == t)

    dump = redis_dump(redis_server.port, 5)
    assert f"conv:{cid}" in dump and f"ckey:{cid}" in dump  # the store is really in use
    assert "hemlig text" not in dump and "<script>" not in dump
    assert "svar från" not in dump
    assert token not in dump
    assert "127.0.0.1" not in dump

    # The shared rate-limit record is only a seed: with it alone an attacker cannot test
    # a guessed address against the address keys in the dump (login throttle here).
    assert ":login:addr:" in dump
    seeds = [line.split(" ", 1)[1] for line in dump.splitlines() if ":ratekey:" in line]
    assert seeds, dump
    for seed in seeds:
        k = json.loads(seed)["k"]
        for guess in (bytes.fromhex(k), k.encode()):
            candidate = hmac.new(guess, b"127.0.0.1", hashlib.sha256).hexdigest()[:32]
            assert candidate not in dump

    assert (await v.call("end", {}))["ok"]
    await op.wait_for("ended", lambda e: e["conversation_id"] == cid)
    after = redis_dump(redis_server.port, 5)
    assert cid not in after, after
    durable = redis_dump(redis_server.port, 6)
    assert "hemlig text" not in durable and token not in durable and "127.0.0.1" not in durable
