"""Service-level tests: the services built exactly as the server builds them
(``build_services``), on the real memory store and a real SQLite file, with one fake:
:class:`RecordingEvents`, which records every emit so a test can assert who received
what. Nothing else is replaced.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chat_server.config import Secret, Settings, load_settings
from chat_server.i18n import Catalogs
from chat_server.security.crypto import KeyRing
from chat_server.services.container import Services, build_services
from chat_server.services.domain import Staff, VisitorSession
from chat_server.services.events import Payload
from chat_server.services.observer import Observer
from chat_server.services.starting import StartRequest
from chat_server.storage.memory import MemoryEphemeral
from chat_server.storage.redis_ephemeral import RedisEphemeral
from chat_server.storage.sqlite import SqliteDurable

CATALOGS = Catalogs()


@dataclass(frozen=True)
class Sent:
    """One emit: to ``("visitor", conversation id)``, ``("staff", staff id)``,
    ``("watchers", centre)`` or, closing it, ``("socket", console socket id)``."""

    to: tuple[str, str]
    event: str
    payload: Payload


@dataclass
class RecordingEvents:
    """The one fake of tests/services: an ``Events`` that remembers what was sent."""

    sent: list[Sent] = field(default_factory=list)

    async def to_visitor(self, conversation_id: str, event: str, payload: Payload) -> None:
        self.sent.append(Sent(("visitor", conversation_id), event, payload))

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None:
        self.sent.append(Sent(("staff", staff_id), event, payload))

    async def to_queue_watchers(self, centre: str, event: str, payload: Payload) -> None:
        self.sent.append(Sent(("watchers", centre), event, payload))

    async def end_staff_socket(self, sid: str, event: str, payload: Payload) -> None:
        self.sent.append(Sent(("socket", sid), event, payload))

    def clear(self) -> None:
        self.sent.clear()

    def of(self, event: str) -> list[Sent]:
        return [s for s in self.sent if s.event == event]

    def recipients(self, event: str, where: Any = None) -> set[tuple[str, str]]:
        """Who received ``event`` (optionally only payloads for which ``where`` holds)."""
        return {s.to for s in self.of(event) if where is None or where(s.payload)}

    def payloads(self, event: str, to: tuple[str, str]) -> list[Payload]:
        return [s.payload for s in self.of(event) if s.to == to]


class CountingObserver(Observer):
    def __init__(self) -> None:
        self.ended: list[str] = []
        self.relayed: list[str] = []

    def conversation_ended(self, reason: str) -> None:
        self.ended.append(reason)

    def message_relayed(self, sender: str) -> None:
        self.relayed.append(sender)


@dataclass
class World:
    """The services under test, their fake events, and helpers to set a scene."""

    services: Services
    events: RecordingEvents
    observer: CountingObserver
    eph: Any  # MemoryEphemeral, or RedisEphemeral (``redis_pair``)

    async def staff(self, role: str = "operator", name: str | None = None, languages: list[str] | None = None) -> Staff:
        n = secrets.token_hex(3)
        account, _ = await self.services.staff.create(
            f"{role}-{n}", name or f"Sara {n}", role, "correct horse battery " + n, None, "sv", languages or ["sv"]
        )
        return Staff(account["id"], account["name"], account["role"], account["locale"])

    async def on_duty(self, staff: Staff) -> Staff:
        self.services.presence.consoles.opened("sid-" + staff.id)
        await self.services.router.do_operator_connected(staff, "sid-" + staff.id)
        await self.services.queue.do_set_duty(staff, True, None)
        return staff

    async def visitor(self, locale: str = "sv") -> VisitorSession:
        sess, _ = await self.services.sessions.open(None, locale, None)
        return sess

    async def start(
        self, sess: VisitorSession | None = None, address_key: str = "", **params: Any
    ) -> tuple[VisitorSession, str]:
        """A visitor with a waiting conversation: (session, conversation id). Their
        socket (``vsid-`` and the start of the session key) is connected to this
        process, from ``address_key`` (default: one of their own)."""
        sess = sess or await self.visitor()
        sid = visitor_sid(sess)
        key = address_key or "key-" + sess.key[:8]
        self.services.addresses.remember(sid, key)

        async def attach(_cid: str) -> None:
            return None

        request = StartRequest(**{"audience": "self", **params})
        sess, brief, announce = await self.services.starts.do_start(sess, request, attach, sid, key)
        await announce()
        return sess, brief["id"]

    async def active(self, operator: Staff, **params: Any) -> tuple[VisitorSession, str]:
        """A visitor whose conversation ``operator`` has accepted."""
        sess, cid = await self.start(**params)
        await self.services.lifecycle.do_accept(operator, cid)
        return sess, cid


def service_settings(tmp_path: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "secret_key": Secret(secrets.token_urlsafe(32)),
        "routing_mode": "pick",  # offers are tested on their own (test_router.py)
    }
    return load_settings(env={}, **{**base, **overrides})


async def make_world(
    tmp_path: Path,
    *,
    eph: Any = None,
    durable: SqliteDurable | None = None,
    settings: Settings | None = None,
    node_id: str | None = None,
    **overrides: Any,
) -> tuple[World, SqliteDurable]:
    """A world on the memory store, or on the given stores and settings (another
    "process" of a deployment: its own services, events and node id)."""
    settings = settings or service_settings(tmp_path, **overrides)
    if durable is None:
        durable = SqliteDurable(tmp_path / "rc.sqlite3")
        await durable.open()
    eph = eph if eph is not None else MemoryEphemeral()
    events = RecordingEvents()
    observer = CountingObserver()
    services = build_services(
        settings,
        ephemeral=eph,
        durable=durable,
        keyring=KeyRing(settings.secret_key.reveal()),
        events=events,
        translate=CATALOGS,
        observer=observer,
        node_id=node_id,
    )
    await services.presence.heartbeat()
    return World(services, events, observer, eph), durable


@pytest.fixture
async def redis_pair(tmp_path: Path, redis_server: Any) -> AsyncIterator[Any]:
    """A factory of two "processes" of one deployment: two ``build_services`` on one
    real Redis (a key prefix of the test's own), each with its own recording events,
    node id and sockets, sharing one durable store. ``await redis_pair(**settings)``."""
    made: list[tuple[Any, SqliteDurable]] = []

    async def factory(**overrides: Any) -> tuple[World, World]:
        folder = tmp_path / f"pair{len(made)}"
        folder.mkdir()
        settings = service_settings(folder, **overrides)
        prefix = f"t{secrets.token_hex(4)}:"
        stores = [RedisEphemeral(redis_server.url, prefix=prefix) for _ in range(2)]
        one, durable = await make_world(folder, eph=stores[0], settings=settings, node_id="node-a")
        two, _ = await make_world(folder, eph=stores[1], durable=durable, settings=settings, node_id="node-b")
        made.extend([(stores[0], durable), (stores[1], durable)])
        return one, two

    yield factory
    for store, durable in made:
        await store.close()
    for durable in {id(d): d for _, d in made}.values():
        await durable.close()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built, durable = await make_world(tmp_path)
    yield built
    await durable.close()


def visitor_sid(sess: VisitorSession) -> str:
    """The socket :meth:`World.start` gives a visitor."""
    return "vsid-" + sess.key[:8]


def visitor_of(cid: str) -> tuple[str, str]:
    return ("visitor", cid)


def staff_of(staff: Staff) -> tuple[str, str]:
    return ("staff", staff.id)


@pytest.fixture
async def world_factory(tmp_path: Path) -> AsyncIterator[Any]:
    """Worlds with other settings (e.g. a grace period of 0)."""
    made: list[SqliteDurable] = []

    async def factory(**overrides: Any) -> World:
        folder = tmp_path / f"w{len(made)}"
        folder.mkdir()
        built, durable = await make_world(folder, **overrides)
        made.append(durable)
        return built

    yield factory
    for durable in made:
        await durable.close()
