"""Shared state of the soak's load generator (soak_worker.py): the clock, the random
generator, the conversations running and what each conversation's script waits on, and
the staff login the clients share."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp

from .soak_records import ConvRecord, Fault

if TYPE_CHECKING:
    from .eio import RawSocket
    from .soak_operator import OperatorActor


class Live:
    """A running conversation: its record plus what its script waits on."""

    def __init__(self, rec: ConvRecord) -> None:
        self.rec = rec
        self.changed = asyncio.Event()
        self.holder: OperatorActor | None = None
        self.visitor_down_since: float | None = None  # a cut the server can see at once

    def poke(self) -> None:
        self.changed.set()

    async def until(self, pred: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``pred()`` holds (re-checked whenever an event of this
        conversation arrives); False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not pred():
            self.changed.clear()
            if pred():
                break
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return pred()
        return True


class World:
    """Shared state of the load generator: clock, randomness, conversations, staff."""

    def __init__(self, task: dict[str, Any]) -> None:
        self.task = task
        self.t0 = time.monotonic()
        self.rng = random.Random(task["seed"])
        self.urls: list[str] = task["urls"]
        self.max_chats: int = task["max_chats"]
        self.live: dict[str, Live] = {}
        self.early: dict[str, list[Callable[[Live], None]]] = {}
        self.operators: list[OperatorActor] = []
        self.refused: Counter[str] = Counter()
        self.refusal_texts: dict[str, str] = {}  # the first message of each kind of refusal
        self.offers: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.receivers: list[str] = []
        # Conversations the soak does not follow: the spare of a double start, one
        # created by a start whose connection was cut. An operator who is given one
        # ends it (as a person would, after no answer), so it does not hold a slot.
        self.spares: set[str] = set()
        # Pseudonym -> (monotonic, epoch ms) of visitors who sent `start`, lost their
        # connection at once and never came back.
        self.gone_at_start: dict[str, tuple[float, int]] = {}
        # An admin's console, for the supervisors' ``overview`` (what the servers hold).
        self.admin: RawSocket | None = None
        self.cleanup: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()  # scenario events, for the report
        self.stopping = False
        self.tasks: set[asyncio.Task[Any]] = set()

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def overview(self) -> list[dict[str, Any]]:
        """Every conversation the servers list as live (waiting or active)."""
        if self.admin is None:
            return []
        try:
            ack = await self.admin.call("overview", {}, 60)
        except (TimeoutError, ConnectionError):
            self.counts["overview calls without an answer"] += 1
            return []
        return list(ack.get("items") or []) if ack.get("ok") else []

    async def check_gone(self, pseudonym: str, t: float, epoch_ms: int) -> None:
        """Ten seconds after a visitor vanished right after ``start``: its chat, if the
        servers made one, must not be shown connected (issue 14: a start cut about 2 ms
        later stays ``waiting``, marked connected, and is never swept). Whoever is given
        that chat ends it."""
        await asyncio.sleep(10)
        for item in await self.overview():
            if item.get("pseudonym") != pseudonym or abs(int(item.get("created_at") or 0) - epoch_ms) > 5000:
                continue
            self.spares.add(str(item.get("id")))
            if item.get("visitor_connected"):
                self.faults.append(
                    Fault(
                        "start_after_cut",
                        str(item.get("id")),
                        f"visitor {pseudonym} sent start and its connection was cut at {t:.2f}s; 10 s later its chat "
                        f"({item.get('state')}) is listed with visitor_connected: true",
                    )
                )

    def refused_event(self, what: str, ack: dict[str, Any]) -> None:
        error = ack.get("error") or {}
        key = f"{what}: {error.get('code')}"
        self.refused[key] += 1
        self.refusal_texts.setdefault(key, str(error.get("message", "")))

    def who(self, staff_id: str) -> str:
        for op in self.operators:
            if op.staff_id == staff_id:
                return f"{op.name} (P{op.process}, {staff_id})"
        return staff_id

    def register(self, live: Live) -> None:
        self.live[live.rec.id] = live
        for apply in self.early.pop(live.rec.id, []):
            apply(live)

    def with_conversation(self, cid: str, apply: Callable[[Live], None]) -> None:
        """Apply an event to its conversation, or keep it until the conversation's id
        is known (an offer can overtake the ``start`` ack)."""
        live = self.live.get(cid)
        if live is None:
            self.early.setdefault(cid, []).append(apply)
        else:
            apply(live)
            live.poke()


def shown_of(summary: Any) -> set[str]:
    """Staff a console summary shows as invited or observing."""
    if not isinstance(summary, dict):
        return set()
    return {p["id"] for key in ("invited", "observers") for p in summary.get(key) or [] if isinstance(p, dict)}


async def login(http: aiohttp.ClientSession, url: str, creds: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """POST /api/login; returns (Cookie header value, staff record)."""
    from chat_server.security import totp

    body = {"username": creds["username"], "password": creds["password"], "totp": totp.code_at(creds["totp"])}
    async with http.post(url + "/api/login", json=body) as resp:
        if resp.status != 200:
            raise RuntimeError(f"login failed: {resp.status} {await resp.text()}")
        data = await resp.json()
        return "rc_staff=" + resp.cookies["rc_staff"].value, data["staff"]
