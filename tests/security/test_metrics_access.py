"""/metrics answers an allow-listed address (loopback by default) or a scraper with the
bearer token, nobody else, whatever the proxy in front does; forwarded headers can only
take access away."""

from __future__ import annotations

import aiohttp
import pytest

from chat_server.config import Secret, SettingsError, load_settings

TOKEN = "scrape-token-" + "x" * 24


async def scrape(base: str, source: str = "127.0.0.1", headers: dict[str, str] | None = None) -> int:
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(base + "/metrics", headers=headers or {}) as resp:
            body = await resp.text()
            if resp.status == 200:
                assert "rc_chat_live_conversations" in body
            else:
                assert "rc_chat" not in body
            return resp.status


async def test_loopback_only_by_default(server) -> None:
    assert await scrape(server.url) == 200
    assert await scrape(server.url, "127.0.0.2") == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "203.0.113.5"},
        {"X-Forwarded-For": "127.0.0.1, 203.0.113.5"},
        {"X-Real-IP": "203.0.113.5"},
        {"Forwarded": "for=203.0.113.5;proto=https"},
        {"Forwarded": 'for="[2001:db8::1]:443"'},
        {"Forwarded": "proto=https"},
    ],
)
async def test_a_visitor_relayed_by_a_local_proxy_is_not_loopback(server, headers) -> None:
    # A proxy on the same host connects from 127.0.0.1 and says who it relays.
    assert await scrape(server.url, headers=headers) == 403


async def test_the_shipped_nginx_loopback_scrape_still_works(server) -> None:
    assert await scrape(server.url, headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}) == 200


async def test_bearer_token_from_anywhere(server_factory) -> None:
    live = await server_factory(metrics_token=Secret(TOKEN), metrics_allow=())
    assert await scrape(live.url) == 403  # the list is empty: only the token counts
    assert await scrape(live.url, "127.0.0.2", {"Authorization": f"Bearer {TOKEN}"}) == 200
    assert await scrape(live.url, headers={"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "203.0.113.5"}) == 200
    for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", TOKEN, f"Basic {TOKEN}"):
        assert await scrape(live.url, "127.0.0.2", {"Authorization": wrong}) == 403, wrong


async def test_allow_list_of_networks(server_factory) -> None:
    live = await server_factory(metrics_allow=("127.0.0.0/30",))
    assert await scrape(live.url, "127.0.0.2") == 200
    assert await scrape(live.url, "127.0.0.5") == 403


def test_bad_allow_list_is_a_settings_error() -> None:
    with pytest.raises(SettingsError):
        load_settings(env={"CHAT_METRICS_ALLOW": "10.0.0.0/8,monitoring"})
    assert load_settings(env={"CHAT_METRICS_ALLOW": "10.1.0.0/16, ::1"}).metrics_allow == ("10.1.0.0/16", "::1")
