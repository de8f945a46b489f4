"""Security headers on every answer, and the Origin policy of the Socket.IO handshake.

Design (see docs/threat-model.md): the widget iframe and the console are served from
the chat server's own origin, so both namespaces accept only same-origin browsers
(and non-browser clients, which send no Origin). CHAT_ALLOWED_ORIGINS names the host
websites that may *frame* /widget/ (CSP frame-ancestors); a host site never opens a
socket itself, so its Origin is refused at the handshake like any other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest

from .raw import EIO

HOST_SITE = "https://kommun.example"
FOREIGN = "https://evil.example"
STATIC = Path(__file__).resolve().parents[2] / "chat_server" / "static"

ROUTES = [
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/widget.js"),
    ("GET", "/widget"),
    ("GET", "/widget/"),
    ("GET", "/widget/app.js"),
    ("GET", "/widget/nope.js"),
    ("GET", "/widget/../console/"),
    ("GET", "/console/"),
    ("GET", "/demo/"),
    ("GET", "/i18n/locales.json"),
    ("GET", "/i18n/sv.json"),
    ("GET", "/i18n/xx.json"),
    ("GET", "/metrics"),
    ("GET", "/api/me"),
    ("POST", "/api/login"),
    ("POST", "/api/logout"),
    ("GET", "/no/such/page"),
    ("DELETE", "/healthz"),
    ("GET", "/socket.io/?EIO=4&transport=polling"),
    ("GET", "/socket.io/?EIO=3&transport=polling"),
    ("GET", "/socket.io/?EIO=4&transport=polling&sid=unknown"),
]


def csp_directives(value: str) -> dict[str, str]:
    out = {}
    for part in value.split(";"):
        words = part.strip().split(None, 1)
        if words:
            out[words[0]] = words[1] if len(words) > 1 else ""
    return out


@pytest.fixture
async def hosted(server_factory):
    return await server_factory(allowed_origins=(HOST_SITE,))


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_answer_carries_the_security_headers(hosted, method, path):
    async with aiohttp.ClientSession() as http:
        async with http.request(method, hosted.url + path, allow_redirects=False) as resp:
            h = resp.headers
            csp = csp_directives(h.get("Content-Security-Policy", ""))
            assert csp, (path, resp.status, dict(h))
            assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
            assert "'unsafe-inline'" not in csp.get("script-src", "") and "'unsafe-eval'" not in csp.get(
                "script-src", ""
            )
            assert csp["script-src"] == "'self'" and csp["default-src"] == "'self'"
            assert h["X-Content-Type-Options"] == "nosniff"
            assert h["Referrer-Policy"] == "no-referrer"
            assert "Strict-Transport-Security" not in h  # plain http on 127.0.0.1
            if resp.url.path.startswith("/widget/") and path.startswith("/widget/"):
                assert csp["frame-ancestors"].split() == ["'self'", HOST_SITE]
                assert "X-Frame-Options" not in h
            else:
                assert csp["frame-ancestors"] == "'none'"
                assert h["X-Frame-Options"] == "DENY"


async def test_hsts_behind_tls(server_factory):
    tls = await server_factory(public_url="https://chat.example")
    proxied = await server_factory(trust_proxy=True)
    async with aiohttp.ClientSession() as http:
        for path in ("/healthz", "/no/such/page", "/socket.io/?EIO=4&transport=polling"):
            async with http.get(tls.url + path) as resp:
                assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        async with http.get(proxied.url + "/healthz", headers={"X-Forwarded-Proto": "https"}) as resp:
            assert "Strict-Transport-Security" in resp.headers
        async with http.get(proxied.url + "/healthz") as resp:
            assert "Strict-Transport-Security" not in resp.headers


def test_built_pages_have_no_inline_script():
    pages = sorted(STATIC.glob("**/*.html"))
    if not pages:
        pytest.skip("front ends not built")
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html, re.I):
            assert re.search(r"\bsrc=", tag), f"{page}: inline script {tag}"
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html, re.I), f"{page}: script with a body"
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"{page}: inline event handler"
        assert "javascript:" not in html.lower(), page
        assert not re.search(r"<style\b", html, re.I) and not re.search(r"\sstyle\s*=", html, re.I), (
            f"{page}: inline style (the CSP has no 'unsafe-inline')"
        )


# --- Origin at the Socket.IO handshake -------------------------------------------------
async def polling_handshake(base: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as http:
        async with http.get(base + EIO + "&transport=polling", headers=headers) as resp:
            return resp.status


async def websocket_handshake(base: str, origin: str | None) -> bool:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as http:
        try:
            ws = await http.ws_connect(base.replace("http", "ws", 1) + EIO + "&transport=websocket", headers=headers)
        except aiohttp.WSServerHandshakeError:
            return False
        try:
            msg = await ws.receive(timeout=5)
            return msg.type == aiohttp.WSMsgType.TEXT and str(msg.data).startswith("0")
        finally:
            await ws.close()


async def test_foreign_origins_are_refused_at_the_handshake(hosted, healthy):
    own = hosted.url
    for origin in (
        FOREIGN,
        HOST_SITE,
        "null",
        own.replace("127.0.0.1", "localhost"),
        own + ".evil.example",
    ):
        assert await polling_handshake(own, origin) == 400, origin
        assert not await websocket_handshake(own, origin), origin
    assert await polling_handshake(own, own) == 200
    assert await websocket_handshake(own, own)
    assert await polling_handshake(own, None) == 200  # not a browser


async def test_foreign_origin_refused_for_both_namespaces_and_mid_session(hosted):
    """Engine.IO checks the Origin of every request, not only the first: a polling
    session opened without an Origin cannot be driven by a foreign page."""
    async with aiohttp.ClientSession() as http:
        async with http.get(hosted.url + EIO + "&transport=polling") as resp:
            sid = json.loads((await resp.text())[1:])["sid"]
        for ns in ("/visitor", "/operator"):
            async with http.post(
                hosted.url + EIO + f"&transport=polling&sid={sid}",
                data=f"40{ns},{{}}",
                headers={"Origin": FOREIGN},
            ) as resp:
                assert resp.status == 400


async def test_public_url_decides_the_own_origin(server_factory):
    live = await server_factory(public_url="https://chat.example")
    assert await polling_handshake(live.url, "https://chat.example") == 200
    assert await polling_handshake(live.url, live.url) == 400  # Host header is not trusted then
    assert await polling_handshake(live.url, FOREIGN) == 400


async def test_handshake_answers_grant_no_credentials_cross_origin(hosted):
    async with aiohttp.ClientSession() as http:
        async with http.get(hosted.url + EIO + "&transport=polling", headers={"Origin": hosted.url}) as resp:
            assert resp.headers.get("Access-Control-Allow-Origin") == hosted.url
            assert "Access-Control-Allow-Credentials" not in resp.headers
        async with http.get(hosted.url + EIO + "&transport=polling", headers={"Origin": FOREIGN}) as resp:
            assert resp.headers.get("Access-Control-Allow-Origin") in (None, hosted.url)


async def test_operator_socket_with_a_valid_cookie_but_foreign_origin_is_refused(server, operator):
    _, session = await operator()
    headers = {"Cookie": session.cookie, "Origin": FOREIGN}
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(server.url.replace("http", "ws", 1) + EIO + "&transport=websocket", headers=headers)


async def test_every_registered_route_carries_the_headers(hosted):
    """Whatever routes the features add, each answer (even a refusal) has the headers."""
    seen = 0
    async with aiohttp.ClientSession() as http:
        for route in hosted.app.router.routes():
            info = route.resource.get_info() if route.resource is not None else {}
            path = info.get("path") or info.get("formatter")
            if not path or route.method == "HEAD":
                continue
            path = re.sub(r"\{[^}]+\}", "x", path)
            method = "GET" if route.method == "*" else route.method
            async with http.request(method, hosted.url + path, allow_redirects=False) as resp:
                csp = csp_directives(resp.headers.get("Content-Security-Policy", ""))
                assert csp.get("object-src") == "'none'", (method, path, resp.status)
                assert resp.headers.get("X-Content-Type-Options") == "nosniff", (method, path)
                assert resp.headers.get("Referrer-Policy") == "no-referrer", (method, path)
                seen += 1
    assert seen >= 20
