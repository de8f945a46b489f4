"""Storage backends chosen by URL: ``memory://``, ``redis://…``, ``sqlite:///path``."""

from __future__ import annotations

from .base import Conflict, Durable, Ephemeral, StoreUnavailable

__all__ = ["Conflict", "Durable", "Ephemeral", "StoreUnavailable", "open_durable", "open_ephemeral"]


def open_ephemeral(url: str) -> Ephemeral:
    if url.startswith("memory://"):
        from .memory import MemoryEphemeral

        return MemoryEphemeral()
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Imported lazily: the embedded mode never needs a Redis client.
        from .redis_ephemeral import RedisEphemeral

        return RedisEphemeral(url)
    raise ValueError(f"unsupported ephemeral store URL scheme: {url.split(':', 1)[0]}")


def open_durable(url: str) -> Durable:
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteDurable

        return SqliteDurable(url[len("sqlite:///") :])
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis_durable import RedisDurable

        return RedisDurable(url)
    raise ValueError(f"unsupported durable store URL scheme: {url.split(':', 1)[0]}")
