"""The demo's planted ring stays found night after night as the warehouse grows.

The dense-block detector reads every review ever loaded. Before accounts were cut into time windows, the
ring's density relative to the growing graph sank below the threshold and its flags vanished on the
sixth night of the demo. This loads ten demo nights through the real ingest (no encoder: the ring is
found from behaviour alone) and asks the detector on each night.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from pipeline.demo import generate_demo
from pipeline.fake.detect import dense_members
from pipeline.fake.signals import FakeConfig
from pipeline.nightly import ingest_landing_file, list_landing_files
from pipeline.settings import Settings
from pipeline.warehouse import connect, run, sql_text

pytestmark = pytest.mark.integration
START = date(2026, 11, 2)
NIGHTS = 10


def test_ring_is_found_on_every_night_after_its_burst_and_nothing_else_is(settings: Settings) -> None:
    generate_demo(settings.landing_dir, settings.home / "truth.json", start=START, nights=NIGHTS, seed=42)
    truth = json.loads((settings.home / "truth.json").read_text(encoding="utf-8"))["fake_ring"]
    config = FakeConfig.load(settings.fake_signals_path)
    after_burst = max(date.fromisoformat(d) for d in truth["burst_dates"])
    checked = []
    for i in range(NIGHTS):
        night = START + timedelta(days=i)
        for item in list_landing_files(settings, night.isoformat()):
            ingest_landing_file(settings, night=night.isoformat(), **item)
        if night < after_burst:
            continue
        con = connect(settings)
        try:
            run(con, sql_text(settings, "core/fake_opinions"), {"night": night, "model_version": "none"})
            ring = {
                key
                for (key,) in run(
                    con,
                    "select distinct reviewer_key from reviews where review_id in (select unnest($ids))",
                    {"ids": truth["review_ids"]},
                )
            }
            members = dense_members(con, config)
        finally:
            con.close()
        reviews = members[members["kind"] == "reviews"]
        assert set(reviews["reviewer_key"]) == ring, night
        assert set(reviews["target_id"]) == set(truth["product_ids"]), night
        checked.append(night)
    assert len(checked) >= NIGHTS - 3  # the burst is early in the demo: most nights are checked
