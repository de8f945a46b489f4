"""The deployment a stateful example drives (test_stateful.py): one process on the
memory store, or two processes on one Redis, each built by ``build_services`` with its
own node id, all recording into one event log; and the plumbing its rules share."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from chat_server.services.domain import Staff
from chat_server.services.errors import ServiceError
from chat_server.services.starting import StartRequest
from chat_server.storage.memory import MemoryEphemeral
from chat_server.storage.redis_ephemeral import RedisEphemeral
from chat_server.storage.sqlite import SqliteDurable

from .conftest import Sent, World, make_world, service_settings
from .stateful_model import Clients, Operator, Visitor

SETTINGS = {"routing_mode": "auto", "offer_timeout_s": 600, "grace_period_s": 0, "operator_grace_s": 0}
#: (name, role, max chats, audiences)
STAFF = (("A", "operator", 2, None), ("B", "operator", 1, None), ("C", "operator", 2, ["individual"]))
SUPERVISOR = ("Boss", "supervisor", 2, None)


class Deployment:
    """What every example shares: an event loop, the durable store and the accounts
    (accounts are written without a password: nobody logs in)."""

    def __init__(self, tmp: Path, redis_url: str | None) -> None:
        self.loop = asyncio.new_event_loop()
        self.tmp = tmp
        self.redis_url = redis_url
        self.settings = service_settings(tmp, **SETTINGS)
        self.durable = SqliteDurable(tmp / "rc.sqlite3")
        self.staff: list[tuple[Staff, int]] = []
        self.loop.run_until_complete(self._accounts())

    async def _accounts(self) -> None:
        await self.durable.open()
        for name, role, max_chats, audiences in (*STAFF, SUPERVISOR):
            staff_id = "s-" + name.lower()
            record = {"id": staff_id, "username": name.lower(), "name": name, "role": role, "password_hash": "!"}
            record |= {"disabled": False, "locale": "sv", "languages": ["sv"], "max_chats": max_chats}
            record |= {"audiences": audiences or ["individual", "professional"]}
            await self.durable.create_staff(record)
            self.staff.append((Staff(staff_id, name, role, "sv"), max_chats))  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.run_until_complete(self.durable.close())
        self.loop.close()


async def at_once(*calls: Any) -> None:
    """Run service calls concurrently; refusals are normal, anything else is raised."""
    for result in await asyncio.gather(*calls, return_exceptions=True):
        if isinstance(result, BaseException) and not isinstance(result, ServiceError):
            raise result


class Plumbing(RuleBasedStateMachine):
    """The deployment under test and the clients' model; the rules are in
    test_stateful.py."""

    deployment: Deployment  # set by the test (a subclass per run)

    def __init__(self) -> None:
        super().__init__()
        self.d = self.deployment
        self.sent: list[Sent] = []
        self.prefix = f"t{secrets.token_hex(4)}:"
        self.stores: list[Any] = []
        self.worlds: list[World] = []
        self.killed = 0
        processes = 2 if self.d.redis_url else 1
        for p in range(processes):
            self.worlds.append(self.run(self._world(p)))
        self.visitors: list[Visitor] = []
        self.operators = [Operator(s, m, process=i % processes) for i, (s, m) in enumerate(self.d.staff)]
        self.max_of = {op.staff.id: op.max_chats for op in self.operators}
        self.clients = Clients(self.sent, self.visitors, self.operators)
        self.pending_lost: set[str] = set()
        self.blocked: set[str] = set()
        self.acked: dict[str, list[str]] = {}  # conversation -> record ids acknowledged to staff
        for op in self.operators:
            self.run(self._console(op))
            if op.staff.role == "operator":
                self.act(self.w(op).services.queue.do_set_duty(op.staff, True, None))
        # Three visitors: one in a chat with A, one waiting (offered at once in auto
        # routing), so that every example has something to interleave from its start.
        for n in range(3):
            self.new_visitor(n)
            if n < 2:
                self.act(self._start(self.visitors[n], n % len(self.worlds), "self"))
            if n == 0:
                cid = next(iter(self.run(self._live())))
                self.act(self.w(self.operators[0]).services.lifecycle.do_accept(self.operators[0].staff, cid))

    # --- plumbing -------------------------------------------------------------------
    def run(self, coro: Any) -> Any:
        return self.d.loop.run_until_complete(coro)

    async def _world(self, p: int) -> World:
        if self.d.redis_url:
            eph: Any = RedisEphemeral(self.d.redis_url, prefix=self.prefix)
        else:
            eph = self.worlds[0].eph if self.worlds else MemoryEphemeral()
        self.stores.append(eph)
        world, _ = await make_world(
            self.d.tmp, eph=eph, durable=self.d.durable, settings=self.d.settings, node_id=f"node-{p}-{self.killed}"
        )
        world.events.sent = self.sent  # one log for every process, in order
        return world

    def w(self, who: Visitor | Operator | int) -> World:
        p = who if isinstance(who, int) else who.process
        return self.worlds[p or 0]

    async def _live(self) -> dict[str, Any]:
        """Live conversations in a stable order: by their visitor (a session has one at
        most), so that hypothesis replays an example with the same choices."""
        order = {v.sess.key: v.n for v in self.visitors}
        convs = await self.worlds[0].services.repository.live()
        return {c.id: c for c in sorted(convs, key=lambda c: (order.get(c.session_key, 99), c.created_at))}

    def chats_of(self, op: Operator) -> list[str]:
        """What ``op``'s console shows, in the stable order."""
        return [cid for cid in self.run(self._live()) if cid in op.chats]

    def act(self, coro: Any) -> Any:
        """Run one service call (a refusal is a normal outcome) and let the clients
        receive what it sent."""
        before = self.run(self._live())
        try:
            result = self.run(coro)
        except ServiceError:
            result = None
        after = self.run(self._live())
        self.clients.receive(before, after)
        return result

    async def _console(self, op: Operator) -> None:
        op.sockets += 1
        op.sid = f"con-{op.staff.id}-{op.sockets}"
        world = self.w(op)
        world.services.presence.consoles.opened(op.sid)
        await world.services.router.do_operator_connected(op.staff, op.sid)

    def pick(self, data: Any, items: list[Any], rest: list[Any] | None = None) -> Any:
        """One of ``items``, mostly, or of ``rest`` (a target the action may refuse)."""
        pool = items * 4 + (rest or [])
        # Always one draw of the same shape, whatever the state: a replayed example
        # draws the same way even where concurrency made the state differ.
        i = data.draw(st.integers(0, 255))
        return pool[i % len(pool)] if pool else None

    def connected(self, state: str | None = None) -> list[Visitor]:
        """Visitors with a socket (in a chat in ``state``, if given)."""
        if state is None:
            return [v for v in self.visitors if v.sid]
        live = self.run(self._live())
        keys = {c.session_key for c in live.values() if c.state == state}
        return [v for v in self.visitors if v.sid and v.sess.key in keys]

    def _connect(self, v: Visitor, process: int) -> None:
        v.sockets += 1
        v.process, v.sid, v.rooms = process, f"v{v.n}-{v.sockets}", set()
        self.w(v).services.addresses.remember(v.sid, v.key)

    async def _start(self, v: Visitor, process: int, audience: str) -> None:
        async def attach(cid: str) -> None:
            v.rooms.add(cid)

        services = self.w(process).services
        assert v.sid is not None
        await services.starts.check_may_start(v.key)
        v.sess, _, announce = await services.starts.do_start(
            v.sess,
            StartRequest(audience=audience),
            attach,
            v.sid,
            v.key,  # type: ignore[arg-type]
        )
        await announce()

    def staff_pick(self, data: Any, with_chats: bool = False) -> Operator:
        """A staff member: mostly one whose console is there (and shows chats)."""
        ops = [op for op in self.operators if op.sid and (op.chats or not with_chats)]
        return self.pick(data, ops, self.operators) or self.operators[0]
