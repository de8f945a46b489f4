"""Logging that cannot leak a visitor.

Our own code never logs addresses, user agents or text. Two libraries would at INFO or
DEBUG: Engine.IO logs every packet *with its data* and Socket.IO every event. They are
pinned to WARNING whatever ``CHAT_LOG_LEVEL`` says, and aiohttp's access log is
replaced by one that writes method, path (without query string) and status only.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

CHATTY_LIBRARIES = ("engineio", "socketio", "engineio.server", "socketio.server", "engineio.client", "socketio.client")


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


class PrivacyAccessLogger(AbstractAccessLogger):
    """Method, path without query, status, duration. No address, agent or referrer."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path.startswith("/socket.io/") and response.status < 400:
            return  # long-polling would flood the log with nothing useful
        self.logger.info("%s %s %s %.3fs", request.method, request.path, response.status, time)
