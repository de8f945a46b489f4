"""Hypothesis fuzzing of every client event in both namespaces.

Every event the server handles (read from the namespace classes, so new events are
fuzzed as soon as they exist), with arbitrary JSON, and with payloads shaped like the
protocol's (known field names, hostile values: other people's ids, lone surrogates,
oversized text, bidi controls). Each must be answered within seconds by a well-formed
ack: ``{"ok": true, ...}`` or ``{"ok": false, "error": {"code", "message"}}`` with a
stable code. The fuzzing operator names the reference conversation (which someone else
has accepted) and its operator: nothing it does may touch that conversation, which is
checked by ``healthy`` at the end.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chat_server.security.ratelimit import TokenBuckets
from chat_server.transport import keys as K
from chat_server.transport.hardened import RESERVED_EVENTS
from chat_server.transport.operator import OperatorNamespace
from chat_server.transport.visitor import VisitorNamespace

from ..helpers import login
from .conftest import Reference
from .raw import RawSocket

CODES = {
    "invalid",
    "too_large",
    "rate_limited",
    "closed",
    "not_found",
    "forbidden",
    "conflict",
    "no_conversation",
    "unauthorized",
    "unavailable",
    "internal",
}
FIELDS = [
    "conversation_id",
    "client_id",
    "text",
    "active",
    "on",
    "languages",
    "audience",
    "topic",
    "urgent",
    "age_band",
    "locale",
    "to",
    "note",
    "triage",
    "targets",
    "code",
    "resume",
    "id",
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def client_events(cls: type) -> list[str]:
    return sorted(n[3:] for n in dir(cls) if n.startswith("on_") and n not in ("on_connect", "on_disconnect"))


VISITOR_EVENTS = client_events(VisitorNamespace)
OPERATOR_EVENTS = client_events(OperatorNamespace)


def assert_well_formed(ack: Any) -> None:
    assert isinstance(ack, dict), ack
    if ack.get("ok") is True:
        return
    assert ack.get("ok") is False and set(ack) == {"ok", "error"}, ack
    error = ack["error"]
    assert set(error) == {"code", "message"}, ack
    assert error["code"] in CODES, ack
    assert error["code"] != "internal", ack  # a crash, however politely reported
    assert isinstance(error["message"], str) and error["message"], ack


nasty_text = st.sampled_from(
    [
        "\ud800",
        "a\udfffb",
        "x" * 4001,
        "",
        " ",
        "\u202egnp.exe",
        "\u2066\u2067",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "{{7*7}}",
        "%s%s%n",
        "\x00",
        "__proto__",
        "constructor",
        "queue",
        "../../etc/passwd",
    ]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30) | nasty_text
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@dataclass
class FuzzTarget:
    ref: Reference
    visitor: RawSocket
    operator: RawSocket
    ids: itertools.count  # ack ids

    async def call(self, sock: RawSocket, namespace: str, event: str, payload: Any) -> Any:
        ack_id = next(self.ids)
        args = [] if payload is _ABSENT else [payload]
        # ensure_ascii: lone surrogates travel as \\udXXX escapes, as a browser's would.
        await sock.send(f"42{namespace},{ack_id}" + json.dumps([event, *args], ensure_ascii=True))
        return await sock.wait_ack(namespace, ack_id, timeout=5)


_ABSENT = object()


@pytest.fixture
async def target(server, healthy: Reference) -> AsyncIterator[FuzzTarget]:
    # Fuzzing wants the handlers, not the rate limiter or the flood cut-off (both are
    # tested in test_flood.py): lift them for this server.
    for ns in server.app[K.SIO].namespace_handlers.values():
        ns.rate_limits_enabled = False
        ns._refusals = TokenBuckets(rate=1000.0, burst=1e9)
    creds = await server.create_staff("operator", languages=["sv", "ar"])
    session = await login(server.url, creds)
    op = await RawSocket.open(server.url, headers={"Cookie": session.cookie})
    v = await RawSocket.open(server.url)
    for sock, ns in ((op, "/operator"), (v, "/visitor")):
        await sock.send(f"40{ns},{{}}")
        frame = ""
        while not frame.startswith(f"40{ns},"):
            frame = await sock.recv()
    yield FuzzTarget(healthy, v, op, itertools.count(1))
    assert v.ws.closed is False and op.ws.closed is False, "a fuzzing connection was cut"
    await v.close()
    await op.close()


def shaped(ids: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    values = st.one_of(
        any_json,
        nasty_text,
        ids,
        st.sampled_from(["self", "sv", "ar", "13-15", "queue", True, False]),
    )
    return st.fixed_dictionaries({}, optional={name: values for name in FIELDS})


payloads = st.one_of(st.just(_ABSENT), any_json, shaped(st.text(max_size=20)))
# Any name valid on the wire (a string that is not reserved, or a number); other
# names are undecodable packets, which close the connection (test_packets.py).
event_names = (
    st.text(max_size=12).filter(lambda name: name not in RESERVED_EVENTS)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
)


@FUZZ
@given(data=st.data())
async def test_fuzz_visitor_events(target: FuzzTarget, data: st.DataObject) -> None:
    event = data.draw(st.sampled_from(VISITOR_EVENTS) | event_names, label="event")
    payload = data.draw(st.one_of(payloads, shaped(st.just(target.ref.conversation_id))), label="payload")
    assert_well_formed(await target.call(target.visitor, "/visitor", event, payload))


@FUZZ
@given(data=st.data())
async def test_fuzz_operator_events(target: FuzzTarget, data: st.DataObject) -> None:
    ref = target.ref
    hostile_ids = st.sampled_from([ref.conversation_id, ref.session.staff["id"], "queue"])
    event = data.draw(st.sampled_from(OPERATOR_EVENTS) | event_names, label="event")
    payload = data.draw(st.one_of(payloads, shaped(hostile_ids)), label="payload")
    ack = await target.call(target.operator, "/operator", event, payload)
    assert_well_formed(ack)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(auth=any_json | st.fixed_dictionaries({}, optional={"resume": any_json, "locale": any_json}))
@example(auth=0.0)
@example(auth=7)
@example(auth={"resume": "\ud800"})
async def test_fuzz_visitor_connect_auth(server, healthy: Reference, auth: Any) -> None:
    for ns in server.app[K.SIO].namespace_handlers.values():
        ns.rate_limits_enabled = False
    sock = await RawSocket.open(server.url)
    encoded = json.dumps(auth, ensure_ascii=True)
    try:
        await sock.send("40/visitor," + encoded)
        while True:
            frame = await sock.recv()
            if frame.startswith(("40/visitor,", "44/visitor,")):
                break
    except ConnectionError:
        # A bare number is read as an ack id by the Socket.IO decoder ("0.0" -> id 0,
        # then ".0" is not JSON): an undecodable packet, which closes that connection.
        assert isinstance(auth, int | float) and not isinstance(auth, bool), encoded
    finally:
        await sock.close()
