"""``GET /metrics``: Prometheus text, for the people who run the service.

Who may read it: an address on the allow-list (``CHAT_METRICS_ALLOW``, loopback by
default) or a scraper with the bearer token (``CHAT_METRICS_TOKEN``). Forwarded headers
can only take access away: a request that came through a proxy (``X-Forwarded-For``,
``X-Real-IP``, ``Forwarded``) needs every address it names on the list too, so a
visitor relayed by a proxy on the same host is not "loopback" (docs/operations.md).

What it holds (the argument, also in docs/privacy.md): Prometheus keeps what it scrapes
every few seconds, for as long as it is told, outside this service's retention, and a
counter read twice gives the exact number of events between two scrapes. So nothing
here counts what visitors do or what their conversations were:

* **gauges of the deployment's present state** (conversations live and waiting, staff
  on duty, sockets on this process, the store answering): the operational picture
  every operator on duty sees in the console anyway, needed to alert on "visitors
  waiting, nobody on duty". On a quiet day their changes between scrapes do show when
  a chat began and ended, which is why the endpoint is access-controlled and the
  scrape's retention should be short (docs/operations.md);
* **refused client events** by error code, only for codes a visitor using the chat as
  intended never causes (malformed or oversized input, floods, missing staff session,
  store outages, internal faults): they count attacks and defects, not people.

Not here (they were, and were too fine): conversations started, ended by reason,
messages relayed by sender and the queue-wait histogram. Per scrape they are exact
counts of single conversations (one quick exit at 14:02; one wait of 5-15 minutes),
finer than the statistics ever publish (a calendar month, cells below 5 and their
complements suppressed: services/stats.py). Those numbers live in the statistics.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest

from ..config import Settings
from ..services.errors import MSG_FORBIDDEN, ServiceError
from ..storage.base import StoreUnavailable
from . import keys as K
from .api import api_error

log = logging.getLogger(__name__)

# Refusals a visitor using the chat as intended never causes; the others ("closed",
# "not_found", "forbidden", …) are ordinary visitor events and are not counted.
COUNTED_REFUSALS = frozenset({"invalid", "too_large", "rate_limited", "unauthorized", "unavailable", "internal"})
_FORWARDED_FOR = re.compile(r'for="?\[?([^;,"\]]+)', re.IGNORECASE)


class Metrics:
    """One registry per application (tests run several apps in one process)."""

    def __init__(self, settings: Settings) -> None:
        #: Who may scrape without the token (CHAT_METRICS_ALLOW).
        self.allowed = allowed_networks(settings)
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
        self.refused = Counter(
            "rc_chat_refused_events",
            "Client events refused as malformed, oversized, flooding, unauthorised or by a fault.",
            ["code"],
            registry=r,
        )

    def refusal(self, code: str) -> None:
        """A client event was refused with ``code`` (the namespaces' hook)."""
        if code in COUNTED_REFUSALS:
            self.refused.labels(code).inc()


def allowed_networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``CHAT_METRICS_ALLOW`` as networks (checked when the settings are read)."""
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.metrics_allow]


def _on_list(address: str | None, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").strip().strip("[]").partition("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


def may_scrape(request: web.Request, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """True for a scraper with the bearer token, or from an allow-listed address that
    every forwarded header agrees with (forwarded headers only ever take access away,
    so they are read whatever CHAT_TRUST_PROXY says)."""
    token = request.app[K.SETTINGS].metrics_token
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer "):
        if hmac.compare_digest(given[len("Bearer ") :].strip().encode(), token.reveal().encode()):
            return True
    addresses = [request.remote]
    addresses += [a for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
    addresses += [a for a in (request.headers.get("X-Real-IP"),) if a]
    addresses += _FORWARDED_FOR.findall(request.headers.get("Forwarded", ""))
    if "Forwarded" in request.headers and not _FORWARDED_FOR.search(request.headers["Forwarded"]):
        return False  # a Forwarded header we cannot read: assume it names someone else
    return all(_on_list(a, networks) for a in addresses)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text for an allowed scraper, 403 otherwise."""
    app = request.app
    m = app[K.METRICS]
    if not may_scrape(request, m.allowed):
        return api_error(request, ServiceError("forbidden", MSG_FORBIDDEN))
    try:
        live, waiting, on_duty = await app[K.SERVICES].repository.sizes()
        m.live.set(live)
        m.waiting.set(waiting)
        m.on_duty.set(on_duty)
        m.store_up.set(1)
    except StoreUnavailable:
        # The gauges keep their last value and store_up says they are stale.
        m.store_up.set(0)
    namespaces = app[K.NAMESPACES]
    m.visitor_sockets.set(namespaces.visitor.connection_count())
    m.operator_sockets.set(namespaces.operator.connection_count())
    return web.Response(
        body=generate_latest(m.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )
