"""Languages: negotiation, gettext catalogs, right-to-left, locale-aware formatting.

One gettext catalog per language in ``locales/<lang>/LC_MESSAGES/messages.po`` covers
the server, the widget and the console. The server loads the compiled ``.mo`` files
and hands the front ends the same catalog as JSON (``GET /i18n/<locale>.json``).
Swedish is the default and the fallback. See docs/i18n.md.
"""

from __future__ import annotations

import gettext
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from babel.support import Translations

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LOCALE = "sv"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in its own script, as its speakers look for it in a list
    dir: str  # "ltr" | "rtl"


LANGUAGES: tuple[Language, ...] = (
    Language("sv", "Svenska", "ltr"),
    Language("en", "English", "ltr"),
    Language("ar", "العربية", "rtl"),
    Language("fa", "فارسی", "rtl"),
    Language("ckb", "کوردی (سۆرانی)", "rtl"),
    Language("ku", "Kurdî (Kurmancî)", "ltr"),
    Language("so", "Soomaali", "ltr"),
    Language("ti", "ትግርኛ", "ltr"),
    Language("tr", "Türkçe", "ltr"),
)
BY_CODE = {lang.code: lang for lang in LANGUAGES}
SUPPORTED = tuple(BY_CODE)
# Used by tests to find hard-coded text: every translated string is visibly marked.
PSEUDO_LOCALE = "qps"

# The one table of language aliases and fallbacks. The server negotiates with it
# (negotiate() below) and serves it in /i18n/locales.json as `negotiation`, and the
# widget chooses its language with the same steps (frontend_lib/languages.js);
# tests/fixtures/language_cases.json holds the cases both must answer alike.
#
# Aliases name a language we serve under another tag; they are tried with the tag's
# other candidates (see tag_candidates), most specific first:
# * Persian: Dari (prs, fa-AF) and Iranian Persian (pes) read our Persian catalog.
# * Kurdish: "ku" alone is the whole macrolanguage. Its script decides first: in Arabic
#   script it is Sorani (ckb) for the people this service meets (Iraqi and Iranian
#   Kurdistan), in Latin script Kurmanji (our "ku", as CLDR uses it). Without a script,
#   Iraq and Iran mean Sorani (Kurdish is written in Arabic script there); any other
#   region (Turkey, Syria, Sweden) means Kurmanji. An explicit language code wins over
#   its script: kmr is Kurmanji (also kmr-Arab, Badini), ckb is Sorani (also ckb-Latn),
#   because the two languages are not mutually intelligible in writing.
NEGOTIATION_ALIASES: dict[str, str] = {
    "prs": "fa",
    "pes": "fa",
    "fa-af": "fa",
    "kmr": "ku",
    "ku-latn": "ku",
    "ku-arab": "ckb",
    "ku-iq": "ckb",
    "ku-ir": "ckb",
}
# Fallbacks name a neighbour language its readers understand. They are used only when no
# tag in the visitor's list matched a supported language (directly or by alias): a
# language the visitor lists always beats a neighbour language.
# * Southern Kurdish (sdh; Kermanshah, Ilam) is written in Arabic script and is closest to
#   Sorani; its readers usually read Persian too, so "sdh, fa" gives Persian.
# * Norwegian (no, nb, nn) and Danish read Swedish far more easily than English (the
#   Scandinavian languages are mutually intelligible in writing), and Swedish is what this
#   service speaks; but "nb, en" gives English, because the visitor listed it, and
#   "nb, ar" gives Arabic. Without these fallbacks a deployment whose default is not
#   Swedish would answer a Norwegian in that default.
NEGOTIATION_FALLBACKS: dict[str, str] = {
    "sdh": "ckb",
    "no": "sv",
    "nb": "sv",
    "nn": "sv",
    "da": "sv",
}
# Longer "tags" are not language tags (parse_accept_language drops them too).
MAX_TAG_LENGTH = 35
_TAG_SHAPE = re.compile(r"[a-z]{1,8}(-[a-z0-9]{1,8})*")
_SCRIPT = re.compile(r"[a-z]{4}")
_REGION = re.compile(r"[a-z]{2}|[0-9]{3}")
# n below this is looked up in the front ends' plural table; above it n % 100 decides
# (true for every gettext plural rule of the supported languages).
PLURAL_TABLE_SIZE = 200


def N_(msgid: str) -> str:
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return msgid


# TRANSLATORS: a language named in your language, then in its own: "Arabiska (العربية)".
MSG_LANGUAGE_LABEL = N_("{language} ({native})")


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural pair for extraction; translate it later with ``Catalogs.ngettext``."""
    return (singular, plural)


def is_supported(code: object) -> bool:
    return isinstance(code, str) and code in BY_CODE


def direction(code: str) -> str:
    return BY_CODE[code].dir if code in BY_CODE else "ltr"


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (q=0 and * left out)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0 and len(tag) <= 35:
            weighted.append((-q, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def normalize_tag(tag: object) -> str:
    """A BCP 47 or POSIX tag in lower case with hyphens (``"sv_SE.UTF-8"`` ->
    ``"sv-se"``); ``""`` when it is not a usable language tag (``*``, too long, junk)."""
    if not isinstance(tag, str):
        return ""
    low = re.split(r"[.@]", tag.strip())[0].replace("_", "-").lower()
    if not low or len(low) > MAX_TAG_LENGTH or not _TAG_SHAPE.fullmatch(low):
        return ""
    return low


def tag_candidates(tag: str) -> list[str]:
    """The lookups for one normalised tag, most specific first: the whole tag,
    language-script, language-region, language (``"ku-arab-iq"`` -> ``["ku-arab-iq",
    "ku-arab", "ku-iq", "ku"]``)."""
    parts = tag.split("-")
    lang, rest = parts[0], parts[1:]
    script = rest.pop(0) if rest and _SCRIPT.fullmatch(rest[0]) else None
    region = rest[0] if rest and _REGION.fullmatch(rest[0]) else None
    out = [tag]
    if script:
        out.append(f"{lang}-{script}")
    if region:
        out.append(f"{lang}-{region}")
    out.append(lang)
    return list(dict.fromkeys(out))


def match_tag(tag: object, supported: tuple[str, ...] = SUPPORTED) -> str | None:
    """The supported code one tag names, by alias or by its language; None if none."""
    low = normalize_tag(tag)
    if not low:
        return None
    for candidate in tag_candidates(low):
        alias = NEGOTIATION_ALIASES.get(candidate)
        if alias in supported:
            return alias
        if candidate in supported:
            return candidate
    return None


def negotiate(preferred: list[str], default: str = DEFAULT_LOCALE) -> str:
    """The best supported locale for language tags in order of preference (BCP 47 or
    POSIX: ``sv-SE``, ``fa_AF``, ``kmr``); ``default`` when none matches.

    First the first tag that names a supported language (tag_candidates, with
    NEGOTIATION_ALIASES); only if none does, the first tag whose language has a
    NEGOTIATION_FALLBACKS neighbour. The widget does exactly this in
    frontend_lib/languages.js (chooseLocale) with the table locales_payload() serves.
    """
    for tag in preferred:
        found = match_tag(tag)
        if found:
            return found
    for tag in preferred:
        low = normalize_tag(tag)
        fallback = NEGOTIATION_FALLBACKS.get(low.split("-")[0]) if low else None
        if fallback in BY_CODE:
            return fallback
    return default


# --------------------------------------------------------------------------- formatting


@lru_cache(maxsize=32)
def babel_locale(code: str) -> Locale:
    """The CLDR locale for a code; Swedish when CLDR does not know it."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


def _with_fallback(func: Callable[..., str], value: Any, code: str, **kw: Any) -> str:
    # CLDR data for ckb, ku, so and ti is partial; a missing pattern must not break a reply.
    try:
        return func(value, locale=babel_locale(code), **kw)
    except (KeyError, ValueError, AttributeError, TypeError):
        log.debug("CLDR pattern missing for %s; using Swedish", code)
        return func(value, locale=babel_locale(DEFAULT_LOCALE), **kw)


def format_time(value: time | datetime, locale: str, tzinfo: Any = None) -> str:
    """A clock time the way the locale writes it ("14:30", "2:30 م")."""
    kw = {"tzinfo": tzinfo} if tzinfo is not None and isinstance(value, datetime) else {}
    return _with_fallback(babel_dates.format_time, value, locale, format="short", **kw)


def format_date(value: date | datetime, locale: str, format: str = "medium") -> str:
    """A date in the locale's own words and order."""
    return _with_fallback(babel_dates.format_date, value, locale, format=format)


def format_list(items: list[str], locale: str) -> str:
    """Items joined the way the locale writes a list ("A, B och C", "A وB وC")."""
    return _with_fallback(babel_lists.format_list, items, locale)


def format_number(value: float, locale: str) -> str:
    """A number with the locale's separators and digits."""
    return _with_fallback(babel_numbers.format_decimal, value, locale)


def weekday_names(locale: str, width: Literal["abbreviated", "narrow", "short", "wide"] = "wide") -> list[str]:
    """Monday first, as the product counts weekdays (0 = Monday)."""
    try:
        names = babel_dates.get_day_names(width, locale=babel_locale(locale))
        return [str(names[i]) for i in range(7)]
    except (KeyError, ValueError):
        names = babel_dates.get_day_names(width, locale=babel_locale(DEFAULT_LOCALE))
        return [str(names[i]) for i in range(7)]


def plural_index_table(plural: Callable[[int], int]) -> list[int]:
    """The gettext plural form index for n = 0…PLURAL_TABLE_SIZE-1.

    The front ends may not evaluate the catalog's Plural-Forms expression (the CSP
    forbids eval), so they look the index up: ``n < size ? t[n] : t[100 + n % 100]``.
    """
    return [int(plural(n)) for n in range(PLURAL_TABLE_SIZE)]


def plural_index(table: list[int], n: int) -> int:
    """The lookup the front ends do, in Python (used by tests)."""
    n = abs(int(n))
    return table[n] if n < len(table) else table[100 + n % 100]


# --------------------------------------------------------------------------- catalogs


class Catalogs:
    """Loaded translations, one per supported locale (plus the pseudo-locale)."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self.dir = locales_dir
        self._translations: dict[str, gettext.NullTranslations] = {}
        for code in (*SUPPORTED, PSEUDO_LOCALE):
            mo = locales_dir / code / "LC_MESSAGES" / "messages.mo"
            if mo.exists():
                self._translations[code] = Translations.load(str(locales_dir), [code])
            elif code != PSEUDO_LOCALE:
                self._translations[code] = gettext.NullTranslations()
        missing = [c for c in SUPPORTED if type(self._translations[c]) is gettext.NullTranslations and c != "en"]
        if missing:
            log.warning("no compiled catalog for %s; run `locales compile`", ",".join(missing))
        self._json: dict[str, dict[str, Any]] = {}

    def has(self, code: str) -> bool:
        return code in self._translations

    def _trans(self, locale: str) -> gettext.NullTranslations | None:
        return self._translations.get(locale) or self._translations.get(DEFAULT_LOCALE)

    def gettext(self, locale: str, msgid: str, **params: Any) -> str:
        """``msgid`` in ``locale`` (Swedish if unknown), with ``{name}`` filled in."""
        trans = self._trans(locale)
        text = trans.gettext(msgid) if trans else msgid
        return _fill(text, msgid, params) if params else text

    __call__ = gettext

    def ngettext(self, locale: str, singular: str, plural: str, n: int, **params: Any) -> str:
        """The plural form for ``n`` (``{n}`` is filled in too)."""
        trans = self._trans(locale)
        text = trans.ngettext(singular, plural, n) if trans else (singular if n == 1 else plural)
        return _fill(text, singular if n == 1 else plural, {"n": n, **params})

    def as_json(self, locale: str) -> dict[str, Any]:
        """The catalog for the front ends: msgid -> msgstr (plural forms as lists), and
        the plural rule as data (``plural.table``; see ``plural_index_table``), and ``languages``: every supported
        language named for a reader of this locale (``language_label``)."""
        if locale not in self._json:
            self._json[locale] = self._build_json(locale)
        return self._json[locale]

    def _build_json(self, locale: str) -> dict[str, Any]:
        trans = self._translations.get(locale)
        messages: dict[str, Any] = {}
        catalog: dict[Any, str] = getattr(trans, "_catalog", None) or {}
        for key, value in catalog.items():
            if isinstance(key, tuple):
                msgid, index = key
                forms = messages.setdefault(msgid, [])
                if isinstance(forms, list):
                    while len(forms) <= index:
                        forms.append("")
                    forms[index] = value
            elif key and value:
                messages[key] = value
        lang = BY_CODE.get(locale, Language(locale, locale, "ltr"))
        languages = {code: self.language_label(code, locale) for code in SUPPORTED}
        plural_func = getattr(trans, "plural", None) or (lambda n: int(n != 1))
        nplurals = max(plural_index_table(plural_func) + [0]) + 1
        return {
            "locale": locale,
            "dir": lang.dir,
            "name": lang.name,
            "messages": messages,
            "plural": {"nplurals": nplurals, "table": plural_index_table(plural_func)},
            "languages": languages,
        }

    def language_label(self, code: str, locale: str) -> str:
        """A supported language named for a reader of ``locale``: its name in
        ``locale`` from CLDR (Babel) with its own name after it, "Arabiska (العربية)",
        so staff can tell ትግርኛ from فارسی; only the name when the two are the same
        ("Svenska" in Swedish). The pseudo-locale, which CLDR does not know, gets the
        English names."""
        native = BY_CODE[code].name if code in BY_CODE else code
        try:
            reader = Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            reader = Locale.parse("en")
        try:
            name = Locale.parse(code).get_display_name(reader) or ""
        except (UnknownLocaleError, ValueError, TypeError):
            name = ""
        if not name or name.casefold() == native.casefold():
            return native
        # CLDR writes language names in lower case where a language does (sv "arabiska");
        # in a list or a label they start with a capital (CLDR's uiListOrMenu context).
        name = name[0].upper() + name[1:]
        # The own name is isolated (FSI … PDI): "(کوردی (سۆرانی))" keeps its brackets in
        # place inside left-to-right text, and "(Svenska)" inside Arabic.
        return self.gettext(locale, MSG_LANGUAGE_LABEL, language=name, native=f"\u2068{native}\u2069")


def _fill(text: str, source: str, params: dict[str, Any]) -> str:
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        # A broken translation must not break the chat: use the source text.
        log.warning("translation with bad placeholders for %r", source[:60])
        try:
            return source.format(**params)
        except (KeyError, IndexError, ValueError, AttributeError):
            return source


def locales_payload() -> dict[str, Any]:
    """``GET /i18n/locales.json``: ``{default, locales: [{code, name, dir}], negotiation:
    {aliases, fallbacks}}``. ``negotiation`` is the table negotiate() uses, so the widget
    chooses a visitor's language from ``navigator.languages`` exactly as the server does
    from Accept-Language (docs/protocol.md)."""
    return {
        "default": DEFAULT_LOCALE,
        "locales": [{"code": lang.code, "name": lang.name, "dir": lang.dir} for lang in LANGUAGES],
        "negotiation": {"aliases": dict(NEGOTIATION_ALIASES), "fallbacks": dict(NEGOTIATION_FALLBACKS)},
    }
