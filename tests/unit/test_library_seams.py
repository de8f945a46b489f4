"""The private python-engineio / python-socketio methods the transport overrides or
relies on (chat_server/transport/engine.py, hardened.py) are still there, with the
signatures and the code they had when the overrides were written against
python-engineio 4.15.1 and python-socketio 5.18.1.

An upgrade that changes one of them fails here instead of silently dropping a guard
(the behaviour itself is tested in tests/security and tests/conformance). To upgrade:
read the library's new code of each method listed, adjust engine.py / hardened.py if
needed, run tests/security, tests/conformance and tests/integration/test_connect_order.py,
then update the fingerprints below.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from typing import Any

import aiohttp
import pytest
from engineio import async_server, async_socket, exceptions
from engineio.async_drivers import aiohttp as aiohttp_driver
from socketio import async_server as sio_server

from chat_server.transport import keys as K
from chat_server.transport.engine import GuardedEngineIO, GuardedSocket
from chat_server.transport.hardened import HardenedServer

from ..security.raw import RawSocket

# Each method: (the signature the override has or calls, a fingerprint of its code).
SEAMS: dict[str, tuple[Any, str, str]] = {
    # Replaced: our decoder takes its place (whole payloads, garbage closes).
    "engineio.AsyncSocket.handle_post_request": (
        async_socket.AsyncSocket.handle_post_request,
        "(self, environ)",
        "82dca119a261a959",
    ),
    # Wrapped (duplicate polls, ping timeout, upgrade race).
    "engineio.AsyncSocket.handle_get_request": (
        async_socket.AsyncSocket.handle_get_request,
        "(self, environ)",
        "05eaae9f0a60d9be",
    ),
    # Wrapped: a client's close wakes the waiting poll.
    "engineio.AsyncSocket.receive": (async_socket.AsyncSocket.receive, "(self, pkt)", "a91ae36ec2fb5340"),
    # Given a guarded websocket: its loop calls ws.wait()/send()/close() only, decodes
    # every frame it gets and ends on None.
    "engineio.AsyncSocket._websocket_handler": (
        async_socket.AsyncSocket._websocket_handler,
        "(self, ws)",
        "27f120df4d717a24",
    ),
    # Sends the open packet, then triggers "connect" before the session's first request
    # (where GuardedEngineIO installs GuardedSocket and fixes the announced interval).
    "engineio.AsyncServer._handle_connect": (
        async_server.AsyncServer._handle_connect,
        "(self, environ, transport, jsonp_index=None)",
        "5bd7edc1d1ae115a",
    ),
    # A POST raising EngineIOError is answered 400 while the session is still listed.
    "engineio.AsyncServer.handle_request": (
        async_server.AsyncServer.handle_request,
        "(self, *args, **kwargs)",
        "1a8c878e35166cfe",
    ),
    # Sends CONNECT after the connect handler returns, then marks the client connected;
    # HardenedServer calls after_connect once it returns.
    "socketio.AsyncServer._handle_connect": (
        sio_server.AsyncServer._handle_connect,
        "(self, eio_sid, namespace, data)",
        "c97c480cf777de36",
    ),
    "socketio.AsyncServer._handle_eio_message": (
        sio_server.AsyncServer._handle_eio_message,
        "(self, eio_sid, data)",
        "bef50fc0e1635921",
    ),
}

# Overridden or called with these signatures, code not relied on in detail.
SIGNATURES: list[tuple[Any, str]] = [
    (async_socket.AsyncSocket.close, "(self, wait=True, abort=False, reason=None)"),
    (async_socket.AsyncSocket.check_ping_timeout, "(self)"),
    (async_server.AsyncServer._trigger_event, "(self, event, *args, **kwargs)"),
    (async_server.AsyncServer._ok, "(self, packets=None, headers=None, jsonp_index=None)"),
    (async_server.AsyncServer._bad_request, "(self, message=None)"),
    (sio_server.AsyncServer._handle_event, "(self, eio_sid, namespace, id, data)"),
    (sio_server.AsyncServer._handle_eio_connect, "(self, eio_sid, environ)"),
    (sio_server.AsyncServer._handle_eio_disconnect, "(self, eio_sid, reason)"),
    (sio_server.AsyncServer._handle_disconnect, "(self, eio_sid, namespace, reason=None)"),
    (sio_server.AsyncServer.disconnect, "(self, sid, namespace=None, ignore_queue=False)"),
    (sio_server.AsyncServer._send_packet, "(self, eio_sid, pkt)"),
    (sio_server.AsyncServer._engineio_server_class, "(self)"),
    (aiohttp_driver.WebSocket.wait, "(self)"),
    (aiohttp_driver.WebSocket.send, "(self, message)"),
    (aiohttp_driver.WebSocket.close, "(self)"),
]


def fingerprint(func: Any) -> str:
    return hashlib.sha256(inspect.getsource(func).encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(SEAMS))
def test_relied_on_library_code_is_unchanged(name: str) -> None:
    func, signature, expected = SEAMS[name]
    assert str(inspect.signature(func)) == signature, name
    assert fingerprint(func) == expected, f"{name} changed upstream: re-verify the override (module docstring)"


@pytest.mark.parametrize(("func", "signature"), SIGNATURES, ids=[f.__qualname__ for f, _ in SIGNATURES])
def test_library_signatures(func: Any, signature: str) -> None:
    assert str(inspect.signature(func)) == signature


def test_the_overrides_keep_the_library_signatures() -> None:
    pairs = [
        (GuardedSocket.handle_post_request, async_socket.AsyncSocket.handle_post_request),
        (GuardedSocket.handle_get_request, async_socket.AsyncSocket.handle_get_request),
        (GuardedSocket.receive, async_socket.AsyncSocket.receive),
        (GuardedSocket._websocket_handler, async_socket.AsyncSocket._websocket_handler),
        (GuardedEngineIO._ok, async_server.AsyncServer._ok),
        (HardenedServer._handle_connect, sio_server.AsyncServer._handle_connect),
        (HardenedServer._handle_event, sio_server.AsyncServer._handle_event),
        (HardenedServer._handle_eio_message, sio_server.AsyncServer._handle_eio_message),
        (HardenedServer.disconnect, sio_server.AsyncServer.disconnect),
    ]
    for ours, theirs in pairs:
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters), ours
    assert issubclass(exceptions.QueueEmpty, exceptions.EngineIOError)
    assert issubclass(exceptions.UnknownPacketError, exceptions.EngineIOError)


async def test_every_session_is_guarded(server) -> None:
    """The class swap in GuardedEngineIO happens for long-polling and websocket
    sessions alike (the library builds plain AsyncSockets)."""
    eio = server.app[K.SIO].eio
    assert isinstance(eio.ping_interval_grace_period, int | float)
    sock = await RawSocket.open(server.url)
    try:
        assert type(eio.sockets[sock.sid]) is GuardedSocket
    finally:
        await sock.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/socket.io/?EIO=4&transport=polling") as resp:
            opened = json.loads((await resp.text())[1:])
    assert opened["pingInterval"] == 20000
    assert type(eio.sockets[opened["sid"]]) is GuardedSocket
