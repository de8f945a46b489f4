"""Retention: what outlives conversations is deleted when it has served its purpose.

* **Audit log**: entries older than ``CHAT_AUDIT_RETENTION_DAYS`` (default 730, two
  years: long enough to look into a misused account after the fact).
* **Statistics**: the daily counters, by whole calendar months, once the month that
  began ``CHAT_STATS_RETENTION_DAYS`` ago (default 1096, three years: the longest range
  a report covers, and enough for year-on-year follow-up) is older than that. Whole
  months, because a month that lost some of its days would publish a smaller count
  than before, and the difference would be the deleted days (services/stats.py
  publishes nothing from before the horizon either).

0 keeps them forever. Every process runs the sweep (at start, then hourly); deleting
what is already gone is harmless, so no coordination is needed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from ..storage.base import Durable
from .stats import TZ, stats_horizon

log = logging.getLogger(__name__)

#: How often each process sweeps.
SWEEP_INTERVAL_S = 3600.0


@dataclass(frozen=True)
class Swept:
    audit_rows: int
    stats_days: int


class Retention:
    def __init__(
        self,
        durable: Durable,
        audit_days: int,
        stats_days: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._durable = durable
        self.audit_days = audit_days
        self.stats_days = stats_days
        self._clock = clock

    def audit_cutoff_ms(self) -> int | None:
        """Audit entries before this instant (ms) are deleted; None: kept forever."""
        if not self.audit_days:
            return None
        return int((self._clock() - self.audit_days * 86400) * 1000)

    def stats_cutoff(self) -> date | None:
        """Statistics of days before this date are deleted; None: kept forever."""
        today = datetime.fromtimestamp(self._clock(), TZ).date()
        return stats_horizon(today, self.stats_days)

    async def sweep(self) -> Swept:
        """Delete what is past its retention. Raises StoreUnavailable if the store is away."""
        audit_rows = stats_days = 0
        cutoff_ms = self.audit_cutoff_ms()
        if cutoff_ms is not None:
            audit_rows = await self._durable.prune_audit(cutoff_ms)
        cutoff_day = self.stats_cutoff()
        if cutoff_day is not None:
            stats_days = await self._durable.prune_stats(cutoff_day.isoformat())
        if audit_rows or stats_days:
            log.info("retention: deleted %d audit entries and the statistics of %d days", audit_rows, stats_days)
        return Swept(audit_rows, stats_days)
