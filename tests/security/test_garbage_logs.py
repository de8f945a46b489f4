"""Garbage costs its sender the connection and the log one short line, never more.

Engine.IO garbage (a long-polling POST body or websocket frame ``abc``) and undecodable
or too deeply nested Socket.IO payloads (``[`` × 20,000) close only that connection,
with at most one short log line per connection and no traceback, at DEBUG level;
deeply nested JSON on any HTTP route answers 400 ``invalid``, never 500.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from chat_server.app import create_app
from chat_server.logging_setup import PrivacyAccessLogger

from ..conftest import free_port, make_settings
from ..helpers import login
from .conftest import lift_rate_limits
from .raw import RawPolling, RawSocket

CONNECTIONS = 200
NESTED = "[" * 20000


def transport_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every record a bad connection may cause (the access log and the reference
    conversation's lifecycle are not about the garbage)."""
    return [r for r in caplog.records if not r.name.startswith("chat_server.services.")]


def assert_short_and_clean(records: list[logging.LogRecord], per_connection: int, connections: int) -> None:
    text = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in records)
    # python-engineio logs its first "Invalid session" (a poll after the close) once per
    # process at ERROR, later ones at INFO (dropped): hence the constant.
    assert len(records) <= per_connection * connections + 1, text[-2000:]
    assert all(len(r.getMessage()) <= 160 for r in records), text[-2000:]
    assert not any(r.exc_info for r in records), text[-2000:]
    for word in ("Traceback", "RecursionError", "[[[[", "abc"):
        assert word not in text, word


async def open_visitor(url: str) -> RawSocket:
    sock = await RawSocket.open(url)
    await sock.send("40/visitor,{}")
    frame = ""
    while not frame.startswith("40/visitor,"):
        frame = await sock.recv()
    return sock


@pytest.mark.parametrize(
    ("frame", "joined"),
    [("abc", False), ("42/visitor," + NESTED, True), ("42/visitor,1" + NESTED, True), ("42/visitor,{}", True)],
    ids=["engineio-garbage", "nested", "nested-with-ack-id", "event-not-an-array"],
)
async def test_bad_frames_log_one_short_line_per_connection(server, healthy, caplog, frame, joined):
    caplog.set_level(logging.DEBUG)
    lift_rate_limits(server)  # 200 connections from one address

    async def one() -> None:
        sock = await (open_visitor(server.url) if joined else RawSocket.open(server.url))
        try:
            await sock.send(frame)
            assert await sock.closed(timeout=10)
        finally:
            await sock.close()

    caplog.clear()
    for start in range(0, CONNECTIONS, 20):
        await asyncio.gather(*(one() for _ in range(start, min(start + 20, CONNECTIONS))))
    assert_short_and_clean(transport_lines(caplog), 1, CONNECTIONS)


async def test_many_bad_frames_on_one_connection_log_one_line(server, healthy, caplog):
    caplog.set_level(logging.DEBUG)
    sock = await open_visitor(server.url)
    caplog.clear()
    try:
        for _ in range(CONNECTIONS):
            if sock.ws.closed:
                break
            await sock.send("42/visitor," + NESTED)
        assert await sock.closed(timeout=10)
    finally:
        await sock.close()
    assert_short_and_clean(transport_lines(caplog), 1, 1)


@pytest.mark.parametrize(
    "body",
    [b"abc", b"42/visitor," + NESTED.encode(), ("\x1e".join(["42/visitor," + "[" * 2000] * 30)).encode()],
    ids=["engineio-garbage", "nested", "many-nested-packets"],
)
async def test_bad_polling_bodies_log_one_short_line_per_session(server, healthy, caplog, body):
    caplog.set_level(logging.DEBUG)
    lift_rate_limits(server)
    caplog.clear()
    async with aiohttp.ClientSession() as http:
        for _ in range(50):
            poll = await RawPolling.open(http, server.url)
            assert await poll.post(body) in (200, 400)
            assert await poll.get(timeout=2) in (["1"], ["HTTP 400"])
    assert_short_and_clean(transport_lines(caplog), 1, 50)


def write_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, path parameters filled in."""
    out = []
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        if not path or path.startswith("/socket.io"):
            continue
        for route in resource:
            if route.method in ("POST", "PUT", "PATCH", "DELETE"):
                filled = path
                for name in ("staff_id", "id", "locale"):
                    filled = filled.replace("{" + name + "}", "sv" if name == "locale" else "abc-1")
                out.append((route.method, filled))
    # Logging out ends the session the later requests need.
    return sorted(out, key=lambda route: route[1] == "/api/logout")


async def test_deeply_nested_json_on_every_route_is_invalid_not_500(server):
    routes = write_routes(server.app)
    assert ("POST", "/api/login") in routes and ("POST", "/api/setup/begin") in routes
    body = "[" * 16000
    admin = await server.create_staff("admin")

    async def send_all(headers: dict[str, str]) -> list[tuple[str, str, int, Any]]:
        answers = []
        async with aiohttp.ClientSession() as http:
            for method, path in routes:
                async with http.request(method, server.url + path, data=body, headers=headers) as resp:
                    payload = await resp.json() if resp.content_type == "application/json" else await resp.text()
                    answers.append((method, path, resp.status, payload))
        return answers

    # First as nobody (the first-run setup routes read bodies then), then as an admin
    # with a valid CSRF token, so every handler gets as far as reading the body.
    anonymous = await send_all({"Content-Type": "application/json"})
    session = await login(server.url, admin)
    signed_in = await send_all(
        {"Content-Type": "application/json", "Cookie": session.cookie, "X-CSRF-Token": session.csrf}
    )
    for method, path, status, payload in anonymous + signed_in:
        assert status < 500, (method, path, status, payload)
        if status == 400:
            assert payload["error"]["code"] == "invalid", (method, path, payload)
    # The body is really read (and refused) on the routes that take one.
    reached = {(m, p) for m, p, status, _ in anonymous + signed_in if status == 400}
    assert {("POST", "/api/login"), ("POST", "/api/setup/begin"), ("PUT", "/api/admin/hours")} <= reached, reached


async def test_an_unexpected_handler_error_is_500_internal_and_one_line(tmp_path, caplog):
    # A route that fails the way a bug would, with client data in the exception.
    caplog.set_level(logging.DEBUG)

    async def broken(request: web.Request) -> web.Response:
        raise KeyError(await request.text())

    app = create_app(make_settings(tmp_path))
    app.router.add_post("/api/test-broken", broken)
    runner = web.AppRunner(app, access_log_class=PrivacyAccessLogger)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        caplog.clear()
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/api/test-broken", data="zqxj-probe-body") as resp:
                assert resp.status == 500
                assert (await resp.json())["error"]["code"] == "internal"
    finally:
        await runner.cleanup()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "zqxj" not in text and "127.0.0.1" not in text, text
    line = broken.__code__.co_firstlineno + 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"unexpected error in POST /api/test-broken: KeyError at test_garbage_logs.py:{line}")
