"""The end of a staff session reaches every open console at once, across processes.

Two server processes (two apps, each with its own Redis manager) share one ephemeral
and one durable Redis. An operator is signed in with a console socket on each; they
are on duty, hold an active chat and have a pending offer. Each way a staff session
ends (logout, disabling, a role change, a password or TOTP reset, the idle and the
absolute lifetime) is triggered on process A; the test checks that both consoles get
``session_ended`` with a translated reason and are disconnected within a second, that
a reconnect is refused, that the operator is off duty, their offer withdrawn, their
chat back in the queue with the visitor told, and that the router offers the chats to
a colleague instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from chat_server.i18n import Catalogs
from chat_server.services.revocation import MESSAGES
from tests.conftest import LiveServer, RedisServer, start_redis
from tests.helpers import Recorder, StaffLogin, login

pytestmark = pytest.mark.redis

START = {"audience": "self", "topic": None, "urgent": False, "age_band": None}
CATALOGS = Catalogs()
#: What "at once" means here (the issue's promise): the consoles are closed within it.
AT_ONCE_S = 1.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    d = tmp_path / "redis"
    d.mkdir()
    server = start_redis(d)
    yield server
    server.stop()


@dataclass
class Scene:
    a: LiveServer
    b: LiveServer
    operator: StaffLogin
    consoles: list[Recorder]  # one on each process
    visitor: Recorder  # whose chat the operator took
    visitor_mark: int  # what the visitor had received once the chat was taken
    active_id: str
    offered_id: str


async def two_processes(redis: RedisServer, server_factory: Any, **settings: Any) -> tuple[LiveServer, LiveServer]:
    from chat_server.config import Secret

    overrides = {
        "ephemeral_url": redis.url_db(0),
        "durable_url": redis.url_db(1),
        "secret_key": Secret("test-secret-" + str(redis.port)),
        "routing_mode": "auto",
        "offer_timeout_s": 60,
        **settings,
    }
    return await server_factory(**overrides), await server_factory(**overrides)


async def console_on(server: LiveServer, session: StaffLogin, clients: list[Recorder]) -> Recorder:
    rec = Recorder(server.url, "/operator", headers={"Cookie": session.cookie})
    clients.append(rec)
    await rec.connect()
    await rec.wait_for("session")
    return rec


async def visitor_on(server: LiveServer, clients: list[Recorder]) -> Recorder:
    rec = Recorder(server.url, "/visitor")
    clients.append(rec)
    await rec.connect()
    await rec.wait_for("session")
    return rec


async def set_scene(a: LiveServer, b: LiveServer, clients: list[Recorder], role: str = "operator") -> Scene:
    creds = await a.create_staff(role)
    session = await login(a.url, creds)
    on_b = await console_on(b, session, clients)
    on_a = await console_on(a, session, clients)
    assert (await on_b.call("duty", {"on": True}))["ok"]
    first = await visitor_on(a, clients)
    active_id = (await first.call("start", START))["conversation"]["id"]
    await on_b.wait_for("offer", lambda d: d["conversation"]["id"] == active_id)
    assert (await on_b.call("accept", {"conversation_id": active_id}))["ok"]
    await first.wait_for("message", lambda m: m["from"] == "system")  # "… joined the chat"
    mark = first.mark()
    second = await visitor_on(b, clients)
    offered_id = (await second.call("start", START))["conversation"]["id"]
    await on_b.wait_for("offer", lambda d: d["conversation"]["id"] == offered_id)
    return Scene(a, b, session, [on_b, on_a], first, mark, active_id, offered_id)


async def eventually(read: Any, ok: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not ok(value := await read()):
        assert time.monotonic() < deadline, value
        await asyncio.sleep(0.05)


async def http(server: LiveServer, method: str, path: str, who: StaffLogin, body: Any = None) -> dict[str, Any]:
    headers = {"Cookie": who.cookie, "X-CSRF-Token": who.csrf, "Origin": server.url}
    async with aiohttp.ClientSession() as s, s.request(method, server.url + path, json=body, headers=headers) as r:
        data: dict[str, Any] = await r.json()
        assert r.status == 200, data
        return data


async def closed_within(consoles: list[Recorder], since: float, limit: float = AT_ONCE_S) -> None:
    for console in consoles:
        await asyncio.wait_for(console.disconnected.wait(), 10)
        assert console.disconnected_at is not None
        assert console.disconnected_at - since <= limit, f"closed after {console.disconnected_at - since:.2f} s"


async def check_released(scene: Scene, reason: str, clients: list[Recorder]) -> None:
    """Everything a session's end must do, seen from both processes."""
    message = CATALOGS("sv", MESSAGES[reason])  # type: ignore[index]
    assert message != MESSAGES[reason]  # type: ignore[index]  # in Swedish
    for console in scene.consoles:
        assert console.received("session_ended") == [{"reason": reason, "message": message}]
    staff_id = scene.operator.staff["id"]
    repo = scene.b.repository
    # Released by the process that announced the end before it answered; by a console
    # watcher right after the consoles closed when none did (an expiry).
    await eventually(lambda: repo.duty_of(staff_id), lambda duty: duty is None)
    # The chat is back in the queue and its visitor was told; the offer is gone.
    await scene.visitor.wait_for("state", lambda d: d["state"] == "waiting", after=scene.visitor_mark)
    notice = await scene.visitor.wait_for("message", lambda m: m["from"] == "system", after=scene.visitor_mark)
    assert notice["text"] == CATALOGS(
        "sv", "{name} had to leave. You are back in the queue.", name=scene.operator.staff["name"]
    )
    for cid in (scene.active_id, scene.offered_id):
        conv = await repo.get(cid)
        assert conv is not None and conv.state == "waiting" and conv.operator_id is None
        assert conv.offer is None or conv.offer.staff_id != staff_id
    # A colleague comes on duty on A: both chats are offered to them, never again to
    # the signed-out operator.
    colleague = await console_on(scene.a, await login(scene.a.url, await scene.a.create_staff()), clients)
    assert (await colleague.call("duty", {"on": True}))["ok"]
    for cid in (scene.active_id, scene.offered_id):
        await colleague.wait_for("offer", lambda d, cid=cid: d["conversation"]["id"] == cid)
        conv = await repo.get(cid)
        assert conv is not None and conv.offer is not None and conv.offer.staff_id != staff_id
    # The old cookie opens nothing any more, on either process (the console's "log in
    # again" path).
    for server in (scene.a, scene.b):
        assert await connect_refusal(server, scene.operator.cookie) == "unauthorized"


async def connect_refusal(server: LiveServer, cookie: str) -> str | None:
    """The code a console connecting with ``cookie`` is refused with."""
    client = socketio.AsyncClient(reconnection=False)
    seen: list[Any] = []

    @client.on("connect_error", namespace="/operator")
    async def on_error(data: Any) -> None:
        seen.append(data)

    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.url, namespaces=["/operator"], headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=5
        )
    await client.disconnect()
    return seen[0]["data"]["code"] if seen else None


@pytest.mark.parametrize("trigger", ["logout", "disable", "role", "password", "totp"])
async def test_an_ended_session_closes_its_consoles_on_every_process(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder], trigger: str
) -> None:
    a, b = await two_processes(own_redis, server_factory)
    scene = await set_scene(a, b, clients, "supervisor" if trigger == "role" else "operator")
    staff_id = scene.operator.staff["id"]
    admin = await login(a.url, await a.create_staff("admin"))
    if trigger == "logout":
        await http(a, "POST", "/api/logout", scene.operator)
        reason = "logout"
    elif trigger == "disable":
        await http(a, "PATCH", f"/api/admin/staff/{staff_id}", admin, {"disabled": True})
        reason = "disabled"
    elif trigger == "role":
        await http(a, "PATCH", f"/api/admin/staff/{staff_id}", admin, {"role": "operator"})
        reason = "role_changed"
    elif trigger == "password":
        await http(a, "POST", f"/api/admin/staff/{staff_id}/password", admin, {"password": "a new long passphrase 7"})
        reason = "password_reset"
    else:
        await http(a, "POST", f"/api/admin/staff/{staff_id}/totp", admin)
        reason = "totp_reset"
    # Counted from the answer: the session has ended by then (a password reset first
    # spends a while on argon2).
    await closed_within(scene.consoles, time.monotonic())
    await check_released(scene, reason, clients)


async def test_idle_expiry_closes_the_consoles(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    a, b = await two_processes(own_redis, server_factory, session_idle_s=3)
    scene = await set_scene(a, b, clients)
    last_use = time.monotonic()  # the accept; offers arriving are not use
    # Asked by the console itself (the supervisors' overview, lists): not use either.
    for _ in range(3):
        await asyncio.sleep(0.5)
        assert (await scene.consoles[0].call("colleagues", {}))["ok"]
    await closed_within(scene.consoles, last_use, limit=3 + AT_ONCE_S)
    await check_released(scene, "expired", clients)


async def test_use_keeps_a_session_but_not_past_its_absolute_lifetime(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    a, b = await two_processes(own_redis, server_factory, session_idle_s=2, session_absolute_s=5)
    scene = await set_scene(a, b, clients)
    logged_in = time.monotonic()  # a moment after the login: the deadline is earlier
    # Used every half second (the console reports the person at the keyboard): the
    # 2 s idle timeout never strikes, the 5 s absolute one does.
    while not scene.consoles[0].disconnected.is_set() and time.monotonic() - logged_in < 8:
        await scene.consoles[0].emit("active", {})
        await asyncio.sleep(0.5)
    assert time.monotonic() - logged_in > 2.5, "the idle timeout struck although the console was used"
    await closed_within(scene.consoles, logged_in, limit=5 + AT_ONCE_S)
    await check_released(scene, "expired", clients)


async def test_a_role_change_without_a_logout_applies_to_the_next_event(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    """A change written straight to the store (another release, the command line):
    the next event after the guard's short cache sees the new role, and the watcher
    closes the consoles within about a second (no process announced it)."""
    a, b = await two_processes(own_redis, server_factory)
    creds = await a.create_staff("supervisor")
    session = await login(a.url, creds)
    console = await console_on(b, session, clients)
    assert (await console.call("overview", {}))["ok"]
    changed = time.monotonic()
    await a.durable.update_staff(creds.id, {"role": "operator"})
    await asyncio.sleep(1.05)  # the guard trusts what it read for at most a second
    if not console.disconnected.is_set():
        refused = await console.call("overview", {})
        assert refused["ok"] is False and refused["error"]["code"] == "unauthorized"
    await closed_within([console], changed, limit=2 * AT_ONCE_S)
    assert console.received("session_ended")[0]["reason"] == "role_changed"
    assert await connect_refusal(a, session.cookie) == "unauthorized"  # the session ended with it


async def test_disabling_from_the_command_line_closes_the_consoles(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    """``rc-chat operators disable`` runs in a process of its own that holds no
    sockets: the servers' watchers notice."""
    a, b = await two_processes(own_redis, server_factory)
    scene = await set_scene(a, b, clients)
    started = time.monotonic()
    await a.services.staff.set_disabled(scene.operator.staff["id"], True)
    await closed_within(scene.consoles, started, limit=2 * AT_ONCE_S)
    await check_released(scene, "disabled", clients)


async def test_a_console_on_long_polling_is_closed_too(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    a, b = await two_processes(own_redis, server_factory)
    creds = await a.create_staff()
    session = await login(a.url, creds)
    polling = Recorder(b.url, "/operator", headers={"Cookie": session.cookie})
    clients.append(polling)
    await polling.connect(transports=["polling"])
    await polling.wait_for("session")
    assert (await polling.call("duty", {"on": True}))["ok"]
    admin = await login(a.url, await a.create_staff("admin"))
    await http(a, "PATCH", f"/api/admin/staff/{creds.id}", admin, {"disabled": True})
    await closed_within([polling], time.monotonic())
    assert polling.received("session_ended")[0]["reason"] == "disabled"
    assert await b.repository.duty_of(creds.id) is None


async def test_an_admin_action_while_the_live_store_is_away(
    own_redis: RedisServer, server_factory: Any, clients: list[Recorder]
) -> None:
    """The ephemeral Redis restarts just as an admin disables an account: the admin's
    request still succeeds (the session is in the durable store), the console's events
    are refused at once, and it is told and closed once the store answers again."""
    live = await server_factory(ephemeral_url=own_redis.url_db(0))
    creds = await live.create_staff()
    session = await login(live.url, creds)
    console = await console_on(live, session, clients)
    assert (await console.call("duty", {"on": True}))["ok"]
    admin = await login(live.url, await live.create_staff("admin"))
    own_redis.stop()
    try:
        await http(live, "PATCH", f"/api/admin/staff/{creds.id}", admin, {"disabled": True})
        await asyncio.sleep(1.05)
        if not console.disconnected.is_set():
            refused = await console.call("accept", {"conversation_id": "x" * 16})
            assert refused["error"]["code"] == "unauthorized", refused
        assert not console.disconnected.is_set()
    finally:
        own_redis.process = start_redis(own_redis.dir, port=own_redis.port).process
    await asyncio.wait_for(console.disconnected.wait(), 15)
    # Told why, or (when the fan-out's subscription broke with the store and it asked
    # its clients to reconnect first) closed all the same: either way the refusal below.
    ended = console.received("session_ended")
    assert not ended or ended[0]["reason"] == "disabled", ended
    assert await connect_refusal(live, session.cookie) == "unauthorized"
