"""The benchmark's baseline: a bare python-socketio relay with the same wire shape.

It does what the chat server does per message *minus the product*: no validation, no
encryption, no store, no deduplication, no rate limits. A visitor's ``message`` is
acknowledged and emitted to the visitor's room and to the operator's room, exactly the
emits the chat server makes. By default it is stock python-socketio, the baseline the
performance targets name. With ``--direct-emit`` it emits the way the chat server does
(chat_server/transport/direct_emit.py), so the difference in throughput is the cost of
the product's own work alone. Run: ``python -m chat_server.bench.baseline_server --port 8099``.
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

import socketio
from aiohttp import web

_ids = itertools.count(1)


def create_app(direct_emit: bool = False) -> web.Application:
    manager = None
    if direct_emit:
        # The chat server's emit path (no task per recipient), to tell the product's own
        # cost per message from the saving of that path (docs/performance.md).
        from chat_server.transport.direct_emit import DirectEmitManager

        manager = DirectEmitManager()
    sio = socketio.AsyncServer(
        client_manager=manager,
        async_mode="aiohttp",
        max_http_buffer_size=64 * 1024,
        ping_interval=20,
        ping_timeout=20,
        always_connect=False,
        transports=["polling", "websocket"],
    )
    conversations: dict[str, dict[str, Any]] = {}
    visitor_conv: dict[str, str] = {}
    staff_of: dict[str, str] = {}

    class Visitor(socketio.AsyncNamespace):  # type: ignore[misc]  # untyped library
        async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            await self.emit("session", {"token": sid, "conversation": None}, to=sid)

        async def on_disconnect(self, sid: str, reason: Any = None) -> None:
            visitor_conv.pop(sid, None)

        async def on_start(self, sid: str, data: Any) -> dict[str, Any]:
            conv_id = f"c{next(_ids)}"
            conversations[conv_id] = {"operator": None}
            visitor_conv[sid] = conv_id
            await self.enter_room(sid, "v:" + conv_id)
            return {"ok": True, "conversation": {"id": conv_id, "state": "waiting", "position": 1}}

        async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
            conv_id = visitor_conv[sid]
            msg = {
                "id": f"m{next(_ids)}",
                "client_id": data["client_id"],
                "from": "visitor",
                "text": data["text"],
                "ts": int(time.time() * 1000),
            }
            await self.emit("message", msg, room="v:" + conv_id)
            operator = conversations[conv_id]["operator"]
            if operator:
                await sio.emit(
                    "message",
                    dict(msg, conversation_id=conv_id),
                    room="st:" + operator,
                    namespace="/operator",
                )
            return {"ok": True, "id": msg["id"], "ts": msg["ts"]}

    class Operator(socketio.AsyncNamespace):  # type: ignore[misc]  # untyped library
        async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            staff_of[sid] = sid
            await self.enter_room(sid, "st:" + sid)
            await self.emit("session", {"staff": {"id": sid}, "chats": [], "queue": {"items": []}}, to=sid)

        async def on_duty(self, sid: str, data: Any) -> dict[str, Any]:
            return {"ok": True, "duty": data}

        async def on_accept(self, sid: str, data: Any) -> dict[str, Any]:
            conversations[data["conversation_id"]]["operator"] = staff_of[sid]
            return {"ok": True, "conversation": {"id": data["conversation_id"]}}

    sio.register_namespace(Visitor("/visitor"))
    sio.register_namespace(Operator("/operator"))
    app = web.Application()
    sio.attach(app)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--direct-emit", action="store_true", help="use the chat server's emit path")
    args = parser.parse_args()
    web.run_app(create_app(args.direct_emit), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
