"""The nightly steps without Airflow: which files a night picks up, and loud failures for stray folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.nightly import STEPS, list_landing_files, parse_night, run_night, unlisted_landing_files
from pipeline.settings import Settings

HEADER = "review_id,product_id,reviewer_id,rating,title,text,review_date\n"


def _land(settings: Settings, kind: str, source: str, night: str, name: str, text: str) -> Path:
    folder = settings.landing_path(kind, source, night)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_lists_only_that_nights_files_matching_each_source(settings: Settings) -> None:
    good = _land(settings, "reviews", "generic_csv", "2026-11-01", "a.csv", HEADER)
    _land(settings, "reviews", "generic_csv", "2026-11-02", "b.csv", HEADER)
    olist = _land(
        settings, "seller_feedback", "olist", "2026-11-01", "olist_order_reviews_dataset.csv", "x\n"
    )
    _land(settings, "seller_feedback", "olist", "2026-11-01", "olist_order_items_dataset.csv", "x\n")
    found = list_landing_files(settings, "2026-11-01")
    assert found == [
        {"kind": "reviews", "source": "generic_csv", "path": str(good)},
        {"kind": "seller_feedback", "source": "olist", "path": str(olist)},
    ]


def test_landed_files_no_source_loads_are_reported_not_skipped_in_silence(settings: Settings) -> None:
    night = "2026-11-01"
    _land(settings, "reviews", "generic_csv", night, "a.csv", HEADER)
    upper = _land(settings, "reviews", "generic_csv", night, "EXPORT.CSV", HEADER)
    zipped = _land(settings, "reviews", "generic_csv", night, "b.csv.gz", "")
    nested = settings.landing_path("reviews", "generic_csv", night) / "sub"
    nested.mkdir()
    (nested / "c.csv").write_text(HEADER, encoding="utf-8")
    json = _land(settings, "reviews", "generic_jsonl", night, "export.json", "{}\n")
    kind = _land(settings, "review", "generic_csv", night, "d.csv", HEADER)
    _land(settings, "seller_feedback", "olist", night, "olist_order_reviews_dataset.csv", "x\n")
    _land(settings, "seller_feedback", "olist", night, "olist_order_items_dataset.csv", "x\n")  # side file
    products = _land(settings, "seller_feedback", "olist", night, "olist_products_dataset.csv", "x\n")
    _land(settings, "reviews", "generic_csv", "2026-11-02", "OTHER.CSV", HEADER)  # another night
    expected = [str(kind), str(upper), str(zipped), str(nested), str(json), str(products)]
    assert [e.split(": ", 1)[0] for e in unlisted_landing_files(settings, night)] == expected
    why = dict(e.split(": ", 1) for e in unlisted_landing_files(settings, night))
    assert why[str(upper)] == "its name does not match generic_csv's files (*.csv)"
    assert why[str(nested)].startswith("a folder; files must sit directly in")
    assert why[str(kind)].startswith("'review' is not a kind ReviewPulse loads (reviews,")
    assert len(list_landing_files(settings, night)) == 2
    assert [e.split(": ", 1)[0] for e in run_night(settings, night).unlisted] == expected


def test_a_folder_for_an_unknown_source_fails_loudly(settings: Settings) -> None:
    stray = _land(settings, "reviews", "tripadvisor", "2026-11-01", "export.csv", HEADER)
    _land(settings, "reviews", "generic_csv", "2026-11-01", "ok.csv", HEADER + "r1,p,u,5,t,fine,2026-11-01\n")
    result = run_night(settings, "2026-11-01")
    assert not result.ok
    assert len(result.failures) == 1
    assert result.failures[0].startswith(f"{stray}: unknown format 'tripadvisor' for reviews; known formats:")
    assert [f["status"] for f in result.files] == ["succeeded"]
    assert result.report and (Path(result.report) / "index.html").exists()
    # every step is timed under the DAG's task id (the DAG's parallel ingest tasks are the CLI's "load")
    assert set(result.seconds) == {t for ids in STEPS.values() for t in ids} - {
        "list_sources", "ingest_source", "validate_source"
    }  # fmt: skip
    assert all(s >= 0 for s in result.seconds.values()) and result.seconds["write_report"] > 0


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "01/11/2026", "", "0001-01-01",
                                 "9999-12-31", "1969-12-31"])  # fmt: skip
def test_night_must_be_an_iso_date(bad: str) -> None:
    with pytest.raises(ConfigError, match="night must be a date like"):
        parse_night(bad)


def test_a_night_given_as_a_date_or_datetime_is_its_date() -> None:
    from datetime import date, datetime

    assert parse_night(datetime(2026, 11, 20, 3, 15)) == parse_night(date(2026, 11, 20)) == date(2026, 11, 20)


def test_the_report_shows_markup_from_the_data_as_text_never_as_html(settings: Settings) -> None:
    """Review files are written by customers and sellers: a product id or a review carrying HTML must reach
    the merchandiser's page as visible text, not as markup the browser runs."""
    product = "<img src=x onerror=alert(1)>"
    rows = "".join(
        f'r{i},"{product}",u{i},1,Bad,"<script>alert({i})</script>Broke after a day.<br/>Awful.",2026-11-01\n'
        for i in range(6)
    )
    _land(settings, "reviews", "generic_csv", "2026-11-01", "a.csv", HEADER + rows)
    result = run_night(settings, "2026-11-01")
    assert result.ok, result.failures
    page = (Path(str(result.report)) / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the product is listed, as text
    assert "<img src=x" not in page and "<script>alert(" not in page
