"""The seal of pub/sub messages (security/fanout_seal.py): a peer of the deployment opens
a message once, on its channel; anything else is None, never an exception."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from chat_server.security.fanout_seal import MAX_AGE_S, FanoutSeal

MASTER = os.urandom(32)
CHANNEL = "rc-chat:/visitor:v:abc"


def pair(now: float = 1_800_000_000.0) -> tuple[FanoutSeal, FanoutSeal]:
    clock = lambda: now  # noqa: E731
    return FanoutSeal(MASTER, "a" * 32, clock), FanoutSeal(MASTER, "b" * 32, clock)


def test_a_peer_opens_a_message_once_on_its_channel() -> None:
    a, b = pair()
    wire = a.seal(CHANNEL, '{"method":"emit"}')
    assert a.is_own(wire) and not b.is_own(wire)
    assert b.open(CHANNEL, wire) == '{"method":"emit"}'
    assert b.open(CHANNEL, wire) is None  # replayed
    later = a.seal(CHANNEL, "next")
    assert b.open("rc-chat:/visitor:v:other", later) is None  # moved to another channel
    assert b.open(CHANNEL, later) == "next"  # the failed attempt did not advance the counter


def test_every_message_has_its_own_nonce_and_nothing_in_clear() -> None:
    a, _ = pair()
    wires = [a.seal(CHANNEL, "hemlig text") for _ in range(100)]
    assert len({w.split(".")[1] for w in wires}) == 100
    assert len({w.split(".")[3] for w in wires}) == 100
    assert not any("hemlig" in w for w in wires)


def test_another_key_tampering_and_stale_messages_are_dropped() -> None:
    a, b = pair()
    stranger = FanoutSeal(os.urandom(32), "c" * 32)
    assert b.open(CHANNEL, stranger.seal(CHANNEL, "x")) is None
    wire = a.seal(CHANNEL, "x" * 40)
    head, body = wire.rsplit(".", 1)
    flipped = head + "." + body[:5] + ("A" if body[5] != "A" else "B") + body[6:]
    assert b.open(CHANNEL, flipped) is None
    assert b.open(CHANNEL, wire.replace("a" * 32, "d" * 32, 1)) is None  # another sender's header
    old, _ = pair(now=1_800_000_000.0 - MAX_AGE_S - 1)
    _, reader = pair()
    assert reader.open(CHANNEL, old.seal(CHANNEL, "old")) is None
    assert b.open(CHANNEL, wire) == "x" * 40  # the genuine one still opens
    assert b.dropped == 3 and reader.dropped == 1


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_garbage_never_raises(wire: str | bytes) -> None:
    _, b = pair()
    assert b.open(CHANNEL, wire) is None


@given(st.text(alphabet="0123456789abcdef.+/=ABCxyz-", max_size=120))
def test_header_shaped_garbage_never_raises(wire: str) -> None:
    _, b = pair()
    assert b.open(CHANNEL, "a" * 32 + "." + wire) is None


def test_every_library_publish_goes_through_the_sealing_hook() -> None:
    """python-socketio publishes only through ``_publish`` (which the room-channel
    manager overrides to seal): if a new version publishes some other way, this fails
    before anything crosses Redis in the clear."""
    import inspect
    import re

    import socketio
    from socketio import async_pubsub_manager, async_redis_manager

    from chat_server.transport.redis_fanout import RoomChannelRedisManager

    for module in (async_pubsub_manager, async_redis_manager):
        source = inspect.getsource(module)
        calls = re.findall(r"[\w.]*publish\(", source)
        assert set(calls) <= {"self._publish(", "_publish(", "self.redis.publish("}, calls  # "_publish(": its def
        if "self.redis.publish(" in calls:
            body = inspect.getsource(socketio.AsyncRedisManager._publish)
            assert "self.redis.publish(" in body  # only inside the hook we replace
    assert RoomChannelRedisManager._publish is not socketio.AsyncRedisManager._publish
    assert RoomChannelRedisManager._listen is not socketio.AsyncRedisManager._listen
