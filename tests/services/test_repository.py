"""services/repository.py: the compare-and-set every change goes through, on the memory
store and on a real Redis shared by two repositories (two processes)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chat_server.security.crypto import KeyRing
from chat_server.services.cas import MAX_ATTEMPTS
from chat_server.services.domain import Conversation, VisitorSession
from chat_server.services.errors import ServiceError
from chat_server.services.repository import Repository
from chat_server.storage.memory import MemoryEphemeral
from chat_server.storage.redis_ephemeral import RedisEphemeral

from .conftest import service_settings


def conversation(cid: str = "c1") -> Conversation:
    return Conversation(
        id=cid,
        state="waiting",
        created_at=1_000,
        waiting_since=1_000,
        locale="sv",
        audience="self",
        pseudonym="K7M2",
        session_key="k",
    )


@pytest.fixture(params=["memory", "redis"])
async def repositories(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Repository, Repository]]:
    """Two repositories on one store: the same object in memory, two clients (as two
    processes would have) on Redis."""
    settings = service_settings(tmp_path)
    keyring = KeyRing(settings.secret_key.reveal())
    stores: list[Any]
    if request.param == "memory":
        stores = [MemoryEphemeral()] * 2
    else:
        redis_server = request.getfixturevalue("redis_server")
        prefix = f"t{secrets.token_hex(4)}:"
        stores = [RedisEphemeral(redis_server.url, prefix=prefix), RedisEphemeral(redis_server.url, prefix=prefix)]
    yield Repository(stores[0], keyring, settings), Repository(stores[1], keyring, settings)
    for store in {id(s): s for s in stores}.values():
        await store.close()


async def test_concurrent_changes_from_two_writers_are_all_kept(repositories: tuple[Repository, Repository]) -> None:
    one, two = repositories
    await one.create(conversation())

    def add(kind: str) -> Any:
        return lambda c: replace(c, referral_types=(*c.referral_types, kind))

    kinds = [f"k{i}" for i in range(80)]
    await asyncio.gather(*((one if i % 2 else two).change("c1", add(k)) for i, k in enumerate(kinds)))
    final = await one.get("c1")
    assert final is not None
    assert sorted(final.referral_types) == sorted(kinds)  # none lost
    assert final.version == len(kinds)  # one write each
    assert len(one._turns) == len(two._turns) == 0  # no lock outlives its writers


async def test_change_returns_before_and_after_and_refusals_write_nothing(
    repositories: tuple[Repository, Repository],
) -> None:
    repo, _ = repositories
    await repo.create(conversation())
    changed = await repo.change("c1", lambda c: replace(c, state="active", operator_id="s1"))
    assert changed is not None and changed.before.state == "waiting" and changed.after.state == "active"
    assert changed.after.version == 1
    assert await repo.change("c1", lambda c: None) is None
    assert await repo.change("missing", lambda c: c) is None

    def refuse(c: Conversation) -> Conversation:
        raise ServiceError("conflict", "no")

    with pytest.raises(ServiceError):
        await repo.change("c1", refuse)
    assert (await repo.get("c1")).version == 1  # type: ignore[union-attr]


async def test_a_record_written_before_versions_existed_can_be_changed(
    repositories: tuple[Repository, Repository],
) -> None:
    repo, _ = repositories
    record = conversation().to_record()
    del record["version"], record["invited_ids"]
    await repo._eph.put("conv", "c1", record, 60)  # as an older release wrote it
    changed = await repo.change("c1", lambda c: replace(c, urgent=True))
    assert changed is not None and changed.before.version == 0 and changed.after.version == 1
    assert (await repo.get("c1")).urgent  # type: ignore[union-attr]


async def test_a_writer_that_always_loses_gives_up_with_conflict(tmp_path: Path) -> None:
    settings = service_settings(tmp_path)
    eph = MemoryEphemeral()
    repo = Repository(eph, KeyRing(settings.secret_key.reveal()), settings)
    await repo.create(conversation())
    calls = 0

    def meddle(c: Conversation) -> Conversation:
        # Another writer gets in between this read and its write, every time. (The
        # memory store's own operations never yield; this stands for a slow process.)
        nonlocal calls
        calls += 1
        record = eph._records[("conv", "c1")]
        eph._records[("conv", "c1")] = (record[0], {**record[1], "version": record[1].get("version", 0) + 1})
        return replace(c, urgent=True)

    with pytest.raises(ServiceError) as gave_up:
        await repo.change("c1", meddle)
    assert gave_up.value.code == "conflict" and calls == MAX_ATTEMPTS


async def test_a_session_detach_never_clears_a_newer_conversation(
    repositories: tuple[Repository, Repository],
) -> None:
    repo, other = repositories
    sess = VisitorSession(repo.session_key("token"), "token", "K7M2", "sv", "old")
    await repo.create_session(sess, 60)
    bound = await other.change_session(sess, lambda s: replace(s, conversation_id="new"))
    assert bound is not None and bound.version == 1
    await repo.detach_session(sess.key, "old")  # the old conversation ends late
    found = await repo.find_session("token")
    assert found is not None and found.conversation_id == "new"
    await repo.detach_session(sess.key, "new")
    assert (await repo.find_session("token")).conversation_id is None  # type: ignore[union-attr]
