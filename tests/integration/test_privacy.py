"""Promise 1, proven: after real conversations nothing identifying is anywhere.

A real server process runs with DEBUG logging behind a (simulated) proxy, so it sees a
distinctive visitor address, user agent and referrer. Then the log, the SQLite file
and every Redis key and value are searched for them and for every message text.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import aiohttp
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


PEER = "127.0.0.77"  # the probing client's own address (all of 127/8 is loopback)


async def test_nothing_identifying_in_logs_of_failing_requests_and_protocol_errors(server_process):
    """At DEBUG, requests that fail and packets that break the protocol, each carrying
    the visitor's address (as peer and X-Forwarded-For), user agent, referrer, a foreign
    Origin and marked text in every place a client controls, leave none of it in the
    log (aiohttp logs ``Error handling request from <peer>`` with the raw request)."""
    sp = server_process({"CHAT_LOG_LEVEL": "DEBUG", "CHAT_TRUST_PROXY": "true"})
    host, port = "127.0.0.1", sp.port
    headers = {**VISITOR_HEADERS, "Origin": "https://kommun.example.se"}

    async def raw_http(request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(host, port, local_addr=(PEER, 0))
        writer.write(request)
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.read(4096), 5)
        finally:
            writer.close()

    # Malformed HTTP: a made-up method first on its connection (aiohttp: DEBUG), a bad
    # header line, a bad chunked body, a request line full of text (aiohttp: ERROR).
    ua = f"User-Agent: {VISITOR_UA}\r\nX-Forwarded-For: {VISITOR_IP}\r\nReferer: {REFERRER}\r\n".encode()
    await raw_http(b"ZQXJ /zqxj-hemlig-1 HTTP/1.1\r\nHost: x\r\n" + ua + b"\r\n")
    await raw_http(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + ua + b"zqxj hemlig header line\r\n\r\n")
    await raw_http(
        b"POST /api/login HTTP/1.1\r\nHost: x\r\n" + ua + b"Transfer-Encoding: chunked\r\n\r\nzz zqxj-hemlig\r\n"
    )
    await raw_http(b"GET /" + "Min pappa läser zqxj".encode() + b" HTTP/1.1\r\n" + ua + b"\r\n")

    connector = aiohttp.TCPConnector(local_addr=(PEER, 0))
    async with aiohttp.ClientSession(connector=connector, headers={**VISITOR_HEADERS}) as http:
        base = sp.url
        # HTTP routes: bad and deeply nested bodies, a foreign origin, a made-up session id.
        for body in ('{"username": "zqxj-hemlig-2", "password": ', "[" * 16000, TEXTS[0]):
            async with http.post(base + "/api/login", data=body.encode()) as resp:
                assert resp.status == 400
            async with http.post(base + "/api/login", data=body.encode(), headers=headers) as resp:
                assert resp.status == 403  # foreign origin
        async with http.get(base + "/socket.io/?EIO=4&transport=polling", headers=headers) as resp:
            assert resp.status == 400  # foreign origin
        async with http.get(base + "/socket.io/?EIO=4&transport=polling&sid=zqxj-hemlig-sid") as resp:
            assert resp.status == 400
        async with http.post(base + "/socket.io/?EIO=4&transport=polling&sid=zqxj-sid", data=b"4zqxj") as resp:
            assert resp.status == 400

        # Engine.IO and Socket.IO garbage over long-polling, each in a fresh session.
        async def session() -> str:
            async with http.get(base + "/socket.io/?EIO=4&transport=polling") as resp:
                return str(json.loads((await resp.text())[1:])["sid"])

        for body in (
            "zqxj garbage " + TEXTS[1],
            "40/zqxj-namespace,{}",
            '42/visitor,["message",{"text":"' + TEXTS[2] + '"}]',
            "42/visitor," + "[" * 20000 + TEXTS[3],
            '40/visitor,{"resume":"zqxj","locale":"' + TEXTS[0] + '"}',
        ):
            url = f"{base}/socket.io/?EIO=4&transport=polling&sid={await session()}"
            async with http.post(url, data=body.encode()) as resp:
                assert resp.status in (200, 400)

        # ... and over websocket.
        for frame in ("zqxj " + TEXTS[1], '42/zqxj-ns,["x","' + TEXTS[2] + '"]', "42/visitor,{" + TEXTS[3]):
            ws = await http.ws_connect(base.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
            await ws.receive()  # open
            await ws.send_str("40/visitor,{}")
            await ws.send_str(frame)
            async for _ in ws:
                pass
            await ws.close()
    await asyncio.sleep(0.3)
    sp.stop()
    log = sp.log_text()
    assert "DEBUG" in log  # the level really was DEBUG
    assert_clean(log, "the server log (DEBUG)")
    assert PEER not in log, "the peer address is in the log"
    assert "Traceback" not in log
