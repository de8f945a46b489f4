"""``GET /metrics``: Prometheus text, aggregate only.

Nothing here is labelled by anything that identifies a visitor, a conversation or a
staff member: gauges are counts, counters are labelled only by a small fixed set of
values (end reason, sender kind, error code). Counters and the socket gauge are per
process (scrape every process; Prometheus sums them); the conversation gauges read the
shared ephemeral store, so every process reports the same deployment-wide value.

Services stay free of any metrics library: they call a ``services.observer.Observer``,
and the namespaces' ``refusal_observer`` hook reports refused events; app.create_app
passes both (from :class:`Metrics`) to their constructors.
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from ..services.errors import ERROR_CODES
from ..services.observer import Observer
from ..storage.base import StoreUnavailable
from . import keys as K

log = logging.getLogger(__name__)

# Fixed label sets: anything else is folded into "other" so a label can never carry
# something unexpected (and the number of series stays bounded).
END_REASONS = frozenset({"visitor_ended", "visitor_exit", "operator_ended", "abandoned", "blocked", "transferred"})
SENDERS = frozenset({"visitor", "operator", "system"})
# Queue waits: from seconds to an hour.
WAIT_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)


def _fold(value: str, allowed: frozenset[str]) -> str:
    return value if value in allowed else "other"


class Metrics:
    """One registry per application (tests run several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.live = Gauge("rc_chat_live_conversations", "Conversations waiting or active.", registry=r)
        self.waiting = Gauge("rc_chat_waiting_conversations", "Conversations waiting in the queue.", registry=r)
        self.on_duty = Gauge("rc_chat_on_duty_operators", "Staff members on duty.", registry=r)
        self.visitor_sockets = Gauge(
            "rc_chat_visitor_sockets", "Visitor Socket.IO connections on this process.", registry=r
        )
        self.operator_sockets = Gauge(
            "rc_chat_operator_sockets",
            "Operator Socket.IO connections on this process.",
            registry=r,
        )
        self.store_up = Gauge(
            "rc_chat_ephemeral_store_up",
            "1 when the ephemeral store answered this scrape.",
            registry=r,
        )
        self.started = Counter("rc_chat_conversations_started", "Conversations started.", registry=r)
        self.ended = Counter("rc_chat_conversations_ended", "Conversations ended, by reason.", ["reason"], registry=r)
        self.relayed = Counter("rc_chat_messages_relayed", "Messages relayed, by sender kind.", ["sender"], registry=r)
        self.refused = Counter("rc_chat_refused_events", "Client events refused, by error code.", ["code"], registry=r)
        self.queue_wait = Histogram(
            "rc_chat_queue_wait_seconds",
            "Time from joining the queue to being accepted.",
            buckets=WAIT_BUCKETS,
            registry=r,
        )

    def refusal(self, code: str) -> None:
        """A client event was refused with ``code`` (the namespaces' hook)."""
        self.refused.labels(_fold(code, ERROR_CODES)).inc()


class MetricsObserver(Observer):
    """Feeds the conversation service's aggregate hooks into the counters."""

    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics
        # Resolved once: ``labels()`` costs a lock and a lookup on every message.
        self._relayed = {s: metrics.relayed.labels(s) for s in (*SENDERS, "other")}

    def conversation_started(self) -> None:
        self.m.started.inc()

    def conversation_accepted(self, waited_s: float) -> None:
        self.m.queue_wait.observe(waited_s)

    def conversation_ended(self, reason: str) -> None:
        self.m.ended.labels(_fold(reason, END_REASONS)).inc()

    def message_relayed(self, sender: str) -> None:
        self._relayed[_fold(sender, SENDERS)].inc()


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    m = app[K.METRICS]
    try:
        live, waiting, on_duty = await app[K.SERVICES].repository.sizes()
        m.live.set(live)
        m.waiting.set(waiting)
        m.on_duty.set(on_duty)
        m.store_up.set(1)
    except StoreUnavailable:
        # Counters are still worth scraping while the store is away; the gauges keep
        # their last value and store_up says they are stale.
        m.store_up.set(0)
    namespaces = app[K.NAMESPACES]
    m.visitor_sockets.set(namespaces.visitor.connection_count())
    m.operator_sockets.set(namespaces.operator.connection_count())
    return web.Response(
        body=generate_latest(m.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )
