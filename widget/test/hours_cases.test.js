// The opening-hours sentences over the cases of tests/fixtures/hours_cases.json (both
// summer-time changes, Christmas and New Year, Easter, Midsummer, a four-week summer
// closure, six versus seven days ahead, other hours today, last call), with a frozen
// clock, the `hours` payload exactly as the server builds it (chat_server/services/
// hours.py Hours.payload), and every locale's catalog (the .po files, the source of
// truth). tests/unit/test_hours_cases.py checks the server against the same cases.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { fmt, useCatalog } from "../../frontend_lib/i18n.js";
import { dateText, lastCallText, monthNames, nextOpenText, nextOpening, todayException, weekdayNames, weeklyRows } from "../src/app/state/hours.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixture = join(repo, "tests", "fixtures", "hours_cases.json");
const cases = JSON.parse(readFileSync(fixture, "utf8")).cases;

// For every case, the payload the server sends at that moment; and every locale's
// messages (msgid -> msgstr) straight from its .po file.
const SERVER = `
import asyncio, json, sys, tempfile
from datetime import datetime
from pathlib import Path
from babel.messages.pofile import read_po
from chat_server.i18n import SUPPORTED
from chat_server.services.hours import Hours
from chat_server.storage.sqlite import SqliteDurable

async def payloads():
    cases = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))["cases"]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        durable = SqliteDurable(Path(tmp) / "hours.sqlite3")
        await durable.open()
        hours = Hours(durable)
        for case in cases:
            await hours.set_schedule(case["schedule"])
            out.append(await hours.payload(datetime.fromisoformat(case["now"])))
        await durable.close()
    return out

catalogs = {}
for code in SUPPORTED:
    with open(f"locales/{code}/LC_MESSAGES/messages.po", "rb") as fh:
        catalogs[code] = {m.id: m.string for m in read_po(fh) if isinstance(m.id, str) and m.id and m.string}
print(json.dumps({"payloads": asyncio.run(payloads()), "catalogs": catalogs}))
`;

function fromServer() {
  const python = process.env.RC_PYTHON || join(repo, ".venv", "bin", "python");
  assert.ok(existsSync(python), `${python} is missing: run \`make install\` (or set RC_PYTHON)`);
  return JSON.parse(execFileSync(python, ["-c", SERVER, fixture], { cwd: repo, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }));
}

const { payloads, catalogs } = fromServer();
const LOCALES = Object.keys(catalogs);

function msgidFor(next) {
  return {
    today: "The chat opens again today at {time}.",
    tomorrow: "The chat opens again tomorrow at {time}.",
    weekday: "The chat opens again on {day} at {time}.",
    date: "The chat opens again on {date} at {time}.",
  }[next.day];
}

describe("the server's payloads", () => {
  test("one per case, each with the fields the widget reads", () => {
    assert.equal(payloads.length, cases.length);
    for (const p of payloads) {
      for (const key of ["timezone", "open_now", "accepting", "next_open_at", "closes_at", "weekly"]) assert.ok(key in p, key);
    }
  });
  test("every product locale has a catalog", () => {
    assert.deepEqual([...LOCALES].sort(), ["ar", "ckb", "en", "fa", "ku", "so", "sv", "ti", "tr"]);
  });
});

cases.forEach((c, i) => {
  describe(c.name, () => {
    const hours = payloads[i];
    const now = Date.parse(c.now);

    test("the next opening, by calendar date in Stockholm", () => {
      assert.deepEqual(nextOpening(hours, now), c.next);
    });

    test("today's exception", () => {
      assert.deepEqual(todayException(hours, now), c.today_exception);
      const rows = weeklyRows(hours, now);
      const today = rows.filter((r) => r.today);
      assert.equal(today.length, 1);
      assert.deepEqual(today[0].exception, c.today_exception);
    });

    for (const locale of LOCALES) {
      test(`the sentence in ${locale}`, () => {
        useCatalog(locale, { messages: catalogs[locale] });
        const t = (msgid) => catalogs[locale][msgid] || msgid;
        const weekdays = weekdayNames();
        const lastCall = lastCallText(hours, now);
        if (c.last_call_closes) {
          assert.equal(nextOpenText(hours, now), null);
          assert.equal(lastCall, fmt(t("It is too late to start a new chat today. The chat closes at {time}."), { time: c.last_call_closes }));
          return;
        }
        assert.equal(lastCall, null);
        const text = nextOpenText(hours, now);
        const template = t(msgidFor(c.next));
        if (locale !== "en") assert.notEqual(template, msgidFor(c.next), `${locale} has no translation of ${msgidFor(c.next)}`);
        assert.ok(!/[{}]/.test(text), text);
        assert.ok(text.includes(c.next.time), text);
        if (c.next.day === "weekday") {
          assert.equal(text, fmt(template, { day: weekdays[c.next.weekday], time: c.next.time }));
          assert.ok(text.includes(t(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][c.next.weekday])));
        } else if (c.next.day === "date") {
          const [, month, day] = c.next.date.split("-").map(Number);
          const date = dateText(c.next.date, c.next.weekday);
          assert.equal(text, fmt(template, { date, time: c.next.time }));
          // The weekday, the day of the month and the month, each in this language.
          assert.ok(date.includes(weekdays[c.next.weekday]), date);
          assert.ok(date.includes(String(day)), date);
          assert.ok(date.includes(monthNames()[month - 1]), date);
          if (locale !== "en") assert.notEqual(monthNames()[month - 1], ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"][month - 1]);
        } else {
          assert.equal(text, fmt(template, { time: c.next.time }));
        }
      });
    }
  });
});

describe("edges", () => {
  test("a payload whose opening has passed says nothing rather than something wrong", () => {
    const hours = { timezone: "Europe/Stockholm", next_open_at: Date.parse("2026-03-10T09:00:00+01:00"), open_now: false };
    assert.equal(nextOpening(hours, Date.parse("2026-03-11T10:00:00+01:00")), null);
  });

  test("always open, or open now: no exception today", () => {
    const weekly = [{ weekday: 1, ranges: [["09:00", "16:00"]] }];
    const now = Date.parse("2026-03-10T10:00:00+01:00");
    assert.equal(todayException({ always_open: true, open_now: true, weekly }, now), null);
    assert.equal(todayException({ open_now: true, weekly }, now), null);
    assert.deepEqual(todayException({ open_now: false, next_open_at: null, weekly }, now), { kind: "closed" });
  });

  test("no weekly table: no rows, and no today marker on a missing clock", () => {
    assert.equal(weeklyRows({ weekly: [] }, Date.now()), null);
    const rows = weeklyRows({ weekly: [{ weekday: 0, ranges: [["09:00", "16:00"]] }] });
    assert.ok(rows.every((r) => !r.today && r.exception === null));
  });

  test("dateText: the parts in the catalog's order", () => {
    useCatalog("xx", { messages: { "{weekday} {day} {month}": "{day}. {month}, {weekday}", Monday: "M", August: "Aug" } });
    assert.equal(dateText("2026-08-10", 0), "10. Aug, M");
    assert.equal(dateText("not a date", 0), "");
    useCatalog("en", null);
  });
});
