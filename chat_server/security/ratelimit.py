"""Rate limiting that never stores who someone is.

Addresses are only ever used as input to HMAC under a key that lives only in memory and
is replaced every day, so a bucket key cannot be turned back into an address, not even by
someone who later reads memory or the store: yesterday's key is gone. In scale-out mode
the day's key is shared through the ephemeral store (a Redis without persistence, so
still memory only) so that every node computes the same key for the same address: a
block or a login throttle then holds on every node. Buckets live in memory; sticky
routing keeps a visitor on one process.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: IPv6 prefix length that is one subscriber: RFC 6177 and RIPE-690 hand every end
#: site at least a /64 (usually /56 or /48), so within a /64 one visitor can use as
#: many addresses as they like (SLAAC privacy addresses, RFC 8981).
DEFAULT_IPV6_PREFIX = 64


def limit_subject(address: str, ipv6_prefix: int = DEFAULT_IPV6_PREFIX) -> str:
    """The part of a client address that rate limits and blocks are keyed by.

    * IPv4 ``"192.0.2.7"`` -> ``"192.0.2.7"``; with a port (``"192.0.2.7:5000"``, some
      proxies write it) the port is dropped;
    * an IPv4-mapped IPv6 address (``"::ffff:192.0.2.7"``, a dual-stack socket) is the
      IPv4 address it maps (RFC 4291 2.5.5.2);
    * any other IPv6 address -> its network of ``ipv6_prefix`` bits, e.g.
      ``"2001:db8:1:2::/64"`` (brackets, a port and a zone ``%eth0`` are ignored);
    * anything else (``"unknown"``, a Unix socket peer) is returned unchanged.

    The result only ever goes into the keyed hash (``DailyKeyedHasher.address_key``).
    """
    text = address.strip()
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # "192.0.2.7:5000"
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.IPv6Network((ip, ipv6_prefix), strict=False))
    return str(ip)


class DailyKeyedHasher:
    """HMAC(value, key that rotates daily and lives only in memory)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        pepper: bytes = b"",
        ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
    ) -> None:
        self._clock = clock
        self.ipv6_prefix = ipv6_prefix
        self._day = -1
        self._key = b""
        self._shared = False
        # From the deployment secret (app.py): the shared record is only a seed, and the
        # day's key is HMAC(pepper, seed). A dump of the ephemeral store alone then does
        # not let anyone test guessed addresses (IPv4 is small) against the address keys
        # kept there (blocks, login throttles).
        self._pepper = pepper

    def _current_key(self) -> bytes:
        day = int(self._clock() // 86400)
        if day != self._day:
            # Until the next sync, a fresh local key (the sweeper syncs every few seconds).
            self._day, self._key, self._shared = day, secrets.token_bytes(32), False
        return self._key

    async def sync(self, eph: Any) -> None:
        """Adopt the day's key shared in the ephemeral store (create it if first).

        Called at start and by the sweeper; the record expires ten minutes after its day."""
        day = int(self._clock() // 86400)
        if day == self._day and self._shared:
            return
        # The first node to propose a key wins; the others adopt it.
        # Kept only until shortly after the day ends: yesterday's seed must be gone.
        ttl = int((day + 1) * 86400 - self._clock()) + 600
        await eph.add("ratekey", str(day), {"k": secrets.token_hex(32)}, ttl)
        record = await eph.get("ratekey", str(day))
        if record is not None:
            seed = bytes.fromhex(record["k"])
            key = hmac.new(self._pepper, b"rate-limit-key:" + seed, hashlib.sha256).digest() if self._pepper else seed
            self._day, self._key, self._shared = day, key, True

    def __call__(self, value: str) -> str:
        return hmac.new(self._current_key(), value.encode(), hashlib.sha256).hexdigest()[:32]

    def address_key(self, address: str) -> str:
        """The rate-limit and block key of a client address: the keyed hash of its
        IPv4 address or IPv6 network (``limit_subject``), so that the addresses of one
        IPv6 subscriber share their limits and a block."""
        return self(limit_subject(address, self.ipv6_prefix))


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets by key: ``rate`` tokens per second, up to ``burst``."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._last_prune = clock()

    def take(self, key: str, cost: float = 1.0) -> bool:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if now - self._last_prune > 60:
            self._prune(now)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return True
        return False

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _prune(self, now: float) -> None:
        # A bucket that would be full again carries no information: drop it.
        full_after = self.burst / self.rate if self.rate else float("inf")
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full_after}
        self._last_prune = now


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
