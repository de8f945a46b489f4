"""Connecting to a namespace, as Socket.IO v5 orders it (docs/protocol.md, "Connecting").

* No event reaches a namespace before its CONNECT packet, in both namespaces, fresh
  and resumed, over websocket and long-polling (raw packets, in the order they arrive).
* A python-socketio client may call the server from inside its ``session`` handler.
* A refused connection gets ``{"message": code, "data": {"code", "message"}}``, the
  message in the connection's language; an unknown namespace the reference server's
  ``{"message": "Invalid namespace"}``.
* An Engine.IO connection without a namespace is closed after ``connect_timeout_s``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
import socketio

from chat_server.services.errors import MSG_INVALID
from chat_server.transport import keys as K

from ..helpers import login
from ..security.raw import RawPolling, RawSocket
from .test_conversation import start


async def frames_until(sock: RawSocket, done: Any, limit: int = 20) -> list[str]:
    """The text frames received until ``done(frames)`` holds."""
    frames: list[str] = []
    while not done(frames) and len(frames) < limit:
        frames.append(await sock.recv())
    return frames


def assert_connect_first(frames: list[str], namespace: str) -> None:
    mine = [f for f in frames if f.startswith(("40" + namespace + ",", "42" + namespace + ","))]
    assert mine and mine[0].startswith(f"40{namespace},"), frames
    assert json.loads(mine[0][len(namespace) + 3 :]).keys() == {"sid"}


def events(frames: list[str], namespace: str) -> list[str]:
    prefix = f"42{namespace},"
    return [json.loads(f[len(prefix) :])[0] for f in frames if f.startswith(prefix)]


async def test_visitor_connect_precedes_session_over_websocket(server):
    sock = await RawSocket.open(server.url)
    try:
        await sock.send("40/visitor,{}")
        frames = await frames_until(sock, lambda fs: "session" in events(fs, "/visitor"))
        assert_connect_first(frames, "/visitor")
    finally:
        await sock.close()


async def test_resumed_visitor_gets_connect_then_session_history_state_queue(server, visitor):
    v = await visitor()
    token = v.received("session")[0]["token"]
    await start(v)
    await v.drop()
    # Over long-polling too: CONNECT and the greeting may share one response, in order.
    async with aiohttp.ClientSession() as http:
        poll = await RawPolling.open(http, server.url, namespace=None)
        assert await poll.post("40/visitor," + json.dumps({"resume": token})) == 200
        frames: list[str] = []
        while "queue" not in events(frames, "/visitor"):
            got = await poll.get()
            assert got, frames
            frames += got
    assert_connect_first(frames, "/visitor")
    assert events(frames, "/visitor") == ["session", "history", "state", "queue"]


async def test_operator_connect_precedes_session(server):
    creds = await server.create_staff("operator")
    session = await login(server.url, creds)
    sock = await RawSocket.open(server.url, headers={"Cookie": session.cookie})
    try:
        await sock.send("40/operator,{}")
        frames = await frames_until(sock, lambda fs: "session" in events(fs, "/operator"))
        assert_connect_first(frames, "/operator")
    finally:
        await sock.close()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_a_python_client_may_call_from_its_session_handler(server, transport):
    client = socketio.AsyncClient(reconnection=False)
    started: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    @client.on("session", namespace="/visitor")
    async def on_session(data: Any) -> None:
        # Before the fix the namespace was not connected yet here: BadNamespaceError.
        try:
            started.set_result(await client.call("start", {"audience": "self"}, namespace="/visitor", timeout=10))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            started.set_exception(exc)

    await client.connect(server.url, namespaces=["/visitor"], transports=[transport], wait_timeout=10)
    try:
        ack = await asyncio.wait_for(started, 10)
        assert ack["ok"] and ack["conversation"]["state"] == "waiting", ack
    finally:
        await client.disconnect()


async def refusal(url: str, namespace: str, auth: str = "{}", headers: dict[str, str] | None = None) -> Any:
    sep = "," if namespace else ""  # the main namespace "/" is written as nothing
    sock = await RawSocket.open(url, headers=headers)
    try:
        await sock.send(f"40{namespace}{sep}{auth}")
        frame = await sock.recv()
    finally:
        await sock.close()
    prefix = f"44{namespace}{sep}"
    assert frame.startswith(prefix), frame
    return json.loads(frame[len(prefix) :])


async def test_refusals_carry_the_code_as_message_and_a_translated_sentence(server):
    catalogs = server.app[K.CATALOGS]
    assert await refusal(server.url, "/operator") == {
        "message": "unauthorized",
        "data": {"code": "unauthorized", "message": catalogs("sv", "Please log in.")},
    }
    english = await refusal(server.url, "/operator", headers={"Accept-Language": "en"})
    assert english["data"]["message"] == "Please log in."
    # The visitor's auth must be an object of known fields.
    arabic = await refusal(server.url, "/visitor", '{"resume": 7}', headers={"Accept-Language": "ar"})
    assert arabic == {"message": "invalid", "data": {"code": "invalid", "message": catalogs("ar", MSG_INVALID)}}
    assert arabic["data"]["message"] != MSG_INVALID  # really translated
    # A namespace that does not exist: the reference server's words.
    assert await refusal(server.url, "/nowhere") == {"message": "Invalid namespace"}
    assert await refusal(server.url, "") == {"message": "Invalid namespace"}


async def test_python_client_sees_the_refusal_code(server):
    client = socketio.AsyncClient(reconnection=False)
    seen: list[Any] = []

    @client.on("connect_error", namespace="/operator")
    async def on_error(data: Any) -> None:
        seen.append(data)

    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, namespaces=["/operator"], transports=["websocket"], wait_timeout=5)
    await client.disconnect()
    assert seen and seen[0]["message"] == "unauthorized" and seen[0]["data"]["code"] == "unauthorized", seen


async def test_connections_without_a_namespace_are_closed(server_factory):
    live = await server_factory(connect_timeout_s=0.5)
    idle = await RawSocket.open(live.url)
    joined = await RawSocket.open(live.url)
    await joined.send("40/visitor,{}")
    await frames_until(joined, lambda fs: "session" in events(fs, "/visitor"))
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await idle.closed(timeout=5)
    assert loop.time() - began < 4
    # A connection that joined stays open past the deadline...
    ack = await joined.call("/visitor", 1, "typing", {"active": True})
    assert ack["error"]["code"] == "no_conversation"
    # ... until it leaves its last namespace: then the deadline runs again.
    await joined.send("41/visitor,")
    assert await joined.closed(timeout=5)
    # Long-polling alike.
    async with aiohttp.ClientSession() as http:
        poll = await RawPolling.open(http, live.url, namespace=None)
        await asyncio.sleep(1.0)
        assert await poll.get(timeout=2) in (["1"], ["HTTP 400"])
    for sock in (idle, joined):
        await sock.close()
