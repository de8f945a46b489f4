"""services/stats_labels.py: every dimension and value a report can publish has words in
every language, so no coordinator reads a raw key ("missing", "issued", "0-1m")."""

from __future__ import annotations

import pytest

from chat_server.i18n import SUPPORTED, Catalogs
from chat_server.services.stats import DIMENSIONS
from chat_server.services.stats_labels import stats_labels
from chat_server.services.stats_protection import tables

CATALOGS = Catalogs()


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_published_value_has_words(locale: str) -> None:
    labels = stats_labels(locale, CATALOGS, CATALOGS.language_label)
    assert set(DIMENSIONS) <= set(labels["dimensions"])
    for spec in tables():
        for value in spec.values:
            word = labels["values"].get(spec.dimension, {}).get(value)
            assert word, f"{spec.dimension}:{value} has no label in {locale}"
            if locale != "en" and value not in SUPPORTED:
                assert word != value, f"{spec.dimension}:{value} shows its code in {locale}"
    assert labels["values"]["conversations"]["total"]
    assert labels["values"]["language"]["ar"].startswith("Arab") if locale in ("sv", "en") else True


def test_csv_has_codes_and_words() -> None:
    from datetime import date

    from chat_server.services.stats import Report

    report = Report(
        "month",
        date(2026, 1, 1),
        date(2026, 1, 31),
        [("2026-01", date(2026, 1, 1), {"wait": {"0-1m": 7, "1-5m": None}})],
    )
    text = report.as_csv(stats_labels("sv", CATALOGS, CATALOGS.language_label))
    lines = text.splitlines()
    assert lines[0] == "period,period_start,dimension,value,count,dimension_label,value_label"
    assert lines[1].startswith("2026-01,2026-01-01,wait,0-1m,7,")
    assert lines[2].split(",")[4] == "suppressed"
    assert report.as_csv().splitlines()[0] == "period,period_start,dimension,value,count"
