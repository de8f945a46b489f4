"""Helpers for the work view's browser tests (test_console_work.py, test_console_shift.py):
a console tab in a given size and language, the boxes of the composer and its Send
button, and the checks the layout must pass."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..conftest import LiveServer
from ..helpers import Recorder, StaffCredentials
from .console import Console, catalog, watch_errors

Box = dict[str, float]

# Records every desktop notification the page makes (title and options), so a test can
# read what it said; the real constructor is called too.
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notes = [];
  class Recorded extends Real {
    constructor(title, options) { super(title, options); window.__notes.push({title, options: options || {}}); }
  }
  Object.defineProperty(Recorded, 'permission', {get: () => Real.permission});
  window.__asked = 0;
  Recorded.requestPermission = (...a) => { window.__asked += 1; return Real.requestPermission(...a); };
  window.Notification = Recorded;
})();
"""


async def open_console(
    browser: Any, live: LiveServer, name: str, locale: str = "sv", viewport: dict[str, int] | None = None
) -> Console:
    """A console tab for a staff member whose console language is ``locale``."""
    context = await browser.new_context(
        viewport=viewport or {"width": 1280, "height": 800}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    console = Console(page, live, name, await catalog(live.url, locale))
    watch_errors(console)
    return console


async def staff_console(
    browser: Any,
    live: LiveServer,
    name: str,
    *,
    role: str = "operator",
    locale: str = "sv",
    languages: list[str] | None = None,
    viewport: dict[str, int] | None = None,
    duty: bool = True,
) -> tuple[Console, StaffCredentials]:
    """Create a staff member, log them in, and (operators) go on duty."""
    creds = await live.create_staff(role, name=name, locale=locale, languages=languages or [locale])
    console = await open_console(browser, live, name, "sv", viewport)  # the login page speaks Swedish
    await console.login(creds)
    if locale != "sv":  # then the staff member's own language
        console.t = await catalog(live.url, locale)
        await console.page.locator(f"html[lang={locale}]").wait_for(state="attached")
    if duty:
        await console.go_on_duty()
    return console, creds


async def start_chat(visitor: Callable[..., Awaitable[Recorder]], **params: Any) -> tuple[Recorder, str, str]:
    """A visitor who started a chat: (their client, conversation id, pseudonym)."""
    v = await visitor()
    session = v.received("session")[0]
    ack = await v.call("start", {"audience": "self", **params})
    assert ack["ok"], ack
    return v, ack["conversation"]["id"], session["pseudonym"]


async def accept(console: Console, pseudonym: str) -> None:
    """Accept the visitor's chat from the queue and show it."""
    name = console.t("Accept the chat with {name}").replace("{name}", pseudonym)
    await console.page.get_by_role("button", name=name).click()
    await console.tab(pseudonym).click()
    await console.page.locator(".chat-head h2", has_text=pseudonym).wait_for()


async def box(console: Console, selector: str) -> Box:
    """Where ``selector`` is on screen. A redraw may be under way (a saved note redraws
    the chat's log and composer): the element found visible may be replaced before its
    box is read, so the newest one is read again, for up to 3 s."""
    where = console.page.locator(selector).first
    found = None
    for _ in range(30):
        await where.wait_for(state="visible", timeout=3000)
        found = await where.bounding_box()
        if found is not None:
            break
        await console.page.wait_for_timeout(100)
    assert found is not None, f"{selector} is not on screen"
    return found


def overlaps(a: Box, b: Box) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def assert_send_in_view(console: Console, where: str) -> Box:
    """The composer's Send (or Save note) button is wholly inside the window, and no
    notice covers it."""
    send = await box(console, ".composer button[type=submit]")
    size = console.page.viewport_size
    assert size is not None
    assert send["x"] >= 0 and send["y"] >= 0, where
    assert send["x"] + send["width"] <= size["width"] + 0.5, f"Send cut off at the side: {where}"
    assert send["y"] + send["height"] <= size["height"] + 0.5, f"Send below the window: {where}"
    for toast in await console.page.locator("#toasts .toast").all():
        tb = await toast.bounding_box()
        if tb:
            assert not overlaps(send, tb), f"a notice covers Send: {where}"
    return send


async def assert_no_sideways_scroll(console: Console, where: str) -> None:
    widths = await console.page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.getElementById('main').scrollWidth, document.getElementById('main').clientWidth]"
    )
    assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3] + 1, f"sideways scrolling {widths}: {where}"


async def assert_nothing_cut_off(console: Console, where: str) -> None:
    """Every visible control of the view lies within the window's width (a control in a
    scrolling tab strip may be scrolled away)."""
    cut = await console.page.evaluate(
        """() => {
            const w = document.documentElement.clientWidth;
            const out = [];
            const controls = '#main button, #main select, #main input, #main textarea, #main a';
            for (const n of document.querySelectorAll(controls)) {
                if (n.closest('.tabs')) continue;
                const r = n.getBoundingClientRect();
                if (!r.width || !r.height || getComputedStyle(n).visibility === 'hidden') continue;
                if (r.left >= -0.5 && r.right <= w + 0.5) continue;
                const name = (n.textContent || n.getAttribute('aria-label') || '').trim().slice(0, 30);
                out.push(`${n.tagName} ${name} ${Math.round(r.left)}-${Math.round(r.right)}`);
            }
            return out;
        }"""
    )
    assert not cut, f"controls cut off at the side ({where}): {cut}"
