"""The supervisors' tools against a flood of fake chats, in Chromium: a burst alert that
lists the burst's waiting chats with one button to remove them, and a Remove button on
each waiting chat in the supervision overview. Each asks first; removed chats end for
their visitor and their network is blocked for a while. Screenshots in
screenshots/console/15-*.png, 16-*.png, each checked with axe-core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..conftest import LiveServer
from ..helpers import Recorder
from ..security.test_queue_abuse import FromAddress
from .console import DESKTOP, Console, assert_clean, catalog, watch_errors

START = {"audience": "self", "urgent": True, "age_band": "13-15"}


async def test_a_supervisor_removes_a_burst_of_fake_chats(
    console_browser: Any, server_factory: Callable[..., Awaitable[LiveServer]], clients: list[Recorder]
) -> None:
    live = await server_factory(burst_alert_per_key=3, urgent_alert_s=3600)
    context = await console_browser.new_context(viewport=DESKTOP, locale="sv-SE", timezone_id="Europe/Stockholm")
    context.set_default_timeout(10_000)
    boss = Console(await context.new_page(), live, "boss", await catalog(live.url, "sv"))
    watch_errors(boss)
    t = boss.t
    confirmations: list[str] = []

    async def confirm() -> None:
        """The console asks in a dialog of its own (views/dialogs.js) before removing."""
        dialog = boss.page.get_by_role("dialog")
        await dialog.wait_for()
        confirmations.append(await dialog.inner_text())
        await dialog.get_by_role("button", name=t("Remove")).click()
        await dialog.wait_for(state="detached")

    await boss.login(await live.create_staff("supervisor", name="Maria"))

    fakes = []
    for _ in range(3):
        v = Recorder(live.url, "/visitor")
        clients.append(v)
        await v.connect()
        await v.wait_for("session")
        assert (await v.call("start", START))["ok"]
        fakes.append(v)
    alert = boss.page.locator("#alerts .alert-item").filter(has_text=t("Dismiss")).first
    await alert.wait_for()
    text = t("New chats from one network within a minute: {count}. Remove the waiting ones if they look fake.")
    assert text.replace("{count}", "3") in await alert.inner_text()
    await boss.check("15-burst-alert")
    await alert.get_by_role("button", name=t("Remove these chats ({n})").replace("{n}", "3")).click()
    await confirm()
    for v in fakes:
        assert (await v.wait_for("ended"))["reason"] == "blocked"
    assert len(confirmations) == 1
    await boss.page.get_by_role("status").filter(has_text=t("Chats removed: {n}.").replace("{n}", "3")).wait_for()
    assert await live.repository.queue_ids() == []

    # One more waiting chat, from another network: removed from the overview.
    other = FromAddress(live.url, "127.0.0.5")
    try:
        await other.open()
        ack = await other.call("start", START)
        assert ack["ok"]
        await boss.page.get_by_role("button", name=t("Supervision")).click()
        row = boss.page.locator("tr", has_text=t("Waiting"))
        await row.first.wait_for()
        await boss.check("16-overview-remove")
        pseudonym = next(d for e, d in other.events if e == "session")["pseudonym"]
        label = t("Remove the waiting chat {name}").replace("{name}", pseudonym)
        await row.first.get_by_role("button", name=label).click()
        await confirm()
        await boss.page.get_by_role("status").filter(has_text=t("Chats removed: {n}.").replace("{n}", "1")).wait_for()
        assert await live.repository.queue_ids() == []
        assert code_of(await other.call("start", START)) == "forbidden"  # its network is blocked
    finally:
        await other.close()
    assert len(confirmations) == 2
    assert_clean(boss)


def code_of(ack: Any) -> str:
    return "ok" if ack["ok"] else str(ack["error"]["code"])
