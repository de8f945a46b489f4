"""Two centres on one real server for the isolation test (test_isolation.py): centre A's
staff (operator, supervisor, admin), each signed in over HTTP with a console socket, and
centre B with its own staff, chats (waiting, active, ended awaiting triage), opening
hours, canned responses, local referral receiver and statistics, every one of them
marked so that a leak into an answer to A can be found by text.

:meth:`World.fingerprint` reads everything of B from the stores and from B's own
sockets; a case leaves it unchanged or has changed B."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from datetime import UTC, date, datetime
from typing import Any

from chat_server.security.ratelimit import TokenBuckets
from chat_server.services.centre_domain import centre_namespace
from chat_server.services.centres import NewCentre
from chat_server.services.domain import Staff
from chat_server.services.stats import conversation_counters
from chat_server.transport import keys as K
from tests.conftest import LiveServer, connect_operator
from tests.helpers import Recorder, StaffCredentials, StaffLogin

ROLES = ("operator", "supervisor", "admin")
TRIAGE = {"categories": ["honour_control"], "risk": "medium", "actions": ["advice"]}
#: B's events that a refused action of A must never cause.
WATCHED = ("message", "referral", "ended", "state", "assigned", "typing")
#: When the statistics are read (B's counters are in March 2026, an ended month).
STATS_TODAY = date(2026, 5, 2)


@dataclasses.dataclass
class Member:
    """One of A's staff: credentials, HTTP session and console socket."""

    creds: StaffCredentials
    login: StaffLogin
    socket: Recorder


@dataclasses.dataclass
class World:
    server: LiveServer
    a: str
    b: str
    mark: str  # in every name and text of B
    a_mark: str  # in A's own canned responses
    members: dict[str, Member]
    b_staff: dict[str, str]  # role -> id
    b_op: Recorder
    b_visitors: list[Recorder]
    b_waiting: str
    b_active: str
    b_triage: str  # an ended chat of B awaiting its triage
    b_receiver: str
    a_active: str  # A's operator's own chat
    national_receiver: str
    sockets: list[Recorder]
    dirty: bool = False

    def ids(self) -> dict[str, str]:
        """What a case's path or payload may name (``{b}``, ``{b_staff}``, …)."""
        return {
            "a": self.a,
            "b": self.b,
            "b_staff": self.b_staff["operator"],
            "b_admin": self.b_staff["admin"],
            "a_staff": self.members["operator"].creds.id,
            "b_receiver": self.b_receiver,
            "national_receiver": self.national_receiver,
            "b_waiting": self.b_waiting,
            "b_active": self.b_active,
            "b_triage": self.b_triage,
            "a_active": self.a_active,
            "token": secrets.token_hex(4),
        }

    def secrets_of_b(self) -> list[str]:
        """Strings that must never appear in an answer to A's staff."""
        return [
            self.mark,
            self.b,
            *self.b_staff.values(),
            self.b_waiting,
            self.b_active,
            self.b_triage,
            self.b_receiver,
        ]

    async def fingerprint(self) -> dict[str, Any]:
        """Everything of B, read from the stores and B's sockets."""
        services, durable = self.server.services, self.server.durable
        staff = {}
        for sid in self.b_staff.values():
            record = dict(await durable.get_staff(sid) or {})
            record.pop("last_login", None)
            staff[sid] = record
        convs = {}
        for cid in (self.b_waiting, self.b_active):
            conv = await services.repository.get(cid)
            convs[cid] = dataclasses.asdict(conv) if conv is not None else None
        b_op = Staff.from_account(await durable.get_staff(self.b_staff["operator"]))
        return {
            "staff": staff,
            "centre": await durable.get_centre(self.b),
            "docs": {d: await durable.get_kv(centre_namespace(self.b), d) for d in ("hours", "canned", "referrals")},
            "national": await durable.get_kv("doc", "referrals"),
            "stats": await services.stats.totals("2000-01-01", "2999-12-31", self.b),
            "audit": await durable.list_audit(100, None, self.b),
            "conversations": convs,
            "pending": await services.pending_triage.listing(b_op),
            "events": [[e for e in rec.events if e[0] in WATCHED] for rec in (self.b_op, *self.b_visitors)],
        }

    async def close(self) -> None:
        """Every chat of this world ends at once (a visitor's quick exit), so that the
        next world's visitors, from the same address, are not over the cap on chats
        waiting from one network (services/queue_guard.py); then every socket closes."""
        for rec in self.sockets:
            try:
                if rec.namespace == "/visitor" and rec.client.connected:
                    await rec.call("exit", {})
                await rec.disconnect()
            except Exception:  # noqa: BLE001  # a socket the server closed already
                pass


async def _visitor(server: LiveServer, sockets: list[Recorder], centre: str) -> tuple[Recorder, str]:
    rec = Recorder(server.url, "/visitor")
    sockets.append(rec)
    await rec.connect(auth={"centre": centre})  # as the widget of that centre's page does
    await rec.wait_for("session")
    ack = await rec.call("start", {"audience": "self", "centre": centre})
    for _ in range(30):
        # A case that wrongly blocked a chat of B blocked 127.0.0.1 with it (every
        # visitor here): the server runs with block_s=1, so that ends within a second.
        if ack["ok"] or ack["error"]["code"] != "forbidden":
            break
        await asyncio.sleep(0.1)
        ack = await rec.call("start", {"audience": "self", "centre": centre})
    assert ack["ok"], ack
    return rec, ack["conversation"]["id"]


async def build_world(server: LiveServer, n: int) -> World:
    """A fresh pair of centres (``iso-a<n>``, ``iso-b<n>``) with their staff and chats."""
    services = server.services
    a, b = f"iso-a{n}", f"iso-b{n}"
    mark, a_mark = f"bmark{secrets.token_hex(4)}", f"amark{secrets.token_hex(4)}"
    for centre in (a, b):
        await services.centres.do_create_centre(None, NewCentre(id=centre, names={"sv": f"RC {centre}"}))
    sockets: list[Recorder] = []
    b_staff, b_creds = {}, {}
    for role in ROLES:
        creds = await server.create_staff(role, name=f"{mark} {role}", centres={b: role})
        b_staff[role], b_creds[role] = creds.id, creds
    members = {}
    for role in ROLES:
        creds = await server.create_staff(role, name=f"A {role}", centres={a: role})
        socket, login = await connect_operator(server.url, creds, sockets, duty=role == "operator")
        members[role] = Member(creds, login, socket)
    b_op, _ = await connect_operator(server.url, b_creds["operator"], sockets, duty=True)

    # Every world starts its chats from 127.0.0.1: a fresh per-address allowance, as
    # if each world were its own school (transport/visitor.py's admission buckets).
    visitors = server.app[K.NAMESPACES].visitor
    visitors.connect_limit = TokenBuckets(rate=1.0, burst=60)
    visitors.start_limit = TokenBuckets(rate=0.1, burst=30)
    # B's chats: one waiting, one active with B's operator, one ended awaiting triage.
    waiting_v, b_waiting = await _visitor(server, sockets, b)
    active_v, b_active = await _visitor(server, sockets, b)
    assert (await b_op.call("accept", {"conversation_id": b_active}))["ok"]
    ended_v, b_ended = await _visitor(server, sockets, b)
    assert (await b_op.call("accept", {"conversation_id": b_ended}))["ok"]
    assert (await b_op.call("end", {"conversation_id": b_ended, "triage": None}))["ok"]
    (pending,) = (await b_op.call("triage_list", {}))["items"]
    _, a_active = await _visitor(server, sockets, a)
    assert (await members["operator"].socket.call("accept", {"conversation_id": a_active}))["ok"]

    # B's settings and directory, and A's own canned responses.
    await services.hours.set_schedule(
        {
            "weekly": {"0": [["09:00", "16:00"]]},
            "exception_periods": [{"from": "2030-07-01", "to": "2030-07-31", "ranges": [], "reason": mark}],
        },
        b,
    )
    await services.canned.set_locale("sv", [{"id": "b-only", "title": mark, "text": f"{mark} text"}], b)
    await services.canned.set_locale("sv", [{"id": "a-only", "title": a_mark, "text": a_mark}], a)
    chief = Staff("chief", "Chief", "admin", "sv", {b: "admin"}, national_admin=True)
    b_receiver = f"b-{mark}"
    await services.referrals.do_put(
        chief,
        b,
        b_receiver,
        {
            "type": "social_services",
            "name": f"{mark} socialtjänst",
            "area": {"kind": "municipality", "name": mark},
            "channels": [{"kind": "phone", "value": "0000-00 00 00"}],
        },
    )
    listing = await services.referrals.listing(chief, "sv", b)
    national = next(r["id"] for r in listing["receivers"] if r["area"]["kind"] == "national")
    ts = int(datetime(2026, 3, 10, 12, tzinfo=UTC).timestamp() * 1000)
    conv = {"audience": "self", "topic": "fgm", "locale": "ti", "created_at": ts - 60_000, "accepted_at": ts}
    for _ in range(7):
        await services.stats.record(ts, conversation_counters(conv, "operator", ts + 600_000), b)
    services.stats.today = lambda: STATS_TODAY
    return World(
        server=server,
        a=a,
        b=b,
        mark=mark,
        a_mark=a_mark,
        members=members,
        b_staff=b_staff,
        b_op=b_op,
        b_visitors=[waiting_v, active_v, ended_v],
        b_waiting=b_waiting,
        b_active=b_active,
        b_triage=pending["id"],
        b_receiver=b_receiver,
        a_active=a_active,
        national_receiver=national,
        sockets=sockets,
    )
