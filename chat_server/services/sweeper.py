"""The sweep: housekeeping every process runs every ``sweep_interval_s`` seconds.

Safe on every process at once (each step is a compare-and-set or a claim that one
caller wins). In order: this process's heartbeat; the presence net (services/
presence.py): visitors shown connected whose socket is gone are marked away, and back
if another process misjudged this one; console sockets that are gone are removed;
conversations whose visitor has been away past the grace period, or that outlived the
maximum length, are abandoned; the chats of operators gone past ``operator_grace_s``
go back to the queue; routing runs; the waiting visitors connected to this process
whose place, estimate or notice changed are told (services/queue.py ``refresh``); the
feedback of ended days goes into the statistics (services/feedback.py).
"""

from __future__ import annotations

import logging

from ..config import Settings
from ..storage.base import StoreUnavailable
from .domain import Conversation, now_ms
from .feedback import Feedback
from .lifecycle import Lifecycle
from .presence import Presence
from .queue import Queue
from .repository import Repository
from .router import Router
from .sessions import VisitorSessions

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(
        self,
        repo: Repository,
        lifecycle: Lifecycle,
        sessions: VisitorSessions,
        router: Router,
        presence: Presence,
        settings: Settings,
        queue: Queue,
        feedback: Feedback,
    ) -> None:
        self._repo = repo
        self._lifecycle = lifecycle
        self._sessions = sessions
        self._router = router
        self._presence = presence
        self._settings = settings
        self._queue = queue
        self._feedback = feedback

    async def sweep(self) -> int:
        """One round (see the module). Returns the conversations abandoned here."""
        self._repo.drop_idle_ciphers()
        await self._presence.heartbeat()
        convs = await self._live()
        marked = set()
        for cid, sid in await self._presence.gone_visitors(convs):
            if await self._sessions.mark_away(cid, sid):
                log.info("visitor marked away: their socket is gone")
                marked.add(cid)
        for cid, sid in self._presence.returned_visitors(convs):
            await self._sessions.mark_back(cid, sid)
        staff_ids = {staff_id for staff_id, _ in await self._repo.on_duty()}
        staff_ids |= {s for c in convs for s in c.staff_participants()}
        for staff_id, node, sid in await self._presence.gone_consoles(staff_ids):
            await self._router.console_gone(staff_id, sid, node)
        done = await self._abandon(convs, marked)
        for centre in await self._repo.queue_centres():
            for cid in await self._repo.queue_ids(centre):
                if await self._repo.get(cid) is None:
                    await self._repo.forget_missing(cid)
        for staff_id in await self._router.take_dropped():
            await self._lifecycle.requeue_chats_of(staff_id, "operator_left")
        await self._router.kick()
        # Time passes for the waiting: an offer went unanswered, the wait passed the
        # limit, the service closed. Each process tells the visitors connected to it.
        await self._queue.refresh(self._repo.node_id)
        try:
            await self._feedback.flush()
        except StoreUnavailable as exc:
            log.warning("feedback not yet added to the statistics: a store is unavailable (%s)", type(exc).__name__)
        except Exception:  # noqa: BLE001 - statistics must never stop the sweep
            log.exception("could not add the feedback of a day to the statistics")
        return done

    async def _live(self) -> list[Conversation]:
        convs = []
        for cid in await self._repo.live_ids():
            conv = await self._repo.get(cid)
            if conv is None:
                await self._repo.forget_missing(cid)
            else:
                convs.append(conv)
        return convs

    async def _abandon(self, convs: list[Conversation], marked: set[str]) -> int:
        ts = now_ms()
        grace_ms = self._settings.grace_period_s * 1000
        done = 0
        for seen in convs:
            # Read again what the presence net has just marked away.
            conv = await self._repo.get(seen.id) if seen.id in marked else seen
            if conv is None:
                continue
            away = conv.visitor_away_since
            too_old = ts - conv.created_at > self._settings.max_conversation_s * 1000
            if (away is not None and ts - away >= grace_ms) or too_old:
                if await self._lifecycle.finish(conv.id, "abandoned"):
                    done += 1
        return done
