"""Languages: negotiation, gettext catalogs, right-to-left, locale-aware formatting.

One gettext catalog per language in ``locales/<lang>/LC_MESSAGES/messages.po`` covers
the server, the widget and the console. The server loads the compiled ``.mo`` files
and hands the front ends the same catalog as JSON (``GET /i18n/<locale>.json``).
Swedish is the default and the fallback. See docs/i18n.md.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel import dates as babel_dates
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

# Tags people really send that Babel cannot match to a supported code by itself.
# Dari (prs, fa-AF) reads Persian; Kurmanji is kmr or plain ku; Kurdish in Arabic
# script, Southern Kurdish (sdh) and Iraqi/Iranian Kurdish regions mostly read Sorani.
# Norwegian and Danish readers get Swedish (closer than English, and the default anyway).
_TAG_ALIASES = {"fa-af": "fa", "ku-arab": "ckb", "ku-iq": "ckb", "ku-ir": "ckb", "ku-latn": "ku"}
_LANG_ALIASES = {
    "prs": "fa",
    "pes": "fa",
    "kmr": "ku",
    "sdh": "ckb",
    "nb": "sv",
    "no": "sv",
    "nn": "sv",
    "da": "sv",
}
# n below this is looked up in the front ends' plural table; above it n % 100 decides
# (true for every gettext plural rule of the supported languages).
PLURAL_TABLE_SIZE = 200


def N_(msgid: str) -> str:
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return msgid


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


def _canonical(tag: str) -> str:
    """A supported code for one tag via the aliases, or the tag itself (lower case)."""
    low = tag.strip().replace("_", "-").lower()
    parts = low.split("-")
    for n in range(len(parts), 0, -1):
        if "-".join(parts[:n]) in _TAG_ALIASES:
            return _TAG_ALIASES["-".join(parts[:n])]
        if n > 1 and f"{parts[0]}-{parts[n - 1]}" in _TAG_ALIASES:
            return _TAG_ALIASES[f"{parts[0]}-{parts[n - 1]}"]
    if parts[0] in _LANG_ALIASES:
        return _LANG_ALIASES[parts[0]]
    return low


def negotiate(preferred: list[str], default: str = DEFAULT_LOCALE) -> str:
    """The best supported locale for language tags in order of preference (BCP 47 or
    POSIX: ``sv-SE``, ``fa_AF``, ``kmr``); ``default`` when none matches."""
    expanded = [_canonical(tag) for tag in preferred if isinstance(tag, str) and tag.strip()]
    # Babel matches 'ar-se' to 'ar' (language subtag) and keeps the caller's order.
    found = negotiate_locale(expanded, list(SUPPORTED), sep="-")
    return found if found in BY_CODE else default


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
        the plural rule as data (``plural.table``; see ``plural_index_table``)."""
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
        plural_func = getattr(trans, "plural", None) or (lambda n: int(n != 1))
        nplurals = max(plural_index_table(plural_func) + [0]) + 1
        return {
            "locale": locale,
            "dir": lang.dir,
            "name": lang.name,
            "messages": messages,
            "plural": {"nplurals": nplurals, "table": plural_index_table(plural_func)},
        }


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
    return {
        "default": DEFAULT_LOCALE,
        "locales": [{"code": lang.code, "name": lang.name, "dir": lang.dir} for lang in LANGUAGES],
    }
