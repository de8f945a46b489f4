"""A Socket.IO namespace that never lets a bad client hurt anyone else.

Every event goes through ``trigger_event`` here: the event name must map to a handler,
the connection must be within its rate limits, and any refusal or unexpected error is
turned into ``{ok:false, error:{code, message}}`` in the connection's locale. A client
that keeps flooding after being refused is disconnected. Nothing of the payload is
ever logged.

Connecting: ``on_connect`` authenticates and either returns or raises
:meth:`GuardedNamespace.refuse_connect` (the CONNECT_ERROR ``{"message": code, "data":
{"code", "message"}}`` of docs/protocol.md); whatever a namespace sends a new
connection goes in ``after_connect(sid)``, which HardenedServer calls after the CONNECT
packet (no event may precede it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import socketio

from .. import i18n
from ..logging_setup import describe
from ..security.ratelimit import TokenBuckets
from ..services.embedding import MSG_CENTRE_REQUIRED, MSG_ORIGIN_NOT_ALLOWED, MSG_UNKNOWN_CENTRE_EMBED
from ..services.errors import (
    MSG_FORBIDDEN,
    MSG_INTERNAL,
    MSG_INVALID,
    MSG_RATE_LIMITED,
    MSG_UNAVAILABLE,
    N_,
    ServiceError,
)
from ..storage.base import StoreUnavailable

log = logging.getLogger(__name__)

EVENT_NAME = re.compile(r"^[a-z][a-z_]{0,31}$")
LIFECYCLE = {"connect", "disconnect"}
# A client refused this many times within the bucket's horizon is cut off.
FLOOD_DISCONNECT_AFTER = 50


# The message of each code a connection can be refused with.
CONNECT_MESSAGES = {
    "invalid": MSG_INVALID,
    "rate_limited": MSG_RATE_LIMITED,
    "forbidden": MSG_FORBIDDEN,
    "unauthorized": N_("Please log in."),
    "unavailable": MSG_UNAVAILABLE,
    "internal": MSG_INTERNAL,
    "centre_required": MSG_CENTRE_REQUIRED,
    "unknown_centre": MSG_UNKNOWN_CENTRE_EMBED,
    "origin_not_allowed": MSG_ORIGIN_NOT_ALLOWED,
}


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def connect_locale(environ: dict[str, Any], auth: Any = None) -> str:
    """The locale of a connection being refused: ``auth.locale`` when supported, else
    the handshake's Accept-Language, else the default."""
    chosen = auth.get("locale") if isinstance(auth, dict) else None
    if i18n.is_supported(chosen):
        return str(chosen)
    return i18n.negotiate(i18n.parse_accept_language(environ.get("HTTP_ACCEPT_LANGUAGE")))


class GuardedNamespace(socketio.AsyncNamespace):  # type: ignore[misc]  # untyped library
    #: event -> (rate per second, burst)
    limits: dict[str, tuple[float, float]] = {}
    default_limit: tuple[float, float] = (10.0, 30.0)

    def __init__(
        self,
        namespace: str,
        translate: Callable[..., str],
        *,
        rate_limits: bool = True,
        refusal_observer: Callable[[str], None] = lambda code: None,
    ) -> None:
        super().__init__(namespace)
        self._t = translate
        #: False only for load benchmarks (``CHAT_RATE_LIMITS=false``); see config.Settings.
        self.rate_limits_enabled = rate_limits
        #: Called with the error code of every refused event (metrics; see metrics_http).
        self.refusal_observer = refusal_observer
        self._buckets: dict[str, TokenBuckets] = {}
        self._refusals = TokenBuckets(rate=0.5, burst=FLOOD_DISCONNECT_AFTER)

    def _bucket(self, event: str) -> TokenBuckets:
        if event not in self._buckets:
            rate, burst = self.limits.get(event, self.default_limit)
            self._buckets[event] = TokenBuckets(rate, burst)
        return self._buckets[event]

    async def locale_of(self, sid: str) -> str:
        """The connection's locale, for error messages."""
        return "sv"

    async def after_connect(self, sid: str) -> None:
        """Called by HardenedServer right after the CONNECT packet of ``sid`` was sent;
        a namespace sends its greeting here. If it raises, the client is disconnected
        (and reconnects)."""

    def connect_error(self, locale: str | None, code: str) -> dict[str, Any]:
        """The CONNECT_ERROR payload refusing a connection with ``code``."""
        message = self._t(locale or i18n.DEFAULT_LOCALE, CONNECT_MESSAGES.get(code, MSG_INVALID))
        return {"message": code, "data": {"code": code, "message": message}}

    def refuse_connect(self, locale: str | None, code: str) -> socketio.exceptions.ConnectionRefusedError:
        """The exception ``on_connect`` raises to refuse with ``code`` (see connect_error)."""
        error = self.connect_error(locale, code)
        return socketio.exceptions.ConnectionRefusedError(error["message"], error["data"])

    def error(self, locale: str, code: str, message: str, **params: Any) -> dict[str, Any]:
        self.refusal_observer(code)
        return {"ok": False, "error": {"code": code, "message": self._t(locale, message, **params)}}

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if isinstance(event, str) and event in LIFECYCLE:
            try:
                return await super().trigger_event(event, *args)
            except StoreUnavailable as exc:
                # A store outage (e.g. Redis restarting) must not crash the handler:
                # refuse the connection with a stable code; the client retries.
                # (The exception carries only the client library's error class name.)
                log.warning("store unavailable during %s (%s)", event, exc)
                if event == "connect":
                    environ = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
                    raise self.refuse_connect(connect_locale(environ), "unavailable") from None
                return None
        sid = args[0] if args else ""
        data = args[1:]
        locale = await self.locale_of(sid)
        # A client may name its event with any JSON value: only short lowercase names
        # reach a handler (HardenedServer already turns non-strings into "").
        named = isinstance(event, str) and EVENT_NAME.match(event)
        handler = getattr(self, "on_" + event, None) if named else None
        if handler is None:
            return await self._refuse(sid, locale, "invalid", MSG_INVALID)
        if len(data) > 1:
            return await self._refuse(sid, locale, "invalid", MSG_INVALID)
        if self.rate_limits_enabled and not self._bucket(event).take(sid):
            return await self._refuse(sid, locale, "rate_limited", MSG_RATE_LIMITED)
        payload = data[0] if data else None
        try:
            return await handler(sid, payload)
        except ServiceError as exc:
            return await self._refuse(
                sid, locale, exc.code, exc.message, counted=exc.code in {"invalid", "too_large"}, **exc.params
            )
        except StoreUnavailable as exc:
            log.warning("store unavailable during %s (%s)", event, exc)
            return self.error(locale, "unavailable", MSG_UNAVAILABLE)
        except Exception as exc:
            # Where, not what: an exception's message may quote what the client sent.
            log.error("unexpected error in the %s handler: %s", event, describe(exc))
            return self.error(locale, "internal", MSG_INTERNAL)

    async def _refuse(
        self, sid: str, locale: str, code: str, message: str, counted: bool = True, **params: Any
    ) -> dict[str, Any]:
        if counted and not self._refusals.take(sid):
            log.info("disconnecting a client that kept sending refused events")
            await self.disconnect(sid)
        return self.error(locale, code, message, **params)

    def forget(self, sid: str) -> None:
        for bucket in self._buckets.values():
            bucket.forget(sid)
        self._refusals.forget(sid)
