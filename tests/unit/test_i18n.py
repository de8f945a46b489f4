"""Languages: negotiation, catalogs as the server and the front ends see them, and
locale-aware formatting for every supported language (CLDR coverage varies)."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from babel.messages.pofile import read_po

from chat_server import i18n
from chat_server.locales_cli import DEFAULT, placeholders

from ..conftest import LiveServer
from ..helpers import Recorder

REPO = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------------ negotiation


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-SE,sv;q=0.9,en;q=0.8", "sv"),
        ("ar-SE", "ar"),
        ("ar-SE,ar;q=0.9,sv;q=0.5", "ar"),
        ("fa-AF", "fa"),
        ("fa-IR,fa;q=0.9", "fa"),
        ("prs", "fa"),
        ("prs-AF,en;q=0.4", "fa"),
        ("ckb", "ckb"),
        ("ckb-IQ", "ckb"),
        ("ku-Arab-IQ", "ckb"),
        ("ku", "ku"),
        ("ku-TR", "ku"),
        ("kmr", "ku"),
        ("kmr-Latn-TR", "ku"),
        ("so-SO", "so"),
        ("ti-ER", "ti"),
        ("ti-ET", "ti"),
        ("tr-TR", "tr"),
        ("en-GB,en;q=0.9", "en"),
        ("EN-us", "en"),
        ("de-DE,fr;q=0.8", "sv"),  # unsupported: Swedish
        ("", "sv"),
        ("*", "sv"),
        ("en;q=0.2, tr;q=0.9", "tr"),  # q-values, not order, decide
        ("tr;q=0.5, ar;q=0.5", "tr"),  # equal q: the first wins
        ("so;q=0, en", "en"),  # q=0 means "not this"
        ("so;q=abc, ti", "ti"),  # an unreadable q counts as 0
        ("de, ar;q=0.1", "ar"),  # a weak supported one beats an unsupported one
        ("nb-NO", "sv"),
        ("x" * 200 + ", ar", "ar"),
    ],
)
def test_negotiate_accept_language(header: str, expected: str) -> None:
    assert i18n.negotiate(i18n.parse_accept_language(header)) == expected


# One list of cases for the server and the widget (frontend_lib/test/languages.test.js).
LANGUAGE_CASES: list[dict[str, Any]] = json.loads(
    (REPO / "tests" / "fixtures" / "language_cases.json").read_text(encoding="utf-8")
)["cases"]


@pytest.mark.parametrize("case", LANGUAGE_CASES, ids=lambda c: " ".join(c["languages"]) or "(none)")
def test_negotiate_shared_language_cases(case: dict[str, Any]) -> None:
    assert i18n.negotiate(case["languages"]) == case["locale"], case.get("why", "")


def test_negotiation_table_names_only_supported_locales() -> None:
    for table in (i18n.NEGOTIATION_ALIASES, i18n.NEGOTIATION_FALLBACKS):
        for tag, code in table.items():
            assert tag == i18n.normalize_tag(tag), tag
            assert code in i18n.SUPPORTED, (tag, code)
    # A fallback is only for a language we do not serve, and an alias never shadows one.
    assert not set(i18n.NEGOTIATION_FALLBACKS) & set(i18n.SUPPORTED)
    assert not set(i18n.NEGOTIATION_ALIASES) & set(i18n.SUPPORTED)


async def test_widget_chooses_like_the_server_with_the_served_table(server: LiveServer) -> None:
    """The same language lists through the server's negotiate() and through the widget's
    chooseLocale() (run by Node) with the table /i18n/locales.json serves: same locale."""
    node = shutil.which("node")
    assert node, "node is needed (it builds the front ends too)"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/i18n/locales.json") as resp:
            payload = await resp.json()
    # The original fields stay as they were (external clients read them).
    assert payload["default"] == "sv"
    assert [loc["code"] for loc in payload["locales"]] == list(i18n.SUPPORTED)
    assert payload["negotiation"] == {
        "aliases": i18n.NEGOTIATION_ALIASES,
        "fallbacks": i18n.NEGOTIATION_FALLBACKS,
    }
    lists = [case["languages"] for case in LANGUAGE_CASES] + [
        # Beyond the fixture: every tag of the table, alone and before another language.
        *([tag] for tag in (*i18n.NEGOTIATION_ALIASES, *i18n.NEGOTIATION_FALLBACKS)),
        *([tag, "en"] for tag in (*i18n.NEGOTIATION_ALIASES, *i18n.NEGOTIATION_FALLBACKS)),
    ]
    script = (
        "import { chooseLocale, readTable } from './frontend_lib/languages.js';\n"
        "let input = '';\n"
        "process.stdin.on('data', (d) => (input += d));\n"
        "process.stdin.on('end', () => {\n"
        "  const { payload, lists } = JSON.parse(input);\n"
        "  const codes = payload.locales.map((l) => l.code);\n"
        "  const table = readTable(payload);\n"
        "  console.log(JSON.stringify(lists.map((l) => chooseLocale(l, codes, table, payload.default))));\n"
        "});\n"
    )
    proc = await asyncio.create_subprocess_exec(
        node,
        "--input-type=module",
        "-e",
        script,
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(json.dumps({"payload": payload, "lists": lists}).encode()), 60)
    assert proc.returncode == 0, err.decode()
    widget = json.loads(out)
    server_side = [i18n.negotiate(languages) for languages in lists]
    assert widget == server_side, [
        (languages, w, s) for languages, w, s in zip(lists, widget, server_side, strict=True) if w != s
    ]


def test_negotiate_posix_tags_and_fallback() -> None:
    assert i18n.negotiate(["fa_AF"]) == "fa"
    assert i18n.negotiate(["pt_BR", "so_SO"]) == "so"
    assert i18n.negotiate(["pt"], default="en") == "en"
    assert i18n.negotiate([]) == i18n.DEFAULT_LOCALE == "sv"


def test_parse_accept_language_orders_by_q() -> None:
    assert i18n.parse_accept_language("en;q=0.5, ar, fa;q=0.8, *;q=0.1") == ["ar", "fa", "en"]
    assert i18n.parse_accept_language(None) == []


def test_languages_are_named_in_their_own_script_with_direction() -> None:
    names = {lang.code: (lang.name, lang.dir) for lang in i18n.LANGUAGES}
    assert names["sv"] == ("Svenska", "ltr")
    assert names["ar"] == ("العربية", "rtl")
    assert names["fa"] == ("فارسی", "rtl")
    assert names["ckb"][1] == "rtl" and "کوردی" in names["ckb"][0]
    assert names["ku"][1] == "ltr" and "Kurmancî" in names["ku"][0]
    assert names["ti"] == ("ትግርኛ", "ltr")
    assert i18n.direction("fa") == "rtl" and i18n.direction("xx") == "ltr"
    payload = i18n.locales_payload()
    assert payload["default"] == "sv"
    assert [loc["code"] for loc in payload["locales"]] == list(i18n.SUPPORTED)


# ------------------------------------------------------------------------- formatting


@pytest.mark.parametrize("locale", i18n.SUPPORTED)
def test_formatting_works_in_every_locale(locale: str) -> None:
    """CLDR data for ckb, ku, so and ti is partial: each helper must still answer."""
    clock = i18n.format_time(time(14, 30), locale)
    assert clock and ("30" in clock or "٣٠" in clock or "۳۰" in clock)
    day = i18n.format_date(date(2026, 11, 23), locale)
    assert day and ("2026" in day or "٢٠٢٦" in day or "۲۰۲۶" in day)
    names = i18n.weekday_names(locale)
    assert len(names) == 7 and len(set(names)) == 7 and all(names)
    assert i18n.format_number(1234.5, locale)
    zoned = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert i18n.format_time(zoned, locale, tzinfo=zoned.tzinfo)


def test_formatting_follows_the_locale() -> None:
    assert i18n.format_time(time(14, 30), "sv") == "14:30"
    assert i18n.weekday_names("sv")[0] == "måndag"
    assert i18n.weekday_names("tr")[4] == "Cuma"
    assert i18n.weekday_names("ar")[6] == "الأحد"
    assert i18n.format_number(1234.5, "sv") == "1\xa0234,5"


def test_unknown_locale_formats_in_swedish() -> None:
    assert i18n.format_time(time(9, 5), "qps") == "09:05"
    assert i18n.weekday_names("zz")[0] == "måndag"


# ---------------------------------------------------------------------------- plurals


@pytest.mark.parametrize("locale", i18n.SUPPORTED)
def test_plural_table_matches_gettext_rule_for_large_numbers(locale: str) -> None:
    catalogs = i18n.Catalogs()
    trans: Any = catalogs._translations[locale]
    rule = getattr(trans, "plural", None) or (lambda n: int(n != 1))
    table = catalogs.as_json(locale)["plural"]["table"]
    assert len(table) == i18n.PLURAL_TABLE_SIZE
    for n in [*range(0, 1200), 10_000, 100_001, 1_000_003, 12_345_611]:
        assert i18n.plural_index(table, n) == rule(n), (locale, n)


def test_arabic_plural_table_has_six_forms() -> None:
    plural = i18n.Catalogs().as_json("ar")["plural"]
    assert plural["nplurals"] == 6
    assert [plural["table"][n] for n in (0, 1, 2, 3, 11, 100)] == [0, 1, 2, 3, 5, 4]


def test_ngettext_fills_n_and_survives_a_broken_translation(tmp_path: Path) -> None:
    catalogs = i18n.Catalogs()
    assert catalogs.ngettext("en", "{n} minute", "{n} minutes", 1) == "1 minute"
    assert catalogs.ngettext("en", "{n} minute", "{n} minutes", 5) == "5 minutes"
    assert catalogs.gettext("sv", "No such message {x}.", y=1) == "No such message {x}."


# --------------------------------------------------------------------------- catalogs


def test_every_catalog_says_it_awaits_native_review() -> None:
    for locale in i18n.SUPPORTED:
        text = DEFAULT.po(locale).read_text(encoding="utf-8")
        assert "Language-Team: awaiting review by a native speaker" in text, locale


def test_phone_numbers_survive_translation() -> None:
    """Emergency and helpline numbers must stay exactly as in the msgid."""
    numbers = ["112", "114 14", "1177", "116 111", "020-50 50 50"]
    bad = []
    for locale in i18n.SUPPORTED:
        with DEFAULT.po(locale).open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id or not isinstance(message.id, str) or not message.string:
                continue
            for number in numbers:
                if number in message.id and number not in str(message.string):
                    bad.append(f"{locale}: {number} lost in {message.id[:50]!r}")
            if placeholders(message.id) != placeholders(str(message.string)):
                bad.append(f"{locale}: placeholders differ in {message.id[:50]!r}")
    assert not bad, bad


def test_english_catalog_maps_to_english() -> None:
    with DEFAULT.po("en").open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id and isinstance(message.id, str) and message.string:
            assert message.string == message.id


async def test_catalog_json_served_for_each_locale(server: LiveServer) -> None:
    async with aiohttp.ClientSession() as http:
        for locale in (*i18n.SUPPORTED, i18n.PSEUDO_LOCALE):
            async with http.get(f"{server.url}/i18n/{locale}.json") as resp:
                assert resp.status == 200, locale
                data = await resp.json()
            assert data["locale"] == locale
            assert data["dir"] == i18n.direction(locale)
            assert isinstance(data["messages"], dict)
            assert len(data["plural"]["table"]) == i18n.PLURAL_TABLE_SIZE
        async with http.get(f"{server.url}/i18n/xx.json") as resp:
            assert resp.status == 404
        async with http.get(f"{server.url}/i18n/sv.json") as resp:
            sv = await resp.json()
    assert sv["messages"].get("Quick exit") == "Lämna snabbt"
    assert sv["name"] == "Svenska"


async def test_pseudo_catalog_marks_every_string(server: LiveServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/i18n/{i18n.PSEUDO_LOCALE}.json") as resp:
            data = await resp.json()
    assert data["messages"]
    for msgid, text in data["messages"].items():
        forms = text if isinstance(text, list) else [text]
        assert all(f.startswith("⟦") and f.endswith("⟧") for f in forms), msgid


@pytest.mark.parametrize(("header", "locale"), [("ar-SE,ar;q=0.9", "ar"), ("kmr", "ku"), ("de", "sv")])
async def test_visitor_session_locale_from_accept_language(server: LiveServer, header: str, locale: str) -> None:
    rec = Recorder(server.url, "/visitor", headers={"Accept-Language": header})
    await rec.connect()
    try:
        session = await rec.wait_for("session")
        assert session["locale"] == locale
    finally:
        await rec.disconnect()


@pytest.mark.parametrize("locale", i18n.SUPPORTED)
def test_opening_hours_summary_in_every_locale(locale: str) -> None:
    """The server words opening hours with CLDR data, which is partial for some
    languages: every locale must get a translated, complete summary."""
    from chat_server.services.hours import Schedule

    schedule = Schedule(
        {
            "weekly": {
                "0": [["09:00", "16:00"]],
                "1": [["09:00", "16:00"]],
                "4": [["10:00", "12:00"]],
            }
        }
    )
    catalogs = i18n.Catalogs()
    friday_night = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    text = schedule.summary(friday_night, locale, catalogs)
    assert text and "{" not in text, text
    if locale not in ("en",):
        # Translated: the English status sentence does not appear.
        assert "Closed now" not in text and "Opens" not in text, text


def test_language_names_for_staff_come_from_cldr_with_the_own_name() -> None:
    """The console names a language in the reader's language (Babel/CLDR) with its own
    name after it, isolated for bidi; one name when both are the same."""
    from chat_server.i18n import SUPPORTED, Catalogs

    catalogs = Catalogs()
    sv = catalogs.as_json("sv")["languages"]
    assert set(sv) == set(SUPPORTED)
    assert sv["sv"] == "Svenska"
    assert sv["ar"].startswith("Arabiska") and "\u2068العربية\u2069" in sv["ar"]
    assert sv["ti"].startswith("Tigrinja") and "ትግርኛ" in sv["ti"]
    assert catalogs.as_json("ar")["languages"]["sv"].startswith("السويدية")
    assert catalogs.as_json("ar")["languages"]["ar"] == "العربية"
    # The pseudo-locale is not in CLDR: English names.
    if catalogs.has("qps"):
        assert "Tigrinya" in catalogs.as_json("qps")["languages"]["ti"]
