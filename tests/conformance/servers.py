"""The servers the conformance suites run against (see README.md and docs/protocol.md,
"Conformance").

* Engine.IO v4: the product's Engine.IO server class (GuardedEngineIO) behind the
  product's Engine.IO middleware, with the suite's reference configuration and the
  reference handler (echo every message), at ``/engine.io/``.
* Socket.IO v5: the product itself (``create_app``: middlewares, HardenedServer, its
  Engine.IO layer, ``/visitor`` and ``/operator``) with the suite's reference
  configuration, plus two test-only namespaces, ``/`` and ``/custom``, that do what
  the reference server does (emit ``auth``, echo ``message`` as ``message-back``, ack
  ``message-with-ack``). The product has no main namespace; these two exist only here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from chat_server.app import create_app
from chat_server.logging_setup import PrivacyAccessLogger
from chat_server.transport import keys as K
from chat_server.transport.engine import GuardedEngineIO
from chat_server.transport.hardened import engineio_requests

from ..conftest import free_port, make_settings

# The suites' reference configuration (docs/*-protocol/*-current.md, "Test suite"),
# except connectTimeout: 1.5 s instead of 1 s, so that the three 300 ms heartbeats of a
# connection that never joins a namespace fit before it on a loaded machine (the suite
# waits 2 s for that close).
PING_INTERVAL_S = 0.3
PING_TIMEOUT_S = 0.2
MAX_PAYLOAD = 1_000_000
CONNECT_TIMEOUT_S = 1.5


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log_class=PrivacyAccessLogger, shutdown_timeout=1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def engineio_echo_server() -> tuple[web.AppRunner, str]:
    app = web.Application(middlewares=[engineio_requests(MAX_PAYLOAD, path="/engine.io/")])
    eio = GuardedEngineIO(
        async_mode="aiohttp",
        ping_interval=PING_INTERVAL_S,
        ping_timeout=PING_TIMEOUT_S,
        max_http_buffer_size=MAX_PAYLOAD,
        cors_allowed_origins="*",
    )

    @eio.on("message")
    async def echo(sid: str, data: Any) -> None:
        await eio.send(sid, data)

    eio.attach(app, "engine.io")
    return await _serve(app)


class ReferenceNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """What the suite's reference server does on a namespace (test-only)."""

    def __init__(self, namespace: str, echo: bool) -> None:
        super().__init__(namespace)
        self.echo = echo
        self._auth: dict[str, Any] = {}

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        self._auth[sid] = auth or {}

    async def after_connect(self, sid: str) -> None:
        await self.emit("auth", self._auth.pop(sid, {}), to=sid)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid, data = args[0], args[1:]
        if self.echo and event == "message":
            await self.emit("message-back", data, to=sid)  # a tuple: several arguments
            return None
        if self.echo and event == "message-with-ack":
            return data
        return None


async def socketio_product_server(tmp: Path) -> tuple[web.AppRunner, str]:
    settings = dataclasses.replace(
        make_settings(tmp),
        max_http_buffer_size=MAX_PAYLOAD,  # over the product's 64 KiB ceiling: test-only
        ping_interval_s=PING_INTERVAL_S,  # type: ignore[arg-type]  # floats, test-only
        ping_timeout_s=PING_TIMEOUT_S,  # type: ignore[arg-type]
        connect_timeout_s=CONNECT_TIMEOUT_S,
    )
    app = create_app(settings)
    sio = app[K.SIO]
    sio.register_namespace(ReferenceNamespace("/", echo=True))
    sio.register_namespace(ReferenceNamespace("/custom", echo=False))
    return await _serve(app)
