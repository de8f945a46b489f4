"""Keeping the queue usable under abuse: caps on waiting chats, burst alerts, removal.

A flood of fake chats (marked urgent, 13-15) from many addresses would push a real
visitor in danger far down the queue. What holds:

* **Caps.** At most ``max_waiting`` conversations wait at once (``queue_full``), and at
  most ``max_waiting_per_key`` of them from one address key (the daily HMAC of the IPv4
  address or IPv6 network: ``rate_limited``). The per-key cap is well above a school
  class (issue 17: at least 30 chats from one school network within ten minutes must
  start), so it stops a runaway script, not a class. The starts of one process take
  turns between the check and the creation of the chat, so a flood of simultaneous
  starts cannot slip past a cap; with several processes on one store, each may admit
  one chat beyond it at the same moment.
* **Burst alerts.** Supervisors get an ``alert`` of kind ``start_burst`` when one address
  key starts ``burst_alert_per_key`` chats within a minute, or everyone together
  ``burst_alert_total`` (and again each time that count doubles within the minute): it
  lists the waiting chats of the burst. A class and an attack look alike to a machine;
  a supervisor decides.
* **Removal.** A supervisor removes waiting chats they judge fake
  (:meth:`QueueGuard.do_remove_waiting`): each ends as ``blocked`` and its address key is
  blocked for ``block_s``, so the script cannot refill the queue from there. Active chats
  are never removed this way (a counsellor is talking to someone).

Each centre has its own queue (issue 19), so the caps and the burst windows are per
centre (a flood against one centre does not close the others), an alert goes to the
supervisors of the centre concerned, and a supervisor removes only their centres' chats.

Nothing here stores an address: the key on the conversation record is the daily keyed
hash, held in the ephemeral store and destroyed with the conversation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypedDict

from ..config import Settings
from ..storage.base import StoreUnavailable
from .audit import Audit
from .centre_domain import DEFAULT_CENTRE, memberships
from .domain import Conversation, Staff, VisitorSession, now_ms
from .errors import MSG_FORBIDDEN, N_, ServiceError
from .lifecycle import Announce, Attach, Lifecycle
from .payloads import Brief, ConsoleSummary, console_summary
from .recipients import Notify
from .repository import Repository
from .roles import SUPERVISORS
from .starting import StartRequest, Starts

log = logging.getLogger(__name__)

#: The window of a burst (s).
BURST_WINDOW_S = 60
MSG_QUEUE_FULL = N_("Very many people are waiting for a chat right now. Please try again in a few minutes.")
MSG_TOO_MANY_HERE = N_(
    "Many chats from this network are already waiting. Please try again in a few minutes, "
    "or call one of the numbers below."
)

Accounts = Callable[[], Awaitable[list[dict[str, Any]]]]


class BurstAlert(TypedDict):
    """The ``alert`` event of kind ``start_burst`` (docs/protocol.md)."""

    kind: Literal["start_burst"]
    scope: Literal["network", "all"]
    count: int
    window_s: int
    conversations: list[ConsoleSummary]


def _alerts_at(count: int, threshold: int) -> bool:
    """Alert when a window's count reaches the threshold, and again each time it
    doubles (10, 20, 40, …): a flood that goes on is told again with the chats it added,
    without a beep per chat. Counts come from one atomic counter, so each is seen by
    one start only, on any process."""
    return count >= threshold > 0 and count % threshold == 0 and (count // threshold).bit_count() == 1


class QueueGuard:
    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        lifecycle: Lifecycle,
        starts: Starts,
        accounts: Accounts,
        audit: Audit,
        settings: Settings,
    ) -> None:
        self._repo = repo
        self._notify = notify
        self._lifecycle = lifecycle
        self._starts = starts
        self._accounts = accounts
        self._audit = audit
        self._settings = settings
        self._admission = asyncio.Lock()  # starts of this process, one at a time (caps)

    # --- starting ---------------------------------------------------------------------
    async def do_start(
        self, sess: VisitorSession, request: StartRequest, attach: Attach, sid: str, address_key: str = ""
    ) -> tuple[VisitorSession, Brief, Announce]:
        """:meth:`~.starting.Starts.do_start` within the caps (:meth:`check_may_queue`): the
        check and the creation take turns with the other starts of this process. What
        to announce after the ack also counts a new chat towards the burst alerts
        (:meth:`do_started`). ``queue_full``, ``rate_limited`` and whatever ``do_start``
        raises."""
        async with self._admission:
            await self.check_may_queue(sess, address_key, request.centre)
            previous = sess.conversation_id
            sess, brief, announce = await self._starts.do_start(sess, request, attach, sid, address_key)
        if brief["id"] == previous:  # its live chat (start is idempotent): nothing new
            return sess, brief, announce

        async def announce_and_count() -> None:
            await announce()
            try:
                await self.do_started(brief["id"], address_key, request.centre)
            except StoreUnavailable:
                log.warning("burst count skipped: the ephemeral store is unavailable")

        return sess, brief, announce_and_count

    # --- caps -------------------------------------------------------------------------
    async def check_may_queue(self, sess: VisitorSession, address_key: str, centre: str = DEFAULT_CENTRE) -> None:
        """May this session put a new chat in ``centre``'s queue? ``queue_full`` at
        ``max_waiting`` waiting chats there, ``rate_limited`` at ``max_waiting_per_key``
        from its address key. A session whose chat lives passes (``start`` is
        idempotent)."""
        if await self._repo.get_live(sess.conversation_id) is not None:
            return
        ids = await self._repo.queue_ids(centre)
        if len(ids) >= self._settings.max_waiting:
            log.warning("a start was refused: %d conversations are waiting (the cap)", len(ids))
            raise ServiceError("queue_full", MSG_QUEUE_FULL)
        if not address_key or len(ids) < self._settings.max_waiting_per_key:
            return
        # Read only when the queue is long enough to matter; at most max_waiting records.
        mine = sum(1 for conv in await self._repo.waiting(ids) if conv.address_key == address_key)
        if mine >= self._settings.max_waiting_per_key:
            log.warning("a start was refused: one address key has %d chats waiting (the cap)", mine)
            raise ServiceError("rate_limited", MSG_TOO_MANY_HERE)

    # --- bursts -----------------------------------------------------------------------
    async def do_started(self, conversation_id: str, address_key: str, centre: str = DEFAULT_CENTRE) -> int:
        """Count a new chat of ``centre`` towards its burst windows (per address key and
        in all) and alert the centre's supervisors when one fills. Returns the alerts
        sent."""
        sent = 0
        if address_key:
            n = await self._repo.count(f"burst:key:{centre}:{address_key}", BURST_WINDOW_S)
            if _alerts_at(n, self._settings.burst_alert_per_key):
                waiting = await self._repo.waiting(centre=centre)
                sent += await self._alert(centre, "network", n, [c for c in waiting if c.address_key == address_key])
        total = await self._repo.count("burst:all:" + centre, BURST_WINDOW_S)
        if _alerts_at(total, self._settings.burst_alert_total):
            since = now_ms() - BURST_WINDOW_S * 1000
            waiting = await self._repo.waiting(centre=centre)
            sent += await self._alert(centre, "all", total, [c for c in waiting if c.created_at >= since])
        return sent

    async def _alert(self, centre: str, scope: Literal["network", "all"], count: int, chats: list[Conversation]) -> int:
        payload: BurstAlert = {
            "kind": "start_burst",
            "scope": scope,
            "count": count,
            "window_s": BURST_WINDOW_S,
            "conversations": [console_summary(c) for c in chats],
        }
        supervisors = [
            r["id"]
            for r in await self._accounts()
            if memberships(r).get(centre) in SUPERVISORS and not r.get("disabled")
        ]
        for staff_id in supervisors:
            await self._notify.to_staff(staff_id, "alert", payload)
        log.warning("burst of new chats (%s): %d within %d s; supervisors alerted", scope, count, BURST_WINDOW_S)
        return 1

    # --- removal ----------------------------------------------------------------------
    async def do_remove_waiting(self, staff: Staff, conversation_ids: list[str]) -> int:
        """A supervisor removes waiting chats they judge fake: each ends as ``blocked``
        (its visitor is told the chat ended) and its address key is blocked for
        ``block_s``. Chats no longer waiting, and chats of centres they do not
        supervise (as if unknown), are left alone. ``forbidden`` for someone who
        supervises no centre. Returns how many were removed."""
        scope = {c for c, role in staff.memberships.items() if role in SUPERVISORS}
        if not scope:
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        removed = 0
        for cid in dict.fromkeys(conversation_ids):
            conv = await self._repo.get_live(cid)
            if conv is None or conv.state != "waiting" or conv.centre not in scope:
                continue
            # Only while it still waits: a counsellor who took it meanwhile keeps it.
            if await self._lifecycle.finish(conv.id, "blocked", when=lambda c: c.state == "waiting"):
                removed += 1
                if conv.address_key:
                    await self._repo.block(conv.address_key, self._settings.block_s)
                await self._audit.record(staff.id, "block", conv.id, centres=[conv.centre])
        log.info("a supervisor removed %d waiting chats", removed)
        return removed
