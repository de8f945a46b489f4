"""Fixtures for the adversarial suite.

``healthy`` keeps a real reference conversation going (a visitor and an operator who
accepted it) beside every attack, and checks at the end of the test that the server
still answers and that the conversation still works both ways with every message
delivered once, in order. An attack that hurts anyone but the attacker fails the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from chat_server.security.ratelimit import TokenBuckets
from chat_server.transport import keys as K

from ..conftest import LiveServer
from ..helpers import Recorder, StaffLogin, new_client_id


@dataclass
class Reference:
    """A live conversation between a visitor and an operator, for the server's health."""

    server: LiveServer
    visitor: Recorder
    operator: Recorder
    session: StaffLogin
    conversation_id: str
    sent_by_visitor: list[str] = field(default_factory=list)
    sent_by_operator: list[str] = field(default_factory=list)

    async def exchange(self, label: str) -> None:
        """One message each way; both acknowledged and delivered."""
        text = f"referens {label} {len(self.sent_by_visitor)}"
        ack = await self.visitor.call("message", {"client_id": new_client_id(), "text": text})
        assert ack["ok"], ack
        self.sent_by_visitor.append(text)
        await self.operator.wait_for("message", lambda m: m.get("text") == text)
        reply = f"svar {label} {len(self.sent_by_operator)}"
        ack = await self.operator.call(
            "message",
            {"conversation_id": self.conversation_id, "client_id": new_client_id(), "text": reply},
        )
        assert ack["ok"], ack
        self.sent_by_operator.append(reply)
        await self.visitor.wait_for("message", lambda m: m.get("text") == reply)

    def assert_in_order(self) -> None:
        """Every message arrived on the other side exactly once, in the order sent."""
        at_operator = [
            m["text"]
            for m in self.operator.received("message")
            if m.get("conversation_id") == self.conversation_id and m.get("from") == "visitor"
        ]
        at_visitor = [m["text"] for m in self.visitor.received("message") if m.get("from") == "operator"]
        assert at_operator == self.sent_by_visitor
        assert at_visitor == self.sent_by_operator

    async def check(self) -> None:
        async with aiohttp.ClientSession() as http:
            async with http.get(self.server.url + "/healthz") as resp:
                assert resp.status == 200
        assert self.visitor.client.connected and self.operator.client.connected
        assert not self.visitor.received("ended"), self.visitor.received("ended")
        await self.exchange("after")
        self.assert_in_order()


async def start_reference(server: LiveServer, visitor: Any, operator: Any) -> Reference:
    op, session = await operator()
    v = await visitor()
    ack = await v.call("start", {"audience": "self", "locale": "sv"})
    assert ack["ok"], ack
    cid = ack["conversation"]["id"]
    accepted = await op.call("accept", {"conversation_id": cid})
    assert accepted["ok"], accepted
    await v.wait_for("state", lambda s: s["state"] == "active")
    ref = Reference(server, v, op, session, cid)
    await ref.exchange("before")
    return ref


@pytest.fixture
async def healthy(server: LiveServer, visitor: Any, operator: Any) -> AsyncIterator[Reference]:
    """A reference conversation, checked after the test (see module docstring)."""
    ref = await start_reference(server, visitor, operator)
    yield ref
    await ref.check()


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def lift_rate_limits(server: LiveServer) -> None:
    """Every event and connection must reach its handler (the limits and the flood
    cut-off are tested in test_flood.py)."""
    for ns in server.app[K.SIO].namespace_handlers.values():
        ns.rate_limits_enabled = False
        ns._refusals = TokenBuckets(rate=1000.0, burst=1e9)
