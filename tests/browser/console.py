"""The operator console in Chromium, as the browser tests drive it: one staff member's
tab (:class:`Console`), its screenshots and axe-core checks, and the fixtures that open
such tabs (registered in tests/browser/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp

from chat_server.services.stats import TZ

from ..conftest import LiveServer
from ..helpers import Recorder, StaffCredentials

try:
    from playwright.async_api import Page
except ImportError:  # pragma: no cover - the test lock installs playwright
    Page = Any

from .conftest import ROOT

AXE = ROOT / "operator_console" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "screenshots" / "console"
DESKTOP = {"width": 1366, "height": 820}
#: What every axe-core run checks: the WCAG 2.1 A and AA rules (the tags select them;
#: without tags axe runs its best-practice rules too and skips none of these, but the
#: project promises WCAG 2.1 AA, so that is what is asserted, for the widget as well).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_SCRIPT = """async (tags) => {
    const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
}"""


async def axe_violations(frame: Any, axe_file: Any = None) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations in a page or frame (axe is injected once)."""
    if not await frame.evaluate("typeof window.axe !== 'undefined'"):
        await frame.evaluate((axe_file or AXE).read_text(encoding="utf-8"))
    result: list[dict[str, Any]] = await frame.evaluate(AXE_SCRIPT, AXE_TAGS)
    return result


async def sideways_overflow(page: Any) -> list[str]:
    """What makes the page scroll sideways (WCAG 1.4.10 reflow): [] when nothing does."""
    result: list[str] = await page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width + 1) return [];
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.width && (r.right > width + 1 || r.left < -1) && !el.closest('.table-wrap, .tabs, [hidden]'))
                    out.push(`${el.tagName}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
            }
            return out.slice(0, 10);
        }"""
    )
    return result


async def catalog(base: str, locale: str) -> Callable[[str], str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/i18n/{locale}.json") as resp:
            messages = (await resp.json()).get("messages") or {}
    return lambda msgid: messages.get(msgid) or msgid


@dataclass
class Console:
    """One staff member's browser tab on /console/."""

    page: Page
    live: LiveServer
    name: str
    t: Callable[[str], str]
    violations: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    async def check(self, screen: str) -> None:
        """Screenshot this screen and run axe-core on it."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.wait_for_timeout(200)
        await self.page.screenshot(path=str(SHOTS / f"{screen}.png"))
        result = await axe_violations(self.page)
        if result:
            self.violations[screen] = result

    def button(self, msgid: str, exact: bool = True) -> Any:
        return self.page.get_by_role("button", name=self.t(msgid), exact=exact)

    async def login(self, creds: StaffCredentials, screen: str | None = None) -> None:
        await self.page.goto(self.live.url + "/console/")
        await self.page.get_by_label(self.t("Username")).fill(creds.username)
        await self.page.get_by_label(self.t("Password"), exact=True).fill(creds.password)
        await self.page.get_by_label(self.t("Code from your authenticator app")).fill(creds.next_code())
        if screen:
            await self.check(screen)
        await self.button("Log in").click()
        await self.page.locator("#duty-toggle").wait_for()

    async def go_on_duty(self) -> None:
        await self.page.locator("#duty-toggle").click()
        await self.page.locator("#duty-toggle[aria-pressed='true']").wait_for()

    def tab(self, pseudonym: str) -> Any:
        return self.page.get_by_role("tab", name=pseudonym)

    def log(self) -> Any:
        return self.page.get_by_role("log")

    def composer(self) -> Any:
        return self.page.locator(".composer textarea")


def watch_errors(console: Console) -> None:
    """Collect script errors and CSP refusals (inline code would be refused)."""
    console.page.on("pageerror", lambda exc: console.errors.append(str(exc)))

    def on_console(msg: Any) -> None:
        if "Content Security Policy" in msg.text:
            console.errors.append(msg.text)

    console.page.on("console", on_console)


def assert_clean(*consoles: Console) -> None:
    problems = {c.name: c.violations for c in consoles if c.violations}
    errors = {c.name: c.errors for c in consoles if c.errors}
    assert not errors, f"JavaScript errors: {errors}"
    if problems:
        raise AssertionError(
            "axe-core found accessibility violations:\n" + json.dumps(problems, indent=1, ensure_ascii=False)
        )


async def start_visitor(visitor: Callable[..., Awaitable[Recorder]], **params: Any) -> tuple[Recorder, str, str]:
    v = await visitor()
    session = v.received("session")[0]
    ack = await v.call("start", {"audience": "self", **params})
    assert ack["ok"], ack
    return v, ack["conversation"]["id"], session["pseudonym"]


def month_days(first: date) -> list[date]:
    nxt = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=i) for i in range((nxt - first).days)]


async def seed_statistics(server: Any) -> None:
    """Three ended months of counters: busy enough to publish, with one rare chat."""
    this_month = datetime.now(TZ).date().replace(day=1)
    months = []
    m = this_month
    for _ in range(3):
        m = (m - timedelta(days=1)).replace(day=1)
        months.append(m)
    durable = server.durable
    for k, month in enumerate(sorted(months)):
        for day in month_days(month)[: 10 + 5 * k]:
            await durable.add_stats(
                day.isoformat(),
                {
                    "conversations:total": 2,
                    "audience:self": 2,
                    "topic:control": 2,
                    "language:sv": 2,
                    "age_band:16-17": 1,
                    "age_band:18-21": 1,
                    "urgent:no": 2,
                    "outcome:operator_ended": 2,
                    "wait:1-5m": 1,
                    "wait:0-1m": 1,
                    "duration:5-15m": 2,
                    "triage:recorded": 2,
                    "risk:low": 2,
                    "category:honour_control": 2,
                    "gender:not_stated": 2,
                    "assessed_age_band:over-26": 2,
                    "referral:social_services": 1,
                },
            )
        # One rare chat: Tigrinya, urgent, unanswered.
        await durable.add_stats(
            month.isoformat(),
            {
                "conversations:total": 1,
                "audience:self": 1,
                "topic:fgm": 1,
                "language:ti": 1,
                "age_band:13-15": 1,
                "urgent:yes": 1,
                "outcome:abandoned": 1,
                "wait:unanswered": 1,
            },
        )
