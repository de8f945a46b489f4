"""Every storage backend runs the same contract suite (memory and Redis for the
ephemeral store, SQLite and Redis for the durable one)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chat_server.storage.memory import MemoryEphemeral
from chat_server.storage.redis_durable import RedisDurable
from chat_server.storage.redis_ephemeral import RedisEphemeral
from chat_server.storage.sqlite import SqliteDurable


@pytest.fixture(params=["memory", "redis"])
async def ephemeral(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        store: Any = MemoryEphemeral()
    else:
        redis_server = request.getfixturevalue("redis_server")
        store = RedisEphemeral(redis_server.url, prefix=f"t{secrets.token_hex(4)}:")
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", "redis"])
async def durable(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Any]:
    if request.param == "sqlite":
        store: Any = SqliteDurable(tmp_path / "rc.sqlite3")
    else:
        redis_server = request.getfixturevalue("redis_server")
        store = RedisDurable(redis_server.url_db(1), prefix=f"t{secrets.token_hex(4)}:")
    await store.open()
    yield store
    await store.close()
