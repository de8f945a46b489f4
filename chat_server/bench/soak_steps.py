"""The steps of a soak conversation between its start and its end: messages both ways
at once, a visitor connection cut without a goodbye and resumed on either process, a
transfer to a colleague or back to the queue, an invitation and leaving it, referral
cards and a follow-up code. Each records what it did in the conversation's timeline."""

from __future__ import annotations

import asyncio

from .soak_records import Drop, Referral, Sent, VisitorConn
from .soak_script import Script
from .soak_visitor import VisitorLink
from .soak_world import shown_of


class Steps(Script):
    async def exchange(self) -> None:
        """Both sides write at once, each one message at a time (waiting for its ack)."""
        holder = self.live.holder
        assert holder is not None
        nv, no = self.rng.randint(0, 3), self.rng.randint(1, 3)
        invitee = next((t for t in self.rec.tenures if t.role == "invited" and t.open), None)

        async def visitor() -> None:
            for _ in range(nv):
                await self.visitor_says()
                await self.think(0.3)

        async def staff() -> None:
            for _ in range(no):
                if self.live.holder is not holder:  # the chat changed hands meanwhile
                    return
                await self.staff_says(holder, internal=self.rng.random() < 0.1)
                await self.think(0.3)
            if invitee is not None and invitee.open and self.rng.random() < 0.5:
                op = next(o for o in self.w.operators if o.staff_id == invitee.staff_id)
                await self.staff_says(op)

        await asyncio.gather(visitor(), staff())

    async def drop(self, waiting: bool = False) -> None:
        """Cut the visitor's connection without a goodbye, let the operator write
        meanwhile, then resume with the token on the same or the other process."""
        w, rec, rng, live = self.w, self.rec, self.rng, self.live
        assert self.link is not None
        kind = rng.choices(["abort", "silent", "close"], [6, 2, 2])[0]
        holder = live.holder
        typing = kind != "silent" and holder is not None and rng.random() < 0.5
        if typing:
            await self.link.call("typing", {"active": True})
            await asyncio.sleep(0.05)
        in_flight = None
        if rng.random() < 0.3:
            in_flight = self._new_sent("visitor")
            in_flight.first_unacked = True
            await self.link.send_unacked("message", {"client_id": in_flight.client_id, "text": in_flight.text})
            self.rec.note(self.now(), f"visitor sent {in_flight.client_id}, the connection is cut before its ack")
        t = self.now()
        rec.drops.append(
            Drop(t, kind, typing, in_flight.client_id if in_flight else None, holder.staff_id if holder else None)
        )
        drop = rec.drops[-1]
        drop.process_from = self.link.process
        conn = self.conn()
        conn.t_cut, conn.cut = t, kind
        self.link.cut(kind)
        if kind != "silent":
            live.visitor_down_since = t
        rec.note(t, f"visitor connection cut ({kind}){' after typing' if typing else ''}")
        if holder is not None and not waiting:
            for _ in range(rng.randint(0, 2)):
                if live.holder is holder:
                    await self.staff_says(holder)
            if w.receivers and rng.random() < 0.3:
                await self.referral(during_drop=True)
            if rng.random() < 0.05:
                await self.followup(during_drop=True)
        await self.think(1.5)
        await self.resume(drop, in_flight)

    async def resume(self, drop: Drop, in_flight: Sent | None) -> None:
        w, rec, live = self.w, self.rec, self.live
        process = self.rng.randrange(len(w.urls))
        self.link = VisitorLink(w, self.http, process, live)
        conn = VisitorConn(len(rec.conns) + 1, process, self.now(), resumed=True)
        rec.conns.append(conn)
        session = await self.link.open(conn, self.token)
        live.visitor_down_since = None
        drop.t_resume, drop.process_to = self.now(), process
        got = conn.session_conversation
        rec.note(self.now(), f"visitor resumed on P{process}: session.conversation {got}")
        if got != rec.id:
            rec.fault(
                "conversation_lost",
                f"resume on P{process} at {self.now():.2f}s re-attached {got!r}, not {rec.id}",
                f"  the connection was cut ({drop.kind}) at {drop.t:.2f}s on P{drop.process_from}",
                broken=True,
            )
            return
        self.token = str(session.get("token") or self.token)
        if not await live.until(lambda: conn.history is not None, 15):
            rec.fault("conversation_lost", f"no history within 15 s of the resume on P{process}", broken=True)
            return
        if in_flight is not None:  # the widget's outbox sends it again, same client_id
            in_flight.attempts += 1
            ack = await self.link.call("message", {"client_id": in_flight.client_id, "text": in_flight.text})
            self._acked(in_flight, ack, "the visitor (resent)")

    async def transfer_colleague(self) -> None:
        rec, live = self.rec, self.live
        holder = live.holder
        assert holder is not None
        targets = [o for o in self.w.operators if o is not holder and o.online.is_set()]
        if not targets:
            return
        target = self.rng.choice(targets)
        before = len(rec.tenures)
        note = "Överlämning: har pratat om skolan." if self.rng.random() < 0.5 else None
        ack = await holder.call("transfer", {"conversation_id": rec.id, "to": target.staff_id, "note": note})
        rec.note(self.now(), f"transfer to {target.name}: {'ok' if ack.get('ok') else ack.get('error')}")
        if ack.get("ok") and not await live.until(lambda: live.holder is target and len(rec.tenures) > before, 90):
            rec.fault(
                "conversation_stuck",
                f"transfer to {self.w.who(target.staff_id)} acknowledged, but it never got assigned",
                broken=True,
            )

    async def transfer_queue(self) -> None:
        rec, live = self.rec, self.live
        holder = live.holder
        assert holder is not None
        before, t = len(rec.tenures), self.now()
        ack = await holder.call("transfer", {"conversation_id": rec.id, "to": "queue", "note": None})
        rec.note(self.now(), f"transfer to the queue: {'ok' if ack.get('ok') else ack.get('error')}")
        if not ack.get("ok"):
            return
        again = [x for x in rec.tenures[before:] if x.staff_id == holder.staff_id and x.role == "holder"]
        if again and again[0].end == "released:transferred":
            # Offered back to them and accepted while their own transfer was still
            # being handled: the `released` of the transfer came after the new
            # `assigned`, so their console drops a chat the server has given them.
            rec.fault(
                "stale_release",
                f"{self.w.who(holder.staff_id)} handed the chat to the queue at {t:.2f}s, accepted it again "
                f"at {again[0].t_start:.2f}s, then got released {{reason: transferred}} at {again[0].t_end:.2f}s",
            )
        if self.rng.random() < 0.5:
            await self.visitor_says()  # while back in the queue
        await self.wait_holder(before, "after the transfer to the queue", self.w.task["queue_timeout_s"])

    async def invite(self) -> None:
        rec, live = self.rec, self.live
        holder = live.holder
        assert holder is not None
        busy = {t.staff_id for t in rec.tenures if t.open}
        choices = [o for o in self.w.operators if o.staff_id not in busy and o.online.is_set()]
        if not choices:
            return
        target = self.rng.choice(choices)
        ack = await holder.call("invite", {"conversation_id": rec.id, "to": target.staff_id})
        rec.note(self.now(), f"invite {target.name}: {'ok' if ack.get('ok') else ack.get('error')}")
        if not ack.get("ok"):
            return
        tenure = rec.open_tenure(holder.staff_id)
        if tenure is not None:
            tenure.shown |= shown_of(ack.get("conversation"))
        if not await live.until(lambda: rec.open_tenure(target.staff_id) is not None, 90):
            rec.fault("conversation_stuck", f"invite of {self.w.who(target.staff_id)} acknowledged, never invited")

    async def leave(self) -> None:
        rec = self.rec
        tenure = next((t for t in rec.tenures if t.role == "invited" and t.open), None)
        if tenure is None:
            return
        op = next(o for o in self.w.operators if o.staff_id == tenure.staff_id)
        ack = await op.call("leave", {"conversation_id": rec.id})
        if ack.get("ok"):
            await self.live.until(lambda: not tenure.open, 10)

    async def referral(self, during_drop: bool = False) -> None:
        holder = self.live.holder
        if holder is None:
            return
        targets = self.rng.sample(self.w.receivers, k=min(len(self.w.receivers), self.rng.randint(1, 2)))
        ack = await holder.call("referral", {"conversation_id": self.rec.id, "targets": targets})
        if ack.get("ok"):
            cards = [str(c.get("id")) for c in ack.get("cards") or []]
            self.rec.referrals.append(Referral(self.now(), holder.staff_id, cards, during_drop))

    async def followup(self, during_drop: bool = False) -> None:
        holder = self.live.holder
        if holder is None:
            return
        ack = await holder.call(
            "followup_summary", {"conversation_id": self.rec.id, "summary": "Pratade om stöd i skolan."}
        )
        if ack.get("ok"):
            self.rec.followups.append((self.now(), during_drop))
