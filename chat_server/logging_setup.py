"""Logging that cannot leak a visitor.

Our own code never logs addresses, user agents or text. Libraries would:

* Engine.IO logs every packet *with its data* and Socket.IO every event (INFO), and
  both log client-chosen values at WARNING/ERROR (a foreign ``Origin``, a made-up
  session id, a namespace name).
* aiohttp logs ``Error handling request from <peer address>`` with the exception at
  ERROR (DEBUG for a bad method), and a malformed request's exception quotes the raw
  request bytes; its default access log writes the address and the user agent.

So: the access log is :class:`PrivacyAccessLogger` (method, path without query string,
status); records below WARNING from Engine.IO and Socket.IO are dropped at the logger
(whatever level is configured), and every record of these libraries (and asyncio's) is
reduced to its message template with the arguments left out, client-chosen values cut
from pre-formatted messages, and any exception shown by :func:`describe` (type and
place, never its message). :func:`install_privacy_filters` attaches that to the
loggers themselves, so it holds for every handler, ours or a host's.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

CHATTY_LIBRARIES = ("engineio", "socketio", "engineio.server", "socketio.server", "engineio.client", "socketio.client")


# Loggers whose records may quote a request (see the module docstring). A logger's own
# filters do not apply to its children, so each name is listed.
LIBRARY_LOGGERS = (
    *CHATTY_LIBRARIES,
    "aiohttp.access",
    "aiohttp.client",
    "aiohttp.internal",
    "aiohttp.server",
    "aiohttp.web",
    "aiohttp.websocket",
    "asyncio",
)
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[sdiouxXeEfFgGcra]")
# Client-chosen values python-engineio puts into pre-formatted messages.
_REDACTIONS = (
    (re.compile(r"^.* is not an accepted origin\."), "a request from a foreign origin was refused."),
    (re.compile(r"session \S+"), "session …"),
)


def describe(exc: BaseException) -> str:
    """An exception as a log may show it: its type and where it was raised (the last
    frame, and the last frame of this project if that is another), never its message,
    which may quote what a client sent."""
    last = ours = None
    tb = exc.__traceback__
    while tb is not None:
        last = tb
        if "/chat_server/" in tb.tb_frame.f_code.co_filename:
            ours = tb
        tb = tb.tb_next

    def place(frame: Any) -> str:
        return f"{frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}"

    where = "" if last is None else f" at {place(last)}"
    if ours is not None and ours is not last:
        where += f" (from {place(ours)})"
    return type(exc).__name__ + where


class LibraryPrivacyFilter(logging.Filter):
    """Attached to each of LIBRARY_LOGGERS: rewrites their records as the module
    docstring says (and drops Engine.IO's and Socket.IO's below WARNING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in ("engineio", "socketio") and record.levelno < logging.WARNING:
            return False
        if record.name == "aiohttp.access":
            return bool(getattr(record, "rc_private", False))  # only PrivacyAccessLogger's
        try:
            message = self._safe_message(record)
        except Exception:  # noqa: BLE001 - a log call must never fail (e.g. at shutdown)
            message = "(a log record that could not be made safe)"
        record.msg, record.args = message, ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True

    @staticmethod
    def _safe_message(record: logging.LogRecord) -> str:
        message = str(record.msg)
        if record.name == "asyncio":
            message = message.split("\n", 1)[0]  # its next lines show the failed task's repr
        if record.args:
            message = _PLACEHOLDER.sub("…", message).replace("%%", "%")
        else:
            for pattern, replacement in _REDACTIONS:
                message = pattern.sub(replacement, message)
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} [{describe(record.exc_info[1])}]"
        return message


def install_privacy_filters() -> None:
    """Attach :class:`LibraryPrivacyFilter` to every logger in LIBRARY_LOGGERS (once)."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, LibraryPrivacyFilter) for f in logger.filters):
            logger.addFilter(LibraryPrivacyFilter())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class LibraryQuieter(logging.Filter):
    """Drop anything below WARNING from the libraries that log payloads."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in ("engineio", "socketio"):
            return record.levelno >= logging.WARNING
        return True


def configure(level: str = "INFO", json_logs: bool = False, stream: Any = None) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_rc_chat", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._rc_chat = True  # type: ignore[attr-defined]
    handler.addFilter(LibraryQuieter())
    handler.setFormatter(
        JsonFormatter() if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in CHATTY_LIBRARIES:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.propagate = True
    install_privacy_filters()


class PrivacyAccessLogger(AbstractAccessLogger):
    """Method, path without query, status, duration. No address, agent or referrer."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path.startswith("/socket.io/") and response.status < 500:
            # Long-polling would flood the log with nothing useful; a refused Engine.IO
            # request is logged once by the transport when it matters (engine.py).
            return
        self.logger.info(
            "%s %s %s %.3fs", request.method, request.path, response.status, time, extra={"rc_private": True}
        )
