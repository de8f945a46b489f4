"""Isolation between centres, proven route by route and event by event (issue 19
point 5). The HTTP routes come from the aiohttp app's router and the Socket.IO events
from the namespace classes' ``on_*`` handlers; each must have a case in the tables
below, so a new route or event without one fails :func:`test_every_route_has_a_case` /
:func:`test_every_event_has_a_case` ("new route without an isolation case: add one").

Each case is run by centre A's operator, supervisor and admin against centre B's
objects (its accounts, chats, receiver, hours, …) on one real server
(isolation_world.py). A case either expects a refusal (HTTP status, or an ack
``ok:false`` with a code), or is about the caller's own centre ("own": the answer may
be anything but a server fault). Either way the answer holds nothing of B (every B
name, id and text is marked) and B is unchanged afterwards (its stored records, chats,
pending triage, statistics, audit, and what B's own sockets received).
"""

from __future__ import annotations

import inspect
import json
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from chat_server.app import create_app
from chat_server.config import Secret
from chat_server.transport.operator import OperatorNamespace
from chat_server.transport.visitor import VisitorNamespace
from tests.conftest import LiveServer, make_settings, start_server
from tests.helpers import Recorder

from .isolation_world import ROLES, TRIAGE, World, build_world

#: The async tests share one server (and its event loop) for the whole module.
ON_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")

NEEDS_ROUTING = "needs c-routing: conversations, queues and colleagues scoped to the staff member's centres"


@dataclass(frozen=True)
class Call:
    """One request or event: ``target`` a path or payload with ``{b}``-style names
    (isolation_world.World.ids), ``refuse`` the statuses or codes expected (None: a
    case about one's own centre), ``check`` more to assert on an "own" answer."""

    target: Any = None
    body: Any = None
    refuse: frozenset[Any] | None = None
    check: Callable[[World, str, Any], None] | None = None
    anonymous: bool = False


def refused(target: Any, *codes: Any, body: Any = None) -> Call:
    return Call(target, body, frozenset(codes))


def own(target: Any = None, body: Any = None, check: Callable[[World, str, Any], None] | None = None) -> Call:
    return Call(target, body, None, check)


def _no_stats_of_b(world: World, role: str, answer: Any) -> None:
    """A's own statistics have nothing of the month only B has counters in."""
    if isinstance(answer, dict) and answer.get("ok"):
        assert answer["periods"] == [], answer
    elif isinstance(answer, str) and answer.startswith("period,"):
        assert answer.count("\n") == 1, answer


def _removed_nothing(world: World, role: str, ack: Any) -> None:
    """B's waiting chat is not A's to remove: the same answer as for a chat no longer
    waiting (nothing removed), or refused by role; B unchanged is checked after."""
    assert (ack["ok"] and ack["removed"] == 0) or ack["error"]["code"] in ("forbidden", "not_found"), ack


def _own_canned(world: World, role: str, ack: Any) -> None:
    assert ack["ok"] and ack["items"][0]["title"] == world.a_mark, ack


def _own_threshold(world: World, role: str, answer: Any) -> None:
    """A centre's own admins set its overflow threshold; nobody else there does."""
    if role == "admin":
        assert answer["ok"] and answer["centre"]["overflow_wait_s"] == 600, answer
    else:
        assert answer["error"]["code"] == "forbidden", answer


HOURS = {"weekly": {"1": [["10:00", "12:00"]]}}
LOCAL = {"type": "police", "name": "Polisen", "area": {"kind": "municipality", "name": "Ort"}}
LOCAL = {**LOCAL, "channels": [{"kind": "phone", "value": "114 14"}]}
NATIONAL = {"type": "national_helpline", "name": "Linjen", "channels": [{"kind": "phone", "value": "020"}]}
ACCOUNT = {"username": "iso-{token}", "name": "Ny", "password": "a long password 12345"}
FORBIDDEN_OR_GONE = (403, 404)
RANGE = "?from=2026-03-01&to=2026-03-31"

# --- HTTP: (method, canonical path) -> calls -------------------------------------------
#: Not per centre and not staff data: static files, catalogs and health.
STATIC = {
    ("GET", p)
    for p in (
        "/",
        "/healthz",
        "/readyz",
        "/widget.js",
        "/i18n/locales.json",
        "/i18n/{locale}.json",
        *(f"/{d}{s}" for d in ("widget", "console", "demo") for s in ("", "/", "/{name}")),
    )
} | {("GET", "/socket.io/"), ("POST", "/socket.io/"), ("OPTIONS", "/socket.io/")}  # the namespaces below

HTTP: dict[tuple[str, str], list[Call]] = {
    # Public or the caller's own session: nothing of B can be named.
    ("GET", "/metrics"): [own()],  # installation-wide gauges, network-restricted
    ("POST", "/api/login"): [Call("/api/login", {}, frozenset({400}), anonymous=True)],
    ("POST", "/api/logout"): [Call("/api/logout", None, frozenset({401}), anonymous=True)],
    ("POST", "/api/setup/begin"): [Call("/api/setup/begin", {"token": "x"}, frozenset({401}), anonymous=True)],
    ("POST", "/api/setup/complete"): [
        Call(
            "/api/setup/complete",
            {"token": "x", "username": "u", "name": "n", "password": "p" * 20, "totp": "1"},
            frozenset({401}),
            anonymous=True,
        )
    ],
    ("GET", "/api/me"): [own()],
    ("PATCH", "/api/me"): [own(body={"locale": "sv"})],
    ("GET", "/api/triage"): [own()],
    ("GET", "/api/centres"): [own()],
    # The paths from before centres act on A: B's accounts are not found there.
    ("GET", "/api/admin/staff"): [own()],
    ("POST", "/api/admin/staff"): [own(body=ACCOUNT)],
    ("PATCH", "/api/admin/staff/{staff_id}"): [
        refused("/api/admin/staff/{b_staff}", *FORBIDDEN_OR_GONE, body={"role": "admin"}),
        refused("/api/admin/staff/{b_admin}", *FORBIDDEN_OR_GONE, body={"disabled": True}),
    ],
    ("POST", "/api/admin/staff/{staff_id}/password"): [
        refused("/api/admin/staff/{b_staff}/password", *FORBIDDEN_OR_GONE, body={"password": "z" * 24})
    ],
    ("POST", "/api/admin/staff/{staff_id}/totp"): [refused("/api/admin/staff/{b_staff}/totp", *FORBIDDEN_OR_GONE)],
    ("GET", "/api/hours"): [own()],
    ("PUT", "/api/admin/hours"): [own(body=HOURS)],
    ("GET", "/api/canned"): [own()],
    ("PUT", "/api/admin/canned/{locale}"): [own("/api/admin/canned/en", {"items": []})],
    ("GET", "/api/admin/audit"): [own(), refused("/api/admin/audit?scope=all", 403)],
    # B's paths: refused.
    ("GET", "/api/centres/{centre}/admin/staff"): [refused("/api/centres/{b}/admin/staff", 403)],
    ("POST", "/api/centres/{centre}/admin/staff"): [refused("/api/centres/{b}/admin/staff", 403, body=ACCOUNT)],
    ("PATCH", "/api/centres/{centre}/admin/staff/{staff_id}"): [
        refused("/api/centres/{b}/admin/staff/{b_staff}", 403, body={"role": "admin"}),
        refused("/api/centres/{a}/admin/staff/{b_staff}", *FORBIDDEN_OR_GONE, body={"role": "admin"}),
    ],
    ("POST", "/api/centres/{centre}/admin/staff/{staff_id}/password"): [
        refused("/api/centres/{b}/admin/staff/{b_staff}/password", 403, body={"password": "z" * 24}),
        refused("/api/centres/{a}/admin/staff/{b_staff}/password", *FORBIDDEN_OR_GONE, body={"password": "z" * 24}),
    ],
    ("POST", "/api/centres/{centre}/admin/staff/{staff_id}/totp"): [
        refused("/api/centres/{b}/admin/staff/{b_staff}/totp", 403),
        refused("/api/centres/{a}/admin/staff/{b_staff}/totp", *FORBIDDEN_OR_GONE),
    ],
    ("GET", "/api/centres/{centre}/hours"): [refused("/api/centres/{b}/hours", 403)],
    ("PUT", "/api/centres/{centre}/admin/hours"): [refused("/api/centres/{b}/admin/hours", 403, body=HOURS)],
    ("GET", "/api/centres/{centre}/canned"): [refused("/api/centres/{b}/canned", 403)],
    ("PUT", "/api/centres/{centre}/admin/canned/{locale}"): [
        refused("/api/centres/{b}/admin/canned/sv", 403, body={"items": []})
    ],
    ("GET", "/api/centres/{centre}/admin/audit"): [refused("/api/centres/{b}/admin/audit", 403)],
    # The national admin's screens.
    ("GET", "/api/admin/centres"): [refused("/api/admin/centres", 403)],
    ("POST", "/api/admin/centres"): [
        refused("/api/admin/centres", 403, body={"id": "iso-{token}", "names": {"sv": "X"}})
    ],
    ("PATCH", "/api/admin/centres/{centre}"): [
        refused("/api/admin/centres/{b}", 403, body={"disabled": True}),
        refused("/api/admin/centres/{a}", 403, body={"municipalities": ["2080"]}),
        # Overflow: the order is agreed between centres (national admins); the threshold
        # is the centre's own admins', for their own centre only.
        refused("/api/admin/centres/{b}", 403, body={"overflow_wait_s": 600}),
        refused("/api/admin/centres/{b}", 403, body={"overflow": []}),
        refused("/api/admin/centres/{a}", 403, body={"overflow": ["{b}"]}),
        own("/api/admin/centres/{a}", body={"overflow_wait_s": 600}, check=_own_threshold),
    ],
    ("PUT", "/api/admin/centres/{centre}/staff/{staff_id}"): [
        refused("/api/admin/centres/{b}/staff/{a_staff}", 403, body={"role": "admin"}),
        refused("/api/admin/centres/{a}/staff/{b_staff}", 403, body={"role": "operator"}),
        refused("/api/admin/centres/{b}/staff/{b_staff}", 403, body={"role": None}),
    ],
    ("PUT", "/api/admin/staff/{staff_id}/national-admin"): [
        refused("/api/admin/staff/{b_staff}/national-admin", 403, body={"national_admin": True}),
        refused("/api/admin/staff/{a_staff}/national-admin", 403, body={"national_admin": True}),
    ],
    # The referral directory: A's own, B's refused, national entries the national admins'.
    ("GET", "/api/referrals"): [own()],
    ("PUT", "/api/admin/referrals/{id}"): [
        refused("/api/admin/referrals/{b_receiver}", 403, body=NATIONAL),
        refused("/api/admin/referrals/{national_receiver}", 403, body=NATIONAL),
        refused("/api/admin/referrals/{national_receiver}", 403, body=LOCAL),
    ],
    ("DELETE", "/api/admin/referrals/{id}"): [
        refused("/api/admin/referrals/{b_receiver}", *FORBIDDEN_OR_GONE),
        refused("/api/admin/referrals/{national_receiver}", 403),
    ],
    ("GET", "/api/centres/{centre}/referrals"): [refused("/api/centres/{b}/referrals", 403)],
    ("PUT", "/api/centres/{centre}/admin/referrals/{id}"): [
        refused("/api/centres/{b}/admin/referrals/{b_receiver}", 403, body=LOCAL),
        refused("/api/centres/{b}/admin/referrals/new-{token}", 403, body=LOCAL),
    ],
    ("DELETE", "/api/centres/{centre}/admin/referrals/{id}"): [
        refused("/api/centres/{b}/admin/referrals/{b_receiver}", 403)
    ],
    # Statistics: A's own (nothing of B's month), B's and the national view refused.
    ("GET", "/api/stats"): [own("/api/stats" + RANGE, check=_no_stats_of_b), refused("/api/stats?scope=all", 403)],
    ("GET", "/api/stats.csv"): [
        own("/api/stats.csv" + RANGE, check=_no_stats_of_b),
        refused("/api/stats.csv?scope=all", 403),
    ],
    ("GET", "/api/centres/{centre}/stats"): [refused("/api/centres/{b}/stats" + RANGE, 403)],
    ("GET", "/api/centres/{centre}/stats.csv"): [refused("/api/centres/{b}/stats.csv" + RANGE, 403)],
}

# --- Socket.IO: (namespace, event) -> calls ---------------------------------------------
GONE = "not_found"  # another centre's chat is, to A, a chat that does not exist
ROLE_GATED = ("not_found", "forbidden")  # refused by role before the chat is looked up
CHAT = {"conversation_id": "{b_active}"}

EVENTS: dict[tuple[str, str], list[Call]] = {
    ("/operator", "active"): [own({})],
    ("/operator", "duty"): [own({"on": False})],
    ("/operator", "accept"): [refused({"conversation_id": "{b_waiting}"}, GONE)],
    # Declining anything not offered to you is ``conflict``, for a chat that does not
    # exist too: B's chat gets the answer a missing chat gets.
    ("/operator", "decline"): [refused({"conversation_id": "{b_waiting}"}, "conflict", GONE)],
    ("/operator", "message"): [refused({**CHAT, "client_id": "c-{token}", "text": "hej"}, GONE)],
    ("/operator", "note"): [refused({**CHAT, "client_id": "c-{token}", "text": "hej"}, GONE)],
    ("/operator", "typing"): [refused({**CHAT, "active": True}, GONE)],
    ("/operator", "end"): [refused({**CHAT, "triage": TRIAGE}, GONE)],
    ("/operator", "triage_check"): [refused({**CHAT, "triage": TRIAGE}, GONE)],
    ("/operator", "triage_list"): [own({})],
    ("/operator", "triage_marks"): [
        refused({**CHAT, "categories": ["fgm"]}, GONE),
        refused({"triage_id": "{b_triage}", "categories": ["fgm"]}, GONE),
    ],
    ("/operator", "report_duty_ack"): [refused({"triage_id": "{b_triage}"}, GONE), refused(CHAT, GONE)],
    ("/operator", "triage"): [refused({"triage_id": "{b_triage}", "triage": TRIAGE}, GONE)],
    ("/operator", "triage_skip"): [refused({"triage_id": "{b_triage}", "reason": "no_time"}, GONE)],
    ("/operator", "transfer"): [refused({**CHAT, "to": "{a_staff}"}, GONE)],
    ("/operator", "invite"): [refused({**CHAT, "to": "{a_staff}"}, GONE)],
    ("/operator", "observe"): [refused(CHAT, *ROLE_GATED)],
    ("/operator", "join"): [refused(CHAT, *ROLE_GATED)],
    ("/operator", "leave"): [refused(CHAT, GONE)],
    ("/operator", "remove_waiting"): [own({"conversation_ids": ["{b_waiting}"]}, check=_removed_nothing)],
    ("/operator", "block"): [refused(CHAT, *ROLE_GATED)],
    ("/operator", "canned"): [own({"locale": "sv"}, check=_own_canned), refused({"centre": "{b}"}, "forbidden")],
    ("/operator", "colleagues"): [own({})],
    ("/operator", "overview"): [own({})],
    ("/operator", "sync"): [own({})],
    ("/operator", "referral"): [
        refused({**CHAT, "targets": ["{national_receiver}"]}, GONE),
        # A's own chat, B's receiver: not in A's directory.
        refused({"conversation_id": "{a_active}", "targets": ["{b_receiver}"]}, *ROLE_GATED),
    ],
    ("/operator", "followup_summary"): [refused({**CHAT, "summary": "sammanfattning"}, GONE)],
    ("/operator", "followup_get"): [refused(CHAT, GONE)],
    # The directory to refer a chat's visitor from: only for the chat's assigned operator.
    ("/operator", "directory"): [refused(CHAT, *ROLE_GATED)],
}
# The visitor namespace has no staff rights: a staff member's cookie there grants
# nothing, and naming B's chat in any payload is refused (the visitor's own chat only).
VISITOR_EVENTS = (
    "start",
    "message",
    "typing",
    "end",
    "exit",
    "followup_request",
    "followup",
    "followup_revoke",
    "feedback",
    "overflow_options",
    "overflow_accept",
)
for _event in VISITOR_EVENTS:
    EVENTS[("/visitor", _event)] = [refused({"conversation_id": "{b_active}"}, "invalid")]

#: Cases expected to fail until a fix lands (none: the per-centre routing is in).
XFAIL_ROUTING: set[tuple[str, str, str]] = set()


# --- completeness ---------------------------------------------------------------------
def _routes() -> set[tuple[str, str]]:
    settings = make_settings(Path(tempfile.mkdtemp()), secret_key=Secret(secrets.token_urlsafe(32)))
    app = create_app(settings)
    return {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD" and r.resource}


def _events() -> set[tuple[str, str]]:
    found = set()
    for ns, cls in (("/operator", OperatorNamespace), ("/visitor", VisitorNamespace)):
        for name, _ in inspect.getmembers(cls, inspect.iscoroutinefunction):
            if name.startswith("on_") and name not in ("on_connect", "on_disconnect"):
                found.add((ns, name[3:]))
    return found


def test_every_route_has_a_case() -> None:
    routes = _routes()
    missing = sorted(routes - set(HTTP) - STATIC)
    assert not missing, f"new route without an isolation case: add one to HTTP in {__file__}: {missing}"
    stale = sorted((set(HTTP) | STATIC) - routes)
    assert not stale, f"isolation cases for routes that no longer exist: {stale}"


def test_every_event_has_a_case() -> None:
    events = _events()
    missing = sorted(events - set(EVENTS))
    assert not missing, f"new event without an isolation case: add one to EVENTS in {__file__}: {missing}"
    assert not set(EVENTS) - events, sorted(set(EVENTS) - events)


# --- the world and the runner ---------------------------------------------------------
class Worlds:
    """One server for the module; a fresh pair of centres whenever a case changed B."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.world: World | None = None
        self.built = 0

    async def get(self) -> World:
        if self.world is None or self.world.dirty:
            if self.world is not None:
                await self.world.close()
            self.built += 1
            self.world = await build_world(self.server, self.built)
        return self.world


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def worlds(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Worlds]:
    tmp = tmp_path_factory.mktemp("isolation")
    server = await start_server(make_settings(tmp, routing_mode="pick", rate_limits=False, block_s=1))
    holder = Worlds(server)
    yield holder
    if holder.world is not None:
        await holder.world.close()
    await server.stop()


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


async def _changed(world: World, before: dict[str, Any]) -> list[str]:
    """What of B a case changed; a changed world is replaced before the next case."""
    after = await world.fingerprint()
    if after != before:
        world.dirty = True
    return sorted(k for k in after if after[k] != before[k])


def _leaks(world: World, answer: Any) -> list[str]:
    text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    return [s for s in world.secrets_of_b() if s in text]


async def _http(world: World, role: str, method: str, call: Call, path: str) -> tuple[int, Any]:
    member = world.members[role]
    headers = {} if call.anonymous else {"Cookie": member.login.cookie, "X-CSRF-Token": member.login.csrf}
    headers["Origin"] = world.server.url
    ids = world.ids()
    async with aiohttp.ClientSession() as http:
        kwargs = {"json": _fill(call.body, ids)} if call.body is not None else {}
        async with http.request(method, world.server.url + _fill(path, ids), headers=headers, **kwargs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text


def _params(table: dict[tuple[str, str], list[Call]], xfail: set[tuple[str, str, str]]) -> list[Any]:
    out = []
    for key in table:
        for role in ROLES:
            marks = [pytest.mark.xfail(strict=True, reason=NEEDS_ROUTING)] if (*key, role) in xfail else []
            out.append(pytest.param(key, role, id=f"{key[0]} {key[1]} [{role}]", marks=marks))
    return out


@ON_MODULE_LOOP
@pytest.mark.parametrize(("route", "role"), _params(HTTP, set()))
async def test_http_route_keeps_centres_apart(worlds: Worlds, route: tuple[str, str], role: str) -> None:
    method, template = route
    for call in HTTP[route]:
        world = await worlds.get()
        before = await world.fingerprint()
        status, answer = await _http(world, role, method, call, call.target or template)
        changed = await _changed(world, before)
        assert not changed, (call, f"B changed: {changed}", status, answer)
        assert not _leaks(world, answer), (call, f"B's {_leaks(world, answer)} in the answer", answer)
        if call.refuse is not None:
            assert status in call.refuse, (call, status, answer)
        else:
            assert status < 500, (call, status, answer)
            if call.check is not None:
                call.check(world, role, answer)


async def _socket(world: World, role: str, namespace: str) -> Recorder:
    if namespace == "/operator":
        return world.members[role].socket
    rec = Recorder(world.server.url, "/visitor", headers={"Cookie": world.members[role].login.cookie})
    world.sockets.append(rec)
    await rec.connect(auth={"centre": world.a})
    await rec.wait_for("session")
    return rec


@ON_MODULE_LOOP
@pytest.mark.parametrize(("event", "role"), _params(EVENTS, XFAIL_ROUTING))
async def test_socket_event_keeps_centres_apart(worlds: Worlds, event: tuple[str, str], role: str) -> None:
    namespace, name = event
    world = await worlds.get()
    try:
        await _run_events(world, role, namespace, name)
    except AssertionError:
        world.dirty = True  # whatever the case did, the next one starts afresh
        raise


async def _run_events(world: World, role: str, namespace: str, name: str) -> None:
    for call in EVENTS[(namespace, name)]:
        rec = await _socket(world, role, namespace)
        before = await world.fingerprint()
        ack = await rec.call(name, _fill(call.target, world.ids()))
        if namespace == "/visitor":
            await rec.disconnect()
        changed = await _changed(world, before)
        assert not changed, (call, f"B changed: {changed}", ack)
        assert not _leaks(world, ack), (call, f"B's {_leaks(world, ack)} in the answer", ack)
        if call.refuse is not None:
            assert ack["ok"] is False and ack["error"]["code"] in call.refuse, (call, ack)
        else:
            assert isinstance(ack, dict), ack
            if call.check is not None:
                call.check(world, role, ack)


@ON_MODULE_LOOP
async def test_no_event_of_b_reaches_a_console(worlds: Worlds) -> None:
    """Broadcasts (the queue, colleagues' presence) go to B's staff only: nothing A's
    consoles received since they connected names B's chats or staff."""
    world = await worlds.get()
    for role, member in world.members.items():
        await member.socket.call("sync", {})
        text = json.dumps(member.socket.events, ensure_ascii=False)
        leaked = [s for s in world.secrets_of_b() if s in text]
        assert not leaked, (role, leaked)
