"""Raw Engine.IO / Socket.IO clients over aiohttp, for packets no well-behaved client
library would send: foreign origins, malformed frames, binary attachments, events
before connect, unknown namespaces."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

EIO = "/socket.io/?EIO=4"


class RawSocket:
    """One Engine.IO websocket connection; speaks the wire format by hand."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.http = http
        self.ws = ws
        self.sid = ""

    @classmethod
    async def open(cls, base: str, headers: dict[str, str] | None = None) -> RawSocket:
        http = aiohttp.ClientSession()
        try:
            ws = await http.ws_connect(
                base.replace("http", "ws", 1) + EIO + "&transport=websocket",
                headers=headers or {},
                max_msg_size=0,
                autoping=False,
            )
        except BaseException:
            await http.close()
            raise
        sock = cls(http, ws)
        opened = await sock.recv()
        assert opened.startswith("0"), opened
        sock.sid = json.loads(opened[1:])["sid"]
        return sock

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)

    async def send_bytes(self, data: bytes) -> None:
        await self.ws.send_bytes(data)

    async def recv(self, timeout: float = 5.0) -> str:
        """The next text frame, answering pings; raises ConnectionError when closed."""
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), timeout)
            if msg.type == aiohttp.WSMsgType.TEXT:
                if msg.data == "2":
                    await self.ws.send_str("3")
                    continue
                return str(msg.data)
            if msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.ERROR,
            ):
                raise ConnectionError("closed")

    async def connect_ns(self, namespace: str, auth: Any = None) -> str:
        await self.send(f"40{namespace}," + json.dumps(auth or {}))
        return await self.recv()

    async def call(self, namespace: str, ack_id: int, event: str, *args: Any, timeout: float = 5.0) -> Any:
        await self.send(f"42{namespace},{ack_id}" + json.dumps([event, *args]))
        return await self.wait_ack(namespace, ack_id, timeout)

    async def wait_ack(self, namespace: str, ack_id: int, timeout: float = 5.0) -> Any:
        prefix = f"43{namespace},{ack_id}"
        while True:
            frame = await self.recv(timeout)
            if frame.startswith(prefix) and frame[len(prefix) : len(prefix) + 1] == "[":
                return json.loads(frame[len(prefix) :])[0]

    async def closed(self, timeout: float = 5.0) -> bool:
        """True once the server has closed this connection."""
        try:
            while True:
                await self.recv(timeout)
        except ConnectionError:
            return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


class RawPolling:
    """One Engine.IO long-polling session, spoken by hand."""

    def __init__(self, http: aiohttp.ClientSession, base: str, sid: str) -> None:
        self.http = http
        self.base = base
        self.sid = sid

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, base: str, namespace: str | None = "/visitor") -> RawPolling:
        async with http.get(base + EIO + "&transport=polling") as resp:
            assert resp.status == 200
            sid = json.loads((await resp.text())[1:])["sid"]
        poll = cls(http, base, sid)
        if namespace:
            assert await poll.post(f"40{namespace},{{}}") == 200
            frames = await poll.get()
            assert any(f.startswith(f"40{namespace},") for f in frames), frames
        return poll

    @property
    def url(self) -> str:
        return self.base + EIO + f"&transport=polling&sid={self.sid}"

    async def post(self, body: str | bytes) -> int:
        async with self.http.post(self.url, data=body) as resp:
            return resp.status

    async def get(self, timeout: float = 5.0) -> list[str]:
        """The packets waiting for this client ([] when the server has none in time)."""
        try:
            async with asyncio.timeout(timeout):
                async with self.http.get(self.url) as resp:
                    if resp.status != 200:
                        return [f"HTTP {resp.status}"]
                    return (await resp.text()).split("\x1e")
        except TimeoutError:
            return []
