"""The Engine.IO heartbeat watchdog (transport/engine.py) relies on python-engineio
internals; these tests fail if an upgrade changes them, and check the watchdog itself."""

from __future__ import annotations

import inspect
import time

import engineio
from engineio import async_socket

from chat_server.transport.engine import GuardedEngineIO as EngineServer
from chat_server.transport.hardened import HardenedServer


def test_the_internals_the_watchdog_relies_on_are_still_there():
    assert inspect.iscoroutinefunction(engineio.AsyncServer._service_task)
    source = inspect.getsource(engineio.AsyncServer._handle_connect)
    assert "self._service_task" in source and "start_service_task" in source
    sock_source = inspect.getsource(async_socket.AsyncSocket)
    for name in ("last_ping", "check_ping_timeout", "closing"):
        assert name in sock_source
    assert HardenedServer(async_mode="aiohttp").eio.__class__ is EngineServer


async def test_watchdog_closes_only_sockets_whose_ping_went_unanswered():
    server = EngineServer(async_mode="aiohttp", ping_timeout=5, ping_interval=5)
    now = time.time()
    fresh = async_socket.AsyncSocket(server, "fresh")
    fresh.last_ping = now - 1  # a ping sent a second ago: still waiting for the pong
    answered = async_socket.AsyncSocket(server, "answered")
    answered.last_ping = None  # pong received, next ping scheduled
    gone = async_socket.AsyncSocket(server, "gone")
    gone.last_ping = now - 6
    server.sockets.update({"fresh": fresh, "answered": answered, "gone": gone})
    assert await server.check_heartbeats(time.time()) == 1
    assert gone.closed or gone.closing
    assert not fresh.closed and not answered.closed
    assert await server.check_heartbeats(time.time()) == 0
    assert "gone" not in server.sockets
