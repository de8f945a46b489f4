"""What a client may not decide: forwarded headers count only behind a trusted proxy
(``CHAT_TRUST_PROXY``), Engine.IO's same-origin check included; static routes refuse
dot segments, sent raw (a client library would normalise them away)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from .raw import EIO
from .test_headers_origins import csp_directives, polling_handshake, websocket_handshake

FOREIGN_HOST = "evil.example"


async def raw_get(base: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request with ``target`` sent byte for byte as given."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), found, body


@pytest.mark.parametrize(
    "target",
    [
        "/widget/../console/index.html",
        "/widget/../console/",
        "/widget/./index.html",
        "/widget/%2e%2e/console/index.html",
        "/widget/.%2e/console/index.html",
        "/demo/../console/index.html",
        "/console/../widget/index.html",
        "/widget/..",
        "/widget/.hidden",
    ],
)
async def test_static_routes_refuse_dot_segments(server, target):
    status, headers, body = await raw_get(server.url, target)
    assert status == 404, (target, status)
    assert b"<html" not in body.lower()
    # Whatever the answer, it never carries the widget's framing policy for a console file.
    assert csp_directives(headers.get("content-security-policy", "")).get("frame-ancestors", "'none'") in (
        "'none'",
        "'self'",
    )


async def test_plain_static_paths_still_work(server):
    for target in ("/widget/", "/widget/index.html", "/console/", "/demo/"):
        status, headers, body = await raw_get(server.url, target)
        assert status == 200 and b"<html" in body.lower(), target


async def test_forwarded_host_does_not_make_a_foreign_origin_ours(server):
    # CHAT_PUBLIC_URL unset and CHAT_TRUST_PROXY off: Engine.IO's own check would allow
    # any Origin that matches a client-sent X-Forwarded-Host.
    evil = f"http://{FOREIGN_HOST}"
    headers = {"Origin": evil, "X-Forwarded-Host": FOREIGN_HOST}
    status, _, _ = await raw_get(server.url, EIO + "&transport=polling", headers)
    assert status == 400
    headers = {"Origin": "https://" + urlsplit(server.url).netloc, "X-Forwarded-Proto": "https"}
    status, _, _ = await raw_get(server.url, EIO + "&transport=polling", headers)
    assert status == 400
    assert await polling_handshake(server.url, server.url) == 200
    assert await websocket_handshake(server.url, server.url)


async def test_a_trusted_proxy_may_say_https(server_factory):
    proxied = await server_factory(trust_proxy=True)
    netloc = urlsplit(proxied.url).netloc
    status, _, _ = await raw_get(
        proxied.url, EIO + "&transport=polling", {"Origin": f"https://{netloc}", "X-Forwarded-Proto": "https"}
    )
    assert status == 200
    # ...but not name another host: the Host header (set by the proxy) decides.
    status, _, _ = await raw_get(
        proxied.url,
        EIO + "&transport=polling",
        {"Origin": f"http://{FOREIGN_HOST}", "X-Forwarded-Host": FOREIGN_HOST},
    )
    assert status == 400


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(server, server_factory):
    """A client cannot pick its rate-limit key by sending X-Forwarded-For."""
    from chat_server.transport import keys as K
    from chat_server.transport.client_info import request_address_key

    class Req:
        def __init__(self, headers: dict[str, str], remote: str = "127.0.0.1") -> None:
            self.headers = headers
            self.remote = remote

    hasher = server.app[K.HASHER]
    spoofed: object = Req({"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"})
    plain: object = Req({})
    assert request_address_key(spoofed, False, hasher) == request_address_key(plain, False, hasher)  # type: ignore[arg-type]
    assert request_address_key(spoofed, True, hasher) != request_address_key(plain, True, hasher)  # type: ignore[arg-type]
