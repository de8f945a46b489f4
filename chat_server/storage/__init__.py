"""Storage backends chosen by URL: ``memory://``, ``sqlite:///path``, and Redis:
``redis://…``, ``rediss://…``, ``unix://…`` or, behind Redis Sentinel,
``redis+sentinel://…`` and ``rediss+sentinel://…`` (storage/redis_url.py)."""

from __future__ import annotations

from .base import Conflict, Durable, Ephemeral, StoreUnavailable
from .redis_url import is_redis_url

__all__ = [
    "Conflict",
    "Durable",
    "Ephemeral",
    "StoreUnavailable",
    "is_redis_url",
    "open_durable",
    "open_ephemeral",
]


def open_ephemeral(url: str, *, wait_replicas: int = 0, wait_timeout_ms: int = 100) -> Ephemeral:
    """The ephemeral store for ``url``. ``wait_replicas``/``wait_timeout_ms``: Redis
    only, how many replicas must confirm each write before it counts as done
    (storage/redis_client.py AutoPipeline). Raises ValueError for an unknown scheme or
    a malformed Redis URL."""
    if url.startswith("memory://"):
        from .memory import MemoryEphemeral

        return MemoryEphemeral()
    if is_redis_url(url):
        # Imported lazily: the embedded mode never needs a Redis client.
        from .redis_ephemeral import RedisEphemeral

        return RedisEphemeral(url, wait_replicas=wait_replicas, wait_timeout_ms=wait_timeout_ms)
    raise ValueError(f"unsupported ephemeral store URL scheme: {url.split(':', 1)[0]}")


def open_durable(url: str) -> Durable:
    """The durable store for ``url``. Raises ValueError for an unknown scheme or a
    malformed Redis URL."""
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteDurable

        return SqliteDurable(url[len("sqlite:///") :])
    if is_redis_url(url):
        from .redis_durable import RedisDurable

        return RedisDurable(url)
    raise ValueError(f"unsupported durable store URL scheme: {url.split(':', 1)[0]}")
