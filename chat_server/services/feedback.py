"""The one-question feedback after a chat: "Did you get the help you needed?" (yes,
partly, no). Optional, anonymous, and counted only as aggregate statistics.

* **One answer per ended chat.** When an answered chat ends (the visitor or the
  counsellor ended it), the visitor's ``ended`` event carries a random single-use
  token. The ephemeral store keeps only its hash, with nothing else, for
  :data:`TOKEN_TTL_S`; an answer deletes it atomically (the first caller on any
  process wins), so a replayed or copied answer is refused with ``not_found``. The
  token is not derived from the conversation and the conversation is destroyed before
  it is sent: nothing links an answer to a chat.
* **Never linked by time.** An answer adds one to a tally of its day (Stockholm) in
  the ephemeral store. Tallies reach the durable statistics only as whole days, after
  the day has ended (:meth:`Feedback.flush`, from the sweep; one process claims each
  day), so not even the moment of a write lines up with a chat's end. A day's tally is
  lost if the memory store restarts before it is flushed (or after
  :data:`FLUSH_DAYS` days without a sweep): feedback is optional and a few lost
  answers are better than a finer time.
* **Suppressed like every count.** ``feedback:yes|partly|no`` are a table of the
  statistics (services/stats_protection.py): a value counting 1 to 4 is never
  published.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta

from ..storage.base import DEFAULT_CENTRE, Ephemeral, StoreUnavailable
from .errors import MSG_INVALID, N_, ServiceError
from .stats import TZ, Stats
from .stats_protection import FEEDBACK_ANSWERS

log = logging.getLogger(__name__)

#: The answers (the ``feedback`` table of the statistics).
ANSWERS = FEEDBACK_ANSWERS
#: How long after the end of a chat its feedback may be given.
TOKEN_TTL_S = 3600
#: Days back a sweep flushes (a day is flushed once, by the first process to claim it).
FLUSH_DAYS = 3
#: A day is flushed this long after its midnight: an answer given at 23:59:59 has been
#: counted by then.
FLUSH_AFTER = timedelta(minutes=5)
_ANSWER_KIND = "feedback_answer"
_FLUSHED_KIND = "feedback_flushed"
_FLUSHING_KIND = "feedback_flushing"
#: How long one process may hold a day it is adding to the statistics (s).
_CLAIM_TTL_S = 120
_TALLY_TTL_S = (FLUSH_DAYS + 2) * 24 * 3600

MSG_FEEDBACK_GONE = N_("Your answer could not be saved: it was already given, or too much time has passed.")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _tally(day: str, centre: str, answer: str) -> str:
    return f"feedback:{day}:{centre}:{answer}"


def _centres_of(day: str) -> str:
    """The index of the centres with answers on ``day``."""
    return f"feedback_centres:{day}"


class Feedback:
    """Tokens, answers and their daily tallies. ``clock`` (aware) is replaceable in tests."""

    def __init__(self, eph: Ephemeral, stats: Stats, clock: Callable[[], datetime] | None = None) -> None:
        self._eph = eph
        self._stats = stats
        self.clock = clock or (lambda: datetime.now(TZ))

    async def issue(self, centre: str = DEFAULT_CENTRE) -> str:
        """A new single-use token for one ended chat of ``centre`` (only its hash is
        stored, with the centre whose statistics count the answer)."""
        token = secrets.token_urlsafe(18)
        await self._eph.put(_ANSWER_KIND, _hash(token), {"centre": centre}, TOKEN_TTL_S)
        return token

    async def do_answer(self, token: str, answer: str) -> None:
        """Count ``answer`` for today, once per token. ``invalid`` for an answer not in
        :data:`ANSWERS`; ``not_found`` for a token used already, expired or unknown."""
        if answer not in ANSWERS:
            raise ServiceError("invalid", MSG_INVALID)
        record = await self._eph.get(_ANSWER_KIND, _hash(token))
        # The delete decides: of two answers with one token, on any process, one wins.
        if record is None or not await self._eph.delete(_ANSWER_KIND, _hash(token)):
            raise ServiceError("not_found", MSG_FEEDBACK_GONE)
        centre = str(record.get("centre") or DEFAULT_CENTRE)
        day = self.clock().astimezone(TZ).date().isoformat()
        await self._eph.incr(_tally(day, centre, answer), _TALLY_TTL_S)
        await self._eph.index_add(_centres_of(day), centre, 0, _TALLY_TTL_S)

    async def flush(self) -> list[str]:
        """Every ended day of the last :data:`FLUSH_DAYS` whose tally is not yet in the
        statistics: added there as the day's counters, by the one process that claims
        the day. Returns the days this call flushed.

        The claim is short (:data:`_CLAIM_TTL_S`) and the day is marked done only when
        every centre's tally is in: a store that fails half-way (Redis restarting, the
        durable store unavailable) leaves the rest of the day for a later sweep. A
        centre's tally is taken out before it is added to the statistics (and given back
        if that fails), so nothing is counted twice.
        Raises :class:`~chat_server.storage.base.StoreUnavailable` when a store does
        not answer."""
        last = (self.clock().astimezone(TZ) - FLUSH_AFTER).date() - timedelta(days=1)
        done = []
        for back in range(FLUSH_DAYS):
            day = (last - timedelta(days=back)).isoformat()
            if await self._eph.get(_FLUSHED_KIND, day) is not None:
                continue
            if not await self._eph.add(_FLUSHING_KIND, day, {}, _CLAIM_TTL_S):
                continue  # another process is at it
            try:
                centres = await self._flush_day(day)
                await self._eph.put(_FLUSHED_KIND, day, {}, _TALLY_TTL_S)
            finally:
                try:
                    await self._eph.delete(_FLUSHING_KIND, day)
                except StoreUnavailable:
                    pass  # the claim expires on its own
            if centres:
                log.info("feedback of a day added to the statistics")
            done.append(day)
        return done

    async def _flush_day(self, day: str) -> list[str]:
        centres = sorted(m for m, _ in await self._eph.index_members(_centres_of(day)))
        for centre in centres:
            counters = {f"feedback:{a}": await self._eph.incr(_tally(day, centre, a), _TALLY_TTL_S, 0) for a in ANSWERS}
            counters = {k: n for k, n in counters.items() if n > 0}
            if not counters:
                continue
            # Taken out of the tally first, so that nothing is ever counted twice (a retry
            # of the day, or another process once the claim has expired); given back if
            # the statistics do not take it.
            for a in ANSWERS:
                await self._eph.incr(_tally(day, centre, a), _TALLY_TTL_S, -counters.get(f"feedback:{a}", 0))
            try:
                await self._stats.record_day(date.fromisoformat(day), counters, centre)
            except BaseException:
                for a in ANSWERS:
                    await self._eph.incr(_tally(day, centre, a), _TALLY_TTL_S, counters.get(f"feedback:{a}", 0))
                raise
        return centres
