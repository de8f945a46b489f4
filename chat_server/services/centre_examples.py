"""The municipality table and the example centres (issue 19, point 6).

* ``chat_server/data/municipalities.json``: SCB's county and municipality codes
  (source named in the file): the table centres' areas are checked against.
* ``chat_server/data/centres.json``: the eight counties with resource centres named in
  the project's sources, and the national consultation line for professionals. Every
  centre and contact there is marked ``verify: true`` ("verify before use"); phone
  numbers the sources do not give for the centre itself are left empty.

``rc-chat centres load-example`` loads them (:func:`do_load_example`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .centres import Centres, NewCentre

DATA = Path(__file__).resolve().parent.parent / "data"
MUNICIPALITIES = DATA / "municipalities.json"
EXAMPLE = DATA / "centres.json"
#: Fields of an example centre kept with its record (shown to staff, never to visitors).
EXAMPLE_EXTRA = ("verify", "contact", "source", "notes", "overflow", "overflow_wait_s")


@dataclass(frozen=True)
class County:
    """A county (län): SCB code, name, and its municipalities (code -> name)."""

    code: str
    name: str
    municipalities: dict[str, str]


@lru_cache(maxsize=4)
def counties(path: Path = MUNICIPALITIES) -> dict[str, County]:
    """Every county of the table, by SCB code."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {code: County(code, c["name"], dict(c.get("municipalities") or {})) for code, c in raw["counties"].items()}


def known_municipalities(path: Path = MUNICIPALITIES) -> dict[str, str]:
    """Every municipality in the table: SCB code -> name."""
    return {code: name for county in counties(path).values() for code, name in county.municipalities.items()}


def example_centres(path: Path = EXAMPLE, table: Path = MUNICIPALITIES) -> list[tuple[NewCentre, dict[str, Any]]]:
    """The example centres to create, each with its extra fields (verify, contact,
    source, notes). ``"municipalities": "all"`` means every municipality of its county."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for c in raw["centres"]:
        municipalities = c.get("municipalities") or []
        if municipalities == "all":
            municipalities = sorted(counties(table)[c["county"]].municipalities)
        new = NewCentre(
            id=c["id"],
            names=c["names"],
            county=c.get("county"),
            municipalities=tuple(municipalities),
            audience=c.get("audience", "all"),
        )
        out.append((new, {k: c[k] for k in EXAMPLE_EXTRA if k in c}))
    return out


async def do_load_example(centres: Centres, path: Path = EXAMPLE) -> tuple[list[str], list[str]]:
    """Create the example centres that do not exist yet (by the command line: no
    actor). Returns (ids created, ids already present and left unchanged)."""
    created, present = [], []
    for new, extra in example_centres(path):
        if await centres.get(new.id) is not None:
            present.append(new.id)
            continue
        await centres.do_create_centre(None, new, extra=extra)
        created.append(new.id)
    return created, present
