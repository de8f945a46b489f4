"""An operator in the soak: a real staff account logged in over HTTP, its console's
``/operator`` socket on one server process, on duty, answering the chats offered
(accept, decline, or let the offer time out), and recording what each of its chats
delivers into the conversation's record. Now and then its connection drops and comes
back (``drop_and_return``), as a console's network does.

Raw Engine.IO/Socket.IO (eio.py), every event in arrival order; one event loop holds
every client (soak_worker.py), so a conversation's script sees what both sides got.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from .eio import RawSocket
from .soak_records import Seen, Tenure
from .soak_world import Live, World, login, shown_of

#: How long the console keeps a message of a chat it does not have yet (EARLY_MS in
#: operator_console/src/state/chats.js), in seconds.
EARLY_S = 10.0


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
        self.http: aiohttp.ClientSession | None = None
        self.holding: set[str] = set()
        self.online = asyncio.Event()
        self.t_offline: float | None = None
        self.drops = 0
        self.duty_on = False
        self._lost_again = False

    async def start(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.cookie, staff = await login(http, self.url, self.creds)
        self.staff_id = staff["id"]
        await self._connect()
        await self._duty()
        self.online.set()

    async def _connect(self) -> None:
        """A console socket; the actor's own actions wait for :attr:`online`, which the
        caller sets once the console knows its chats again (``session``, ``sync``)."""
        assert self.http is not None
        self.sock = RawSocket(
            self.http,
            self.url,
            "/operator",
            headers={"Cookie": self.cookie},
            on_event=self.on_event,
            deliver_first=True,
            on_lost=self._lost,
        )
        await self.sock.connect()

    async def _setup_call(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """An event of the console's own setup (before :attr:`online`)."""
        assert self.sock is not None
        try:
            ack: dict[str, Any] = await self.sock.call(event, data, 30)
        except (TimeoutError, ConnectionError):
            ack = {"ok": False, "error": {"code": "no_ack"}}
        if not ack.get("ok"):
            self.world.refused_event(f"operator {event}", ack)
        return ack

    async def _duty(self) -> None:
        ack = await self._setup_call("duty", {"on": True, "languages": ["sv"]})
        if not ack.get("ok"):
            raise RuntimeError(f"duty refused: {ack}")
        self.duty_on = True

    async def drop_and_return(self, away_s: float) -> None:
        """The console's network drops without a goodbye and comes back after
        ``away_s`` with the same staff session: ``session`` lists the chats still
        assigned, ``sync`` those invited into; duty is taken again if the servers took
        it away (after ``operator_grace_s``)."""
        assert self.sock is not None
        w = self.world
        self.online.clear()
        self.drops += 1
        self.t_offline = t = w.now()
        self.sock.abort()
        for live in self._mine():
            live.rec.note(t, f"{w.who(self.staff_id)} console connection cut for {away_s:.1f}s")
        await asyncio.sleep(away_s)
        await self._return()

    def _lost(self) -> None:
        """The servers disconnected the console (its greeting failed, e.g. a store
        that did not answer): as the console does, it connects again at once."""
        w = self.world
        if w.stopping:
            return
        w.counts["consoles disconnected by the servers, connected again"] += 1
        if not self.online.is_set():  # while coming back: that return starts over
            self._lost_again = True
            return
        self.online.clear()
        self.t_offline = t = w.now()
        for live in self._mine():
            live.rec.note(t, f"{w.who(self.staff_id)} console disconnected by the server; connecting again")
        w.spawn(self._return())

    async def _return(self) -> None:
        self._lost_again = True
        while self._lost_again and not self.world.stopping:
            self._lost_again = False
            await self._return_once()
        self.t_offline = None
        self.online.set()
        for live in self.world.live.values():
            live.poke()

    async def _return_once(self) -> None:
        w = self.world
        for attempt in range(5):  # as a console does: try again, a little later each time
            try:
                await self._connect()  # its `session` reconciles the assigned chats (on_event)
                break
            except (TimeoutError, ConnectionError, aiohttp.ClientError):
                if attempt == 4:
                    raise
                await asyncio.sleep(2.0 * (attempt + 1))
        # As the console does: nothing the person does (leave, write) goes out before
        # the chats they were invited into are listed again with their history, so
        # what was said while the console was away is in front of them first.
        ack = await self._setup_call("sync", {})
        if self._lost_again:
            return  # disconnected again meanwhile: start over
        if ack.get("ok"):
            self._reconcile(ack.get("chats") or [], "invited", w.now())
        if not self.duty_on:
            try:
                await self._duty()
            except RuntimeError:
                if not self._lost_again:
                    raise

    def _mine(self) -> list[Live]:
        return [
            live
            for live in self.world.live.values()
            if any(x.staff_id == self.staff_id and x.open for x in live.rec.tenures)
        ]

    def _reconcile(self, chats: list[dict[str, Any]], role: str, t: float) -> None:
        """After a reconnect: the chats the servers list for this console (history in
        full) against the chats it had open."""
        listed: set[str] = set()
        for chat in chats:
            summary = chat.get("conversation") or {}
            cid = str(summary.get("id"))
            listed.add(cid)
            history = [Seen.of(m, t) for m in chat.get("messages") or []]

            def apply(live: Live, summary: dict[str, Any] = summary, history: list[Seen] = history) -> None:
                tenure = next(
                    (
                        x
                        for x in reversed(live.rec.tenures)
                        if x.staff_id == self.staff_id and x.open and x.role == role
                    ),
                    None,
                )
                if tenure is None:  # given to them while they were away
                    tenure = Tenure(self.staff_id, role, "reconnect", t, history=history, shown=shown_of(summary))
                    live.rec.tenures.append(tenure)
                else:
                    tenure.resyncs.append(history)
                    tenure.shown |= shown_of(summary)
                if role == "holder":
                    live.holder = self
                live.rec.note(
                    t, f"{self.world.who(self.staff_id)} back: chat listed as {role}, {len(history)} messages"
                )

            self.world.with_conversation(cid, apply)
        if role == "holder":
            self.holding = set(listed)
        for live in self._mine():
            for tenure in live.rec.tenures:
                if (
                    tenure.staff_id == self.staff_id
                    and tenure.open
                    and tenure.role == role
                    and live.rec.id not in listed
                ):
                    # Taken away while they were gone (back to the queue after the
                    # operator grace): the console knew it until the drop.
                    tenure.t_end, tenure.end = self.t_offline or t, "released:gone_after_reconnect"
                    if live.holder is self:
                        live.holder = None
                    live.rec.note(t, f"{self.world.who(self.staff_id)} back: chat no longer listed as {role}")
                    live.poke()

    async def call(self, event: str, data: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        """An acknowledged event (once the console is connected); a refusal is counted
        by code, a missing ack is ``{"ok": False, "error": {"code": "no_ack"}}``."""
        try:
            await asyncio.wait_for(self.online.wait(), 180)
            assert self.sock is not None
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
        if event == "session":
            self.duty_on = bool((data.get("duty") or {}).get("on"))
            # As the console does after a reconnect: "… is writing" shown before is
            # stale (the visitor's "stopped" may have come while it was away).
            for live in self._mine():
                shown = live.rec.typing.get(self.staff_id)
                if shown and shown[-1][1]:
                    shown.append((t, False))
            self._reconcile(data.get("chats") or [], "holder", t)
        elif event == "offer":
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
        connected = (data.get("conversation") or {}).get("visitor_connected")
        w.with_conversation(
            cid, lambda live: live.rec.note(t, f"offered to {w.who(self.staff_id)} (visitor_connected {connected})")
        )
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
        if role == "holder" and (cid in self.world.spares or cid not in self.world.live):
            self.world.spawn(self._end_unknown(cid))
        history = [Seen.of(m, t) for m in data.get("messages") or []]

        def apply(live: Live) -> None:
            rec = live.rec
            early = [(staff_id, m) for staff_id, m in rec.stray if staff_id == self.staff_id and t - m.t < EARLY_S]
            if early:  # as the console merges them: once, after the history
                rec.stray = [x for x in rec.stray if x not in early]
                had = {m.id for m in history}
                history.extend(m for _staff_id, m in early if m.id not in had)
                rec.note(t, f"{self.world.who(self.staff_id)} had {len(early)} message(s) of the chat just before")
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

    async def _end_unknown(self, cid: str) -> None:
        """A chat the soak does not follow (a spare): end it, after 20 s unless its
        conversation turns out to be one of ours (its start ack was slow)."""
        if cid not in self.world.spares:
            await asyncio.sleep(20)
            if cid in self.world.live and cid not in self.world.spares:
                return
        ack = await self.call("end", {"conversation_id": cid, "triage": None})
        self.holding.discard(cid)
        self.world.early.pop(cid, None)
        self.world.cleanup["chat not followed by the soak, ended by its operator: " + str(ack.get("ok"))] += 1

    def _message(self, data: dict[str, Any], t: float) -> None:
        seen = Seen.of(data, t)

        def apply(live: Live) -> None:
            tenure = live.rec.open_tenure(self.staff_id)
            if tenure is not None and seen.id and any(m.id == seen.id for m in tenure.history or ()):
                # Written while the chat changed hands: the new participant's history
                # has it and it comes live too (services/messages.py _as_now). The
                # console keeps a message once by its id (addMessage in chats.js).
                self.world.counts["messages both in a new participant's history and live (shown once)"] += 1
            elif tenure is not None:
                tenure.live.append(seen)
            else:
                # Stray unless its `assigned`/`invited` follows within EARLY_S: the
                # console keeps such a message and merges it into the chat (keepEarly in
                # operator_console/src/state/chats.js); another process may relay it first.
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
