"""Promise 1, proven: after real conversations nothing identifying is anywhere.

A real server process runs with DEBUG logging behind a (simulated) proxy, so it sees a
distinctive visitor address, user agent and referrer. Then the log, the SQLite file
and every Redis key and value are searched for them and for every message text.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from tests.helpers import Recorder, login

VISITOR_IP = "203.0.113.77"
VISITOR_UA = "PrivacyProbe-UA/9.9 (Linux; Android 14)"
REFERRER = "https://kommun.example.se/stod-for-unga?x=privacyprobe"
TEXTS = [
    "Min pappa läser mina meddelanden zqxj-hemlig-1",
    "Jag vill inte gifta mig zqxj-hemlig-2",
    "مرحبا أنا خائفة zqxj-hemlig-3",
    "Vi kan prata om det zqxj-hemlig-4",
]
VISITOR_HEADERS = {"X-Forwarded-For": VISITOR_IP, "User-Agent": VISITOR_UA, "Referer": REFERRER}


def raw_bytes(path: Path) -> bytes:
    out = b""
    for candidate in (path, path.with_name(path.name + "-wal")):
        if candidate.exists():
            out += candidate.read_bytes()
    return out


def redis_dump(port: int) -> str:
    """Every key and value in every database of the Redis, as text."""
    out: list[str] = []
    for db in range(16):
        keys = subprocess.run(
            ["redis-cli", "-p", str(port), "-n", str(db), "--scan"], capture_output=True, text=True, check=True
        ).stdout.split()
        for key in keys:
            kind = subprocess.run(
                ["redis-cli", "-p", str(port), "-n", str(db), "TYPE", key], capture_output=True, text=True
            ).stdout.strip()
            cmd = {
                "string": ["GET"],
                "list": ["LRANGE", key, "0", "-1"],
                "hash": ["HGETALL"],
                "zset": ["ZRANGE", key, "0", "-1", "WITHSCORES"],
                "set": ["SMEMBERS"],
            }[kind]
            args = cmd if len(cmd) > 1 else [cmd[0], key]
            value = subprocess.run(
                ["redis-cli", "-p", str(port), "-n", str(db), *args], capture_output=True, text=True
            ).stdout
            out.append(f"{key} {value}")
    return "\n".join(out)


def assert_clean(haystack: str, where: str, texts: list[str] = TEXTS) -> None:
    for needle in [VISITOR_IP, VISITOR_UA, "PrivacyProbe", "privacyprobe", "kommun.example.se", *texts, "zqxj"]:
        assert needle not in haystack, f"{needle!r} found in {where}"


@pytest.mark.redis
async def test_nothing_identifying_in_logs_sqlite_or_redis(tmp_path, server_process, redis_server, clients):
    redis_server.flush()
    sp = server_process(
        {
            "CHAT_EPHEMERAL_URL": redis_server.url_db(3),
            "CHAT_LOG_LEVEL": "DEBUG",
            "CHAT_TRUST_PROXY": "true",
        }
    )
    creds = sp.add_staff(tmp_path)
    session = await login(sp.url, creds)
    op = Recorder(sp.url, "/operator", headers={"Cookie": session.cookie})
    clients.append(op)
    await op.connect()
    await op.call("duty", {"on": True})

    async def conversation(finish: str) -> tuple[Recorder, str]:
        v = Recorder(sp.url, "/visitor", headers=VISITOR_HEADERS)
        clients.append(v)
        await v.connect(transports=["polling", "websocket"])
        await v.wait_for("session")
        ack = await v.call("start", {"audience": "self", "topic": "marriage", "urgent": True, "age_band": "16-17"})
        cid = ack["conversation"]["id"]
        await v.call("message", {"client_id": "a", "text": TEXTS[0]})
        await op.call("accept", {"conversation_id": cid})
        await v.call("message", {"client_id": "b", "text": TEXTS[1]})
        await v.call("message", {"client_id": "c", "text": TEXTS[2]})
        await op.call("message", {"conversation_id": cid, "client_id": "o", "text": TEXTS[3]})
        await v.call("typing", {"active": True})
        await v.wait_for("message", lambda m: m["from"] == "operator")

        # During the conversation: the Redis holds only ciphertext.
        dump = redis_dump(redis_server.port)
        assert cid in dump  # the conversation is there…
        assert_clean(dump, "Redis during the conversation")  # …but none of its text
        if finish == "end":
            await op.call("end", {"conversation_id": cid, "triage": None})
        elif finish == "exit":
            await v.call("exit", {})
        else:
            await v.call("end", {})
        await v.wait_for("ended")
        return v, cid

    ended = [await conversation(kind) for kind in ("end", "exit", "visitor")]
    await asyncio.sleep(0.3)
    for v, _ in ended:
        await v.disconnect()
    await op.disconnect()
    await asyncio.sleep(0.3)
    sp.stop()

    dump = redis_dump(redis_server.port)
    assert_clean(dump, "Redis after the end")
    for _, cid in ended:
        assert cid not in dump, "a key of an ended conversation survived"
    assert_clean(sp.log_text(), "the server log (DEBUG)")
    sqlite_text = raw_bytes(Path(sp.env["CHAT_DATA_DIR"]) / "rc.sqlite3").decode("utf-8", "replace")
    assert_clean(sqlite_text, "SQLite")
    # The audit log of accept and end keeps no conversation id (services/audit.py).
    for _, cid in ended:
        assert cid not in sqlite_text, "a conversation id in the durable store"


async def test_memory_store_holds_only_ciphertext_and_forgets(server, visitor, operator):
    op, _ = await operator()
    v = await visitor()
    cid = (await v.call("start", {"audience": "other"}))["conversation"]["id"]
    await op.call("accept", {"conversation_id": cid})
    for i, text in enumerate(TEXTS):
        await v.call("message", {"client_id": f"m{i}", "text": text})
    raw = repr(server.ephemeral.raw_dump())
    assert cid in raw
    assert_clean(raw, "the memory store")
    await v.call("end", {})
    await asyncio.sleep(0.1)
    raw = repr(server.ephemeral.raw_dump())
    assert cid not in raw
    assert_clean(raw, "the memory store after the end")
