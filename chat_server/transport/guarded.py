"""A Socket.IO namespace that never lets a bad client hurt anyone else.

Every event goes through ``trigger_event`` here: the event name must map to a handler,
the connection must be within its rate limits, and any refusal or unexpected error is
turned into ``{ok:false, error:{code, message}}`` in the connection's locale. A client
that keeps flooding after being refused is disconnected. Nothing of the payload is
ever logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import socketio

from ..security.ratelimit import TokenBuckets
from ..services.errors import (
    MSG_INTERNAL,
    MSG_INVALID,
    MSG_RATE_LIMITED,
    MSG_UNAVAILABLE,
    ServiceError,
)
from ..storage.base import StoreUnavailable

log = logging.getLogger(__name__)

EVENT_NAME = re.compile(r"^[a-z][a-z_]{0,31}$")
LIFECYCLE = {"connect", "disconnect"}
# A client refused this many times within the bucket's horizon is cut off.
FLOOD_DISCONNECT_AFTER = 50


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


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
                    raise socketio.exceptions.ConnectionRefusedError(
                        {"code": "unavailable", "message": "unavailable"}
                    ) from None
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
        except Exception:
            # The traceback names code, not content: handlers never put text in exceptions.
            log.exception("unexpected error in %s handler", event)
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
