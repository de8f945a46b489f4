"""Staff sessions as the console relies on them: HttpOnly/SameSite cookie, CSRF on
logout, logout ends the session (HTTP and socket), idle timeout and absolute lifetime."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import socketio

from ..helpers import login


async def test_cookie_flags_logout_and_csrf(server) -> None:
    creds = await server.create_staff("operator")
    # unsafe=True: keep cookies for an IP address host (127.0.0.1), as a browser does.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            server.url + "/api/login",
            json={
                "username": creds.username,
                "password": creds.password,
                "totp": creds.next_code(),
            },
        ) as resp:
            assert resp.status == 200
            cookie = resp.headers["Set-Cookie"]
            csrf = (await resp.json())["csrf"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        async with http.post(server.url + "/api/logout") as resp:
            assert resp.status == 403  # no CSRF header
        async with http.post(server.url + "/api/logout", headers={"X-CSRF-Token": csrf}) as resp:
            assert resp.status == 200
        async with http.get(server.url + "/api/me") as resp:
            assert resp.status == 401


@pytest.mark.parametrize("setting", ["session_idle_s", "session_absolute_s"])
async def test_session_expires(server_factory, setting: str) -> None:
    live = await server_factory(**{setting: 1})
    session = await login(live.url, await live.create_staff("operator"))
    async with aiohttp.ClientSession() as http:
        async with http.get(live.url + "/api/me", headers={"Cookie": session.cookie}) as resp:
            assert resp.status == 200
        await asyncio.sleep(1.3)
        async with http.get(live.url + "/api/me", headers={"Cookie": session.cookie}) as resp:
            assert resp.status == 401
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            live.url,
            namespaces=["/operator"],
            headers={"Cookie": session.cookie},
            transports=["websocket"],
            wait_timeout=5,
        )
    await client.disconnect()
