"""What the transport may learn from a request, reduced at once to what it needs.

The address is only ever turned into a rate-limit key (HMAC under a daily in-memory
key, of the IPv4 address or the IPv6 network: ``security.ratelimit.limit_subject``); it
is never returned, stored or logged.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..security.ratelimit import DailyKeyedHasher


def remote_address(request: web.Request | None, trust_proxy: bool) -> str:
    if request is None:
        return "unknown"
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            # The proxy appends the peer it saw; take the address nearest to it.
            return forwarded.split(",")[-1].strip()
        real = request.headers.get("X-Real-IP")
        if real:
            return real.strip()
    return request.remote or "unknown"


def address_key(environ: dict[str, Any], trust_proxy: bool, hasher: DailyKeyedHasher) -> str:
    return hasher.address_key(remote_address(environ.get("aiohttp.request"), trust_proxy))


def request_address_key(request: web.Request, trust_proxy: bool, hasher: DailyKeyedHasher) -> str:
    return hasher.address_key(remote_address(request, trust_proxy))
