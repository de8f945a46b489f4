"""Malformed Engine.IO / Socket.IO input over raw websockets and long-polling.

Each attack hurts only the connection that sends it: it is answered with a
well-formed refusal or that one connection is closed, the server stays up and the
reference conversation (``healthy``) goes on.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from .conftest import lift_rate_limits
from .raw import RawPolling, RawSocket

KIB = 1024


async def visitor_socket(url: str) -> RawSocket:
    sock = await RawSocket.open(url)
    connected = ""
    await sock.send("40/visitor,{}")
    while not connected.startswith("40/visitor,"):
        connected = await sock.recv()
    return sock


async def test_oversized_websocket_frame_closes_only_that_connection(server, healthy):
    sock = await visitor_socket(server.url)
    await sock.send('42/visitor,1["message",{"client_id":"big","text":"' + "x" * (65 * KIB) + '"}]')
    assert await sock.closed()
    await sock.close()
    await healthy.exchange("after oversized frame")


async def test_oversized_polling_body_is_refused_at_once(server, healthy):
    async with aiohttp.ClientSession() as http:
        poll = await RawPolling.open(http, server.url)
        body = "42/visitor," + json.dumps(["message", {"client_id": "a", "text": "x" * (70 * KIB)}])
        # Answered at once (python-engineio alone would close the session and leave the
        # POST hanging for as long as the client keeps it open).
        assert await asyncio.wait_for(poll.post(body), 5) == 413
        # The session itself is unharmed.
        assert await poll.post('42/visitor,7["typing",{"active":true}]') == 200
        assert any(f.startswith("43/visitor,7[") for f in await poll.get())

        async def chunked():  # no Content-Length at all
            yield b"42/visitor,"
            yield b'["typing",{"active":true}]'

        async with http.post(poll.url, data=chunked()) as resp:
            assert resp.status == 411


async def collect_acks(poll: RawPolling, want: int) -> list[str]:
    acks: list[str] = []
    while len(acks) < want:
        got = await poll.get()
        assert got and not got[0].startswith("HTTP"), (len(acks), got)
        acks += [f for f in got if f.startswith("43/visitor,")]
    return acks


async def test_a_polling_payload_carries_as_many_packets_as_fit_in_max_payload(server, healthy):
    # socket.io-client puts every waiting packet into one POST, limited only by
    # maxPayload; python-engineio alone refused more than 16 and still answered 200.
    lift_rate_limits(server)
    limit = server.settings.max_http_buffer_size
    async with aiohttp.ClientSession() as http:
        poll = await RawPolling.open(http, server.url)
        packets: list[str] = []
        while True:
            candidate = f'42/visitor,{len(packets) + 1}["typing",{{"active":true}}]'
            if len("\x1e".join([*packets, candidate]).encode()) > limit:
                break
            packets.append(candidate)
        assert len(packets) > 1000
        assert await poll.post("\x1e".join(packets)) == 200
        acks = await collect_acks(poll, len(packets))
        ids = sorted(int(a[len("43/visitor,") :].split("[", 1)[0]) for a in acks)
        assert ids == list(range(1, len(packets) + 1))
        # The smallest packets: a whole payload of noops, then the session still works.
        assert await poll.post("\x1e".join(["6"] * (limit // 2))) == 200
        assert await poll.post('42/visitor,7["typing",{"active":true}]') == 200
        assert (await collect_acks(poll, 1))[0].startswith("43/visitor,7[")


@pytest.mark.parametrize(
    ("body", "status", "closed"),
    [
        (b"\xff\xfe\xfd", 400, True),
        (b"abc", 400, True),
        (b"", 400, True),
        (b"9", 400, True),
        (b"0{}", 400, True),  # a client never sends open
        (b"b!!notbase64", 400, True),
        (b"\x1e\x1e\x1e", 400, True),
        (b'42/visitor,["typing",{"active":tru', 200, True),  # Socket.IO level: undecodable
        (b"4", 200, True),
        (b"42/visitor," + b"[" * 20000, 200, True),
        (b'42/visitor,{"a":1}', 200, True),  # an event payload must be an array
        (b"40/nowhere,{}", 200, False),  # refused with CONNECT_ERROR, nothing else
    ],
    ids=[
        "bad-utf8",
        "abc",
        "empty",
        "unknown-eio-type",
        "open-from-client",
        "bad-base64",
        "only-separators",
        "bad-json",
        "empty-message",
        "deeply-nested",
        "event-not-an-array",
        "unknown-ns",
    ],
)
async def test_malformed_polling_bodies_close_only_that_session(server, healthy, body, status, closed):
    async with aiohttp.ClientSession() as http:
        poll = await RawPolling.open(http, server.url)
        assert await asyncio.wait_for(poll.post(body), 10) == status
        frames = await poll.get(timeout=2)
        if closed:
            # The close packet if it was still queued, then the session is gone.
            assert frames in (["1"], ["HTTP 400"]), frames
            assert await poll.get(timeout=2) == ["HTTP 400"]
        else:
            assert frames == ['44/nowhere,{"message":"Invalid namespace"}'], frames
            assert await poll.post('42/visitor,7["typing",{"active":true}]') == 200
            assert (await collect_acks(poll, 1))[0].startswith("43/visitor,7[")


@pytest.mark.parametrize(
    "frame",
    [
        '42/visitor,1["typing",{"active":tru',  # bad JSON
        '42/visitor,1["typing"',
        "42/visitor,1" + "9" * 120 + '["typing",{}]',  # absurd ack id
        '43/visitor,1[{"ok":true}]',  # a client ack: the server never asks for one
        '44/visitor,{"message":"x"}',  # CONNECT_ERROR from a client
        "47/visitor,[]",  # unknown Socket.IO packet type
        "4x",
        '451-/visitor,7["message",{"_placeholder":true,"num":0}]',  # attachment withheld
        '459999999999-/visitor,["message",{"_placeholder":true,"num":0}]',
        '461-/visitor,1[{"_placeholder":true,"num":0}]',
        "abc",  # not Engine.IO at all
        "0{}",  # a client never sends open
        "b" + "A" * 8,  # base64 binary is for long-polling only
        "42/visitor," + "[" * 20000,  # nested beyond the recursion limit
        "42/visitor,9" + "[" * 20000,
    ],
    ids=[
        "bad-json",
        "truncated",
        "long-id",
        "client-ack",
        "connect-error",
        "type-7",
        "type-x",
        "binary-withheld",
        "binary-huge-count",
        "binary-ack",
        "eio-abc",
        "eio-open",
        "eio-base64",
        "deeply-nested",
        "deeply-nested-with-ack-id",
    ],
)
async def test_malformed_frames_close_only_the_sender(server, healthy, frame):
    sock = await visitor_socket(server.url)
    await sock.send(frame)
    assert await sock.closed()
    await sock.close()


async def test_binary_frames_are_refused(server, healthy):
    sock = await visitor_socket(server.url)
    await sock.send_bytes(b"\x00" * 1024)
    assert await sock.closed()
    await sock.close()


async def test_withheld_attachment_does_not_swallow_the_next_event(server, healthy):
    # Without the hardening, the next text frame would be taken as the attachment.
    sock = await visitor_socket(server.url)
    await sock.send('451-/visitor,7["message",{"_placeholder":true,"num":0}]')
    await sock.send('42/visitor,8["typing",{"active":true}]')
    assert await sock.closed()
    await sock.close()


async def test_events_before_connect_and_to_unknown_namespaces(server, healthy):
    # Before connecting to the namespace.
    sock = await RawSocket.open(server.url)
    await sock.send('42/visitor,1["start",{"audience":"self"}]')
    assert await sock.closed()
    await sock.close()
    # The operator namespace without ever connecting to it (no session).
    sock = await visitor_socket(server.url)
    await sock.send('42/operator,1["accept",{"conversation_id":"' + healthy.conversation_id + '"}]')
    assert await sock.closed()
    await sock.close()
    # Connecting to a namespace that does not exist is refused; then events to it close.
    sock = await RawSocket.open(server.url)
    await sock.send("40/admin,{}")
    assert (await sock.recv()).startswith("44/admin,")
    await sock.send('42/admin,1["x",{}]')
    assert await sock.closed()
    await sock.close()


@pytest.mark.parametrize(
    "payload",
    [
        "[123]",
        '["on_message",{}]',
        '["__class__",{}]',
        '["' + "a" * 40 + '",{}]',
        '["Message",{}]',
        '["",{}]',
    ],
)
async def test_unknown_event_names_get_an_invalid_ack(server, healthy, payload):
    # Valid Socket.IO framing (an array starting with a string or a number), but no
    # event of ours.
    sock = await visitor_socket(server.url)
    await sock.send(f"42/visitor,5{payload}")
    ack = await sock.wait_ack("/visitor", 5)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
    # The connection still works for proper events.
    ack = await sock.call("/visitor", 6, "typing", {"active": True})
    assert ack["ok"] is False and ack["error"]["code"] == "no_conversation"
    await sock.close()


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "[]",
        '{"a":1}',
        '"start"',
        "[null]",
        '[["message"]]',
        '[{"event":"start"}]',
        "[true]",
        '["connect",{"HTTP_COOKIE":"rc_staff=x"}]',
        '["disconnect"]',
        '["connect_error"]',
        '["disconnecting"]',
        '["newListener"]',
    ],
)
async def test_malformed_event_packets_close_the_connection(server, healthy, payload):
    # socket.io-parser refuses these as undecodable (isPayloadValid); so do we.
    sock = await visitor_socket(server.url)
    await sock.send(f"42/visitor,5{payload}")
    assert await sock.closed()
    await sock.close()


async def test_lone_surrogates_are_refused_cleanly(server, healthy):
    sock = await visitor_socket(server.url)
    assert (await sock.call("/visitor", 1, "start", {"audience": "self"}))["ok"]
    # json.dumps escapes a lone surrogate as \\ud800, which decodes back into one.
    for i, text in enumerate(["\ud800", "hej \udfff då", "\ud83d"]):
        ack = await sock.call("/visitor", 10 + i, "message", {"client_id": f"s{i}", "text": text})
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
    for i, payload in enumerate([{"audience": "\ud800"}, {"audience": "self", "locale": "\udc00"}]):
        ack = await sock.call("/visitor", 20 + i, "start", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    ack = await sock.call("/visitor", 30, "message", {"client_id": "fine", "text": "hej 😀"})
    assert ack["ok"], ack
    await sock.close()


async def test_connecting_twice_to_the_same_namespace(server, healthy):
    sock = await visitor_socket(server.url)
    await sock.send("40/visitor,{}")
    # Either refused or ignored; never a crash.
    ack = await sock.call("/visitor", 1, "typing", {"active": True}) if not await sock.closed(1) else None
    assert ack is None or ack["ok"] is False
    await sock.close()
