"""The soak's clients: operators (real staff accounts on duty, accepting offers) and
visitor connections, each recording what it received into the conversation's record.

They speak raw Engine.IO/Socket.IO (eio.py) like the other benchmark generators, with
every event delivered in arrival order. All of them run on one event loop in one
load-generator process (soak_director.py), so a conversation's script can wait for
what the other side received.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp

from .eio import RawSocket
from .soak_records import ConvRecord, Fault, Seen, Tenure, VisitorConn

# A follow-up code (docs/protocol.md "Follow-up codes"): 4 groups of 4 Crockford symbols.
FOLLOWUP_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


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
        self.stopping = False
        self.tasks: set[asyncio.Task[Any]] = set()

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

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


class OperatorActor:
    """One staff member in the console: on duty, accepts (or declines, or lets time out)
    the chats offered, and records what each of their chats delivers."""

    def __init__(self, world: World, index: int, creds: dict[str, str], process: int) -> None:
        self.world = world
        self.index = index
        self.creds = creds
        self.process = process
        self.url = world.urls[process]
        self.name = f"Op {index}"
        self.staff_id = ""
        self.cookie = ""
        self.sock: RawSocket | None = None
        self.holding: set[str] = set()

    async def start(self, http: aiohttp.ClientSession) -> None:
        self.cookie, staff = await login(http, self.url, self.creds)
        self.staff_id = staff["id"]
        self.sock = RawSocket(
            http, self.url, "/operator", headers={"Cookie": self.cookie}, on_event=self.on_event, deliver_first=True
        )
        await self.sock.connect()
        ack = await self.call("duty", {"on": True, "languages": ["sv"]})
        if not ack.get("ok"):
            raise RuntimeError(f"duty refused: {ack}")

    async def call(self, event: str, data: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        """An acknowledged event; a refusal is counted by code, a missing ack is
        ``{"ok": False, "error": {"code": "no_ack"}}``."""
        assert self.sock is not None
        try:
            ack: dict[str, Any] = await self.sock.call(event, data, timeout)
        except (TimeoutError, ConnectionError):
            ack = {"ok": False, "error": {"code": "no_ack"}}
        if not ack.get("ok"):
            self.world.refused_event(f"operator {event}", ack)
        return ack

    # events -----------------------------------------------------------------------------
    def on_event(self, event: str, data: Any, raw: str) -> None:
        t = self.world.now()
        if not isinstance(data, dict):
            return
        if event == "offer":
            self._offer(data, t)
        elif event == "offer_withdrawn":
            self.world.offers["withdrawn: " + str(data.get("reason"))] += 1
        elif event in ("assigned", "invited"):
            self._joined(event, data, t)
        elif event == "message" and data.get("conversation_id"):
            self._message(data, t)
        elif event == "typing" and data.get("conversation_id"):
            active = bool(data.get("active"))
            self.world.with_conversation(
                data["conversation_id"], lambda live: live.rec.typing.setdefault(self.staff_id, []).append((t, active))
            )
        elif event == "conversation":
            summary = data.get("conversation") or {}
            if summary.get("id"):
                self.world.with_conversation(summary["id"], lambda live: self._shown(live, summary))
        elif event in ("released", "ended") and data.get("conversation_id"):
            how = f"{event}:{data.get('reason')}"
            self.world.with_conversation(data["conversation_id"], lambda live: self._left(live, how, t))

    def _offer(self, data: dict[str, Any], t: float) -> None:
        w = self.world
        cid = (data.get("conversation") or {}).get("id")
        if not cid:
            return
        w.offers["received"] += 1
        if data["conversation"].get("visitor_connected") is False:
            # The server's own summary says the visitor is gone (issue 14: offers only
            # for visitors whose connection is live).
            w.with_conversation(
                cid,
                lambda live: live.rec.fault(
                    "offer_for_away_visitor",
                    f"offered to {w.who(self.staff_id)} at {t:.2f}s with visitor_connected: false in the offer",
                ),
            )
        r = w.rng.random()
        if r < w.task["p_ignore_offer"]:
            w.offers["let time out"] += 1
            return
        decline = r < w.task["p_ignore_offer"] + w.task["p_decline_offer"]
        w.spawn(self._answer(cid, decline, w.rng.uniform(0.05, 0.6)))

    async def _answer(self, cid: str, decline: bool, delay: float) -> None:
        await asyncio.sleep(delay)
        event = "decline" if decline else "accept"
        ack = await self.call(event, {"conversation_id": cid})
        self.world.offers[f"{event} {'ok' if ack.get('ok') else ack.get('error', {}).get('code')}"] += 1
        if decline and ack.get("ok"):
            live = self.world.live.get(cid)
            if live is not None:
                live.rec.note(self.world.now(), f"{self.name} declined the offer")

    def _joined(self, event: str, data: dict[str, Any], t: float) -> None:
        summary = data.get("conversation") or {}
        cid = summary.get("id")
        if not cid:
            return
        role = "holder" if event == "assigned" else "invited"
        how = "invite" if role == "invited" else ("transfer" if data.get("transferred_by") else "accept")
        history = [Seen.of(m, t) for m in data.get("messages") or []]

        def apply(live: Live) -> None:
            rec = live.rec
            tenure = Tenure(self.staff_id, role, how, t, history=history, shown=shown_of(summary))
            rec.tenures.append(tenure)
            rec.note(t, f"{self.world.who(self.staff_id)} got {event} ({how}), history of {len(history)}")
            if role == "holder":
                self.holding.add(cid)
                live.holder = self
                if len(self.holding) > self.world.max_chats:
                    rec.fault(
                        "above_maximum",
                        f"{self.world.who(self.staff_id)} holds {len(self.holding)} chats (maximum "
                        f"{self.world.max_chats}) after {event} via {how} at {t:.2f}s",
                        f"  chats held: {sorted(self.holding)}",
                    )

        self.world.with_conversation(cid, apply)

    def _message(self, data: dict[str, Any], t: float) -> None:
        seen = Seen.of(data, t)

        def apply(live: Live) -> None:
            tenure = live.rec.open_tenure(self.staff_id)
            if tenure is not None:
                tenure.live.append(seen)
            else:
                live.rec.stray.append((self.staff_id, seen))

        self.world.with_conversation(data["conversation_id"], apply)

    def _shown(self, live: Live, summary: dict[str, Any]) -> None:
        tenure = live.rec.open_tenure(self.staff_id)
        if tenure is not None and tenure.role == "holder":
            tenure.shown |= shown_of(summary)

    def _left(self, live: Live, how: str, t: float) -> None:
        for tenure in live.rec.tenures:
            if tenure.staff_id == self.staff_id and tenure.open:
                tenure.t_end, tenure.end = t, how
        self.holding.discard(live.rec.id)
        if live.holder is self:
            live.holder = None
        live.rec.note(t, f"{self.world.who(self.staff_id)} got {how}")


def _cards_in(item: Any) -> list[list[str]]:
    """Card id lists anywhere in a history item (whatever shape the server gives the
    referral entries it replays)."""
    found: list[list[str]] = []
    if isinstance(item, dict):
        cards = item.get("cards")
        if isinstance(cards, list) and all(isinstance(c, dict) for c in cards):
            found.append([str(c.get("id")) for c in cards])
        for value in item.values():
            if isinstance(value, dict | list):
                found += _cards_in(value)
    elif isinstance(item, list):
        for value in item:
            found += _cards_in(value)
    return found


def _codes_in(item: Any) -> list[str]:
    """Follow-up codes anywhere in a history item."""
    if isinstance(item, str):
        return [item] if FOLLOWUP_CODE.match(item) else []
    if isinstance(item, dict):
        return [c for v in item.values() for c in _codes_in(v)]
    if isinstance(item, list):
        return [c for v in item for c in _codes_in(v)]
    return []


class VisitorLink:
    """One visitor socket; records what it receives into the current VisitorConn."""

    def __init__(self, world: World, http: aiohttp.ClientSession, process: int, live: Live) -> None:
        self.world = world
        self.http = http
        self.process = process
        self.live = live
        self.conn: VisitorConn | None = None
        self.sock: RawSocket | None = None
        self.session: dict[str, Any] | None = None

    async def open(self, conn: VisitorConn, resume: str | None) -> dict[str, Any]:
        """Connect (with ``auth={"resume": token}`` when given) and wait for ``session``."""
        self.conn = conn
        self.sock = RawSocket(
            self.http, self.world.urls[self.process], "/visitor", on_event=self.on_event, deliver_first=True
        )
        await self.sock.connect(auth={"resume": resume} if resume else None)
        if not await self.live.until(lambda: self.session is not None, 30):
            raise TimeoutError("no session event")
        assert self.session is not None
        return self.session

    async def call(self, event: str, data: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        assert self.sock is not None
        try:
            ack: dict[str, Any] = await self.sock.call(event, data, timeout)
        except (TimeoutError, ConnectionError):
            ack = {"ok": False, "error": {"code": "no_ack"}}
        if not ack.get("ok"):
            self.world.refused_event(f"visitor {event}", ack)
        return ack

    async def send_unacked(self, event: str, data: dict[str, Any]) -> None:
        """Write an event to the socket without waiting for its ack (the connection is
        about to be cut: the server may or may not get to it)."""
        assert self.sock is not None
        await self.sock.send(event, data, lambda _payload: None)

    def on_event(self, event: str, data: Any, raw: str) -> None:
        t = self.world.now()
        c = self.conn
        if c is None or not isinstance(data, dict):
            return
        if event == "session":
            self.session = data
            c.session_conversation = (data.get("conversation") or {}).get("id")
        elif event == "history":
            c.histories += 1
            items = data.get("messages") or []
            if c.history is None:
                c.history = [Seen.of(m, t) for m in items]
                c.t_history = t
                c.live_before_history = len(c.live)
                for item in items:
                    c.history_referrals += _cards_in(item)
                    c.followup_codes += [(t, code) for code in _codes_in(item)]
        elif event == "message":
            c.live.append(Seen.of(data, t))
        elif event == "state":
            c.states.append((t, str(data.get("state"))))
        elif event == "ended":
            c.ended.append((t, str(data.get("reason"))))
        elif event == "referral":
            c.referrals.append((t, [str(card.get("id")) for card in data.get("cards") or [] if isinstance(card, dict)]))
        elif event == "followup_code":
            c.followup_codes.append((t, str(data.get("code"))))
        elif event == "typing":
            c.typing.append((t, bool(data.get("active"))))
        self.live.poke()

    def cut(self, kind: str) -> None:
        """Cut the connection without a goodbye: ``abort`` (TCP closed, no close frame),
        ``silent`` (the network vanishes; the server notices by its ping timeout) or
        ``close`` (a WebSocket close frame, but no Socket.IO DISCONNECT)."""
        sock = self.sock
        if sock is None:
            return
        if kind == "abort":
            sock.abort()
        elif kind == "silent":
            sock.go_silent()
            # The server closes it after its ping timeout; free it well after that.
            self.world.spawn(_close_later(sock, 60.0))
        else:
            sock.go_silent()
            self.world.spawn(sock.close())
        self.sock = None
        self.session = None

    async def close(self) -> None:
        if self.sock is not None:
            await self.sock.close()
            self.sock = None


async def _close_later(sock: RawSocket, delay: float) -> None:
    await asyncio.sleep(delay)
    await sock.close()
