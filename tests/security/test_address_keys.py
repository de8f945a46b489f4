"""Limits and blocks key on the IPv4 address or the IPv6 network (a /64 by default,
``CHAT_IPV6_PREFIX``), so one IPv6 subscriber cannot be many visitors.

IPv6 source addresses cannot be bound on this machine, so the keying function is tested
directly (with hypothesis over whole networks); IPv4 is tested over real sockets from
127.0.0.x source addresses.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import aiohttp
import pytest
import socketio
from hypothesis import given
from hypothesis import strategies as st

from chat_server.config import SettingsError, load_settings
from chat_server.security.ratelimit import DailyKeyedHasher, limit_subject

START = {"audience": "self"}

ipv6 = st.integers(min_value=0, max_value=2**128 - 1).map(ipaddress.IPv6Address)
ipv4 = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)


def with_host_bits(address: ipaddress.IPv6Address, prefix: int, host: int) -> ipaddress.IPv6Address:
    network = int(address) >> (128 - prefix) << (128 - prefix)
    return ipaddress.IPv6Address(network | (host % (1 << (128 - prefix))))


@given(ipv6, st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=2, max_size=8))
def test_every_address_of_a_64_is_one_key(address: ipaddress.IPv6Address, hosts: list[int]) -> None:
    hasher = DailyKeyedHasher(clock=lambda: 10**9)
    # IPv4-mapped addresses (::ffff:0:0/96, inside ::/64) are IPv4 clients: each is keyed
    # by its IPv4 address (below), not by the /64 it happens to sit in.
    members = [a for a in (with_host_bits(address, 64, h) for h in hosts) if a.ipv4_mapped is None]
    keys = {hasher.address_key(str(a)) for a in members}
    assert len(keys) <= 1


@given(ipv6, st.integers(min_value=0, max_value=2**64 - 1))
def test_neighbouring_64s_are_different_keys(address: ipaddress.IPv6Address, host: int) -> None:
    hasher = DailyKeyedHasher(clock=lambda: 10**9)
    other = ipaddress.IPv6Address(int(address) ^ (1 << 64))  # the next /64 over
    if address.ipv4_mapped is not None or other.ipv4_mapped is not None:
        return
    assert hasher.address_key(str(address)) != hasher.address_key(str(with_host_bits(other, 64, host)))


@given(ipv6, st.sampled_from([48, 56, 60, 64, 96, 128]), st.integers(min_value=0, max_value=2**80 - 1))
def test_the_prefix_length_is_configurable(address: ipaddress.IPv6Address, prefix: int, host: int) -> None:
    if address.ipv4_mapped is not None:
        return
    inside = with_host_bits(address, prefix, host)
    assert limit_subject(str(address), prefix) == limit_subject(str(inside), prefix)
    assert limit_subject(str(inside), prefix) == str(ipaddress.IPv6Network((address, prefix), strict=False))


@given(ipv4)
def test_ipv4_mapped_ipv6_counts_as_ipv4(address: ipaddress.IPv4Address) -> None:
    hasher = DailyKeyedHasher(clock=lambda: 10**9)
    key = hasher.address_key(str(address))
    assert hasher.address_key(f"::ffff:{address}") == key
    assert hasher.address_key(str(ipaddress.IPv6Address(f"::ffff:{address}"))) == key
    assert hasher.address_key(f"[::ffff:{address}]:443") == key
    assert hasher.address_key(f"{address}:51234") == key  # a proxy that writes the port


@given(ipv4, ipv4)
def test_each_ipv4_address_is_its_own_key(a: ipaddress.IPv4Address, b: ipaddress.IPv4Address) -> None:
    hasher = DailyKeyedHasher(clock=lambda: 10**9)
    assert (hasher.address_key(str(a)) == hasher.address_key(str(b))) == (a == b)


def test_written_forms() -> None:
    assert limit_subject("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert limit_subject("[2001:db8:1:2::7]:8443") == "2001:db8:1:2::/64"
    assert limit_subject("fe80::1%eth0") == "fe80::/64"
    assert limit_subject("2001:db8:1:2::7", 56) == "2001:db8:1::/56"
    assert limit_subject("::ffff:192.0.2.7") == "192.0.2.7"
    assert limit_subject("192.0.2.7") == "192.0.2.7"
    assert limit_subject("unknown") == "unknown"
    assert limit_subject("not an address") == "not an address"


def test_prefix_setting() -> None:
    assert load_settings(env={}).ipv6_prefix == 64
    assert load_settings(env={"CHAT_IPV6_PREFIX": "56"}).ipv6_prefix == 56
    for bad in ("0", "129", "16"):
        with pytest.raises(SettingsError):
            load_settings(env={"CHAT_IPV6_PREFIX": bad})


# --- real sockets from several IPv4 source addresses -------------------------------------
class FromAddress:
    """A visitor whose TCP connections leave from ``source`` (127.0.0.x)."""

    def __init__(self, base: str, source: str) -> None:
        self.base = base
        self.source = source
        self.http: aiohttp.ClientSession | None = None
        self.client: socketio.AsyncClient | None = None

    async def __aenter__(self) -> FromAddress:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(self.source, 0)))
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http)
        await self.client.connect(self.base, namespaces=["/visitor"], transports=["websocket"], wait_timeout=10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.client is not None and self.http is not None
        if self.client.connected:
            await self.client.disconnect()
        await self.http.close()

    async def call(self, event: str, data: Any) -> Any:
        assert self.client is not None
        return await self.client.call(event, data, namespace="/visitor", timeout=10)


async def test_limits_and_blocks_follow_the_ipv4_address(server_factory, clients) -> None:
    from tests.conftest import connect_operator

    server = await server_factory(routing_mode="pick", max_chats_default=20)
    # Starts are limited per address key (burst 30, a school class): the 31st from
    # 127.0.0.2 is refused, while 127.0.0.3 starts as usual.
    answers = []
    for _ in range(11):
        async with FromAddress(server.url, "127.0.0.2") as v:
            for _ in range(3):  # within the per-connection limits of start and end
                answers.append(await v.call("start", START))
                await v.call("end", {})
    codes = ["ok" if a["ok"] else a["error"]["code"] for a in answers]
    assert codes[:30] == ["ok"] * 30 and codes[30] == "rate_limited", codes
    async with FromAddress(server.url, "127.0.0.3") as other:
        assert (await other.call("start", START))["ok"]

    # A block holds for the blocked address only.
    sara, _ = await connect_operator(server.url, await server.create_staff(), clients)
    async with FromAddress(server.url, "127.0.0.4") as blocked:
        cid = (await blocked.call("start", START))["conversation"]["id"]
        assert (await sara.call("accept", {"conversation_id": cid}))["ok"]
        assert (await sara.call("block", {"conversation_id": cid})) == {"ok": True, "blocked": True}
    async with FromAddress(server.url, "127.0.0.4") as again:
        refused = await again.call("start", START)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    async with FromAddress(server.url, "127.0.0.5") as neighbour:
        assert (await neighbour.call("start", START))["ok"]
