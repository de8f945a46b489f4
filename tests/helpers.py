"""Real clients for tests: python-socketio AsyncClients that record what they receive,
and staff login over real HTTP."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio

from chat_server.security import totp

_counter = itertools.count(1)


class Recorder:
    """A Socket.IO client on one namespace that keeps every event it receives."""

    def __init__(self, url: str, namespace: str, **connect_kwargs: Any) -> None:
        self.url = url
        self.namespace = namespace
        self.connect_kwargs = connect_kwargs
        self.client = socketio.AsyncClient(reconnection=False, request_timeout=10)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        #: Set when the server closed (or the client left) the namespace; when, by
        #: time.monotonic().
        self.disconnected = asyncio.Event()
        self.disconnected_at: float | None = None
        recorder = self

        class _Catch(socketio.AsyncClientNamespace):
            async def trigger_event(self, event: str, *args: Any) -> None:
                if event == "disconnect":
                    recorder.disconnected_at = time.monotonic()
                    recorder.disconnected.set()
                if event in ("connect", "disconnect", "connect_error"):
                    return
                await recorder._record(event, args[0] if args else None)

        self.client.register_namespace(_Catch(namespace))

    async def _record(self, event: str, data: Any) -> None:
        async with self._changed:
            self.events.append((event, data))
            self._changed.notify_all()

    async def connect(self, auth: dict[str, Any] | None = None, transports: list[str] | None = None) -> Recorder:
        await self.client.connect(
            self.url,
            namespaces=[self.namespace],
            auth=auth,
            transports=transports or ["websocket"],
            wait_timeout=10,
            **self.connect_kwargs,
        )
        return self

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        if data is None:
            return await self.client.call(event, namespace=self.namespace, timeout=timeout)
        return await self.client.call(event, data, namespace=self.namespace, timeout=timeout)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.client.emit(event, data, namespace=self.namespace)

    def received(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    async def wait_for(
        self, event: str, predicate: Callable[[Any], bool] = lambda d: True, timeout: float = 10, after: int = 0
    ) -> Any:
        """The first ``event`` (at index >= ``after``) whose payload satisfies ``predicate``."""

        def find() -> Any:
            for index, (e, d) in enumerate(self.events):
                if index >= after and e == event and predicate(d):
                    return (d,)
            return None

        async with self._changed:
            found = await asyncio.wait_for(self._changed.wait_for(find), timeout)
        return found[0]

    def mark(self) -> int:
        return len(self.events)

    async def disconnect(self) -> None:
        if self.client.connected:
            await self.client.disconnect()

    async def drop(self) -> None:
        """Simulate a network drop: close the transport without a Socket.IO goodbye."""
        eio = self.client.eio
        if eio.ws is not None:
            await eio.ws.close()
        await asyncio.sleep(0.05)
        await self.client.disconnect()


@dataclass
class StaffCredentials:
    username: str
    password: str
    totp_secret: str
    id: str = ""
    name: str = ""
    last_step: int = 0
    role: str = "operator"

    def next_code(self) -> str:
        """A code for a step after the last one used (codes can't be replayed)."""
        current = int(time.time()) // totp.STEP
        step = max(current, self.last_step + 1)
        if step > current + 1:
            raise RuntimeError("logged in too often within 90 seconds")
        self.last_step = step
        return totp.code_at(self.totp_secret, step * totp.STEP)


@dataclass
class StaffLogin:
    credentials: StaffCredentials
    cookie: str
    csrf: str
    staff: dict[str, Any] = field(default_factory=dict)


async def login(base_url: str, creds: StaffCredentials) -> StaffLogin:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            base_url + "/api/login",
            json={"username": creds.username, "password": creds.password, "totp": creds.next_code()},
        ) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise AssertionError(f"login failed: {resp.status} {body}")
            morsel = resp.cookies["rc_staff"]
            return StaffLogin(creds, f"rc_staff={morsel.value}", body["csrf"], body["staff"])


def new_client_id() -> str:
    return f"c{next(_counter)}"
