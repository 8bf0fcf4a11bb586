"""The nightly report in real headless Chromium: it loads with no console errors and its charts show.

The report is built over two demo nights with the pipeline's own steps (ingest, fake detection, marts,
report). The encoder is left out to keep this test quick: each text pending a score gets a stand-in
score derived from its content hash, merged with ``merge_scores`` like a real shard, so the sentiment
chart has data. Themes are not assigned (they need the encoder), so theme sections show their empty
state. ``tests/integration/test_demo_end_to_end.py`` runs the real models.
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.browser_harness import Chromium, PageCheck, find_chromium

pytestmark = pytest.mark.integration
START = date(2026, 11, 2)
NIGHTS = 2
MIN_CHARTS = 6  # rating distribution x2, CSAT by week, sentiment, seller CSAT, trust grades


def _stand_in_scores(shard: str, version: str) -> str:
    """Score a pending shard without the encoder: fixed probabilities picked by the content hash."""
    pending = pd.read_parquet(shard)
    picks = [zlib.crc32(str(h).encode()) % 10 for h in pending["content_hash"]]
    labels = ["negative" if p < 3 else "neutral" if p < 4 else "positive" for p in picks]
    probs = {"negative": (0.8, 0.1, 0.1), "neutral": (0.2, 0.6, 0.2), "positive": (0.05, 0.1, 0.85)}
    scored = pd.DataFrame(
        {
            "kind": pending["kind"],
            "source": pending["source"],
            "record_id": pending["record_id"],
            "content_hash": pending["content_hash"],
            "model_version": version,
            "language": pending["language"],
            "sentiment": labels,
            "p_negative": [probs[s][0] for s in labels],
            "p_neutral": [probs[s][1] for s in labels],
            "p_positive": [probs[s][2] for s in labels],
            "stars_pred": [1.5 if s == "negative" else 3.0 if s == "neutral" else 4.6 for s in labels],
            "p_deceptive": None,
            "p_generated": None,
        }
    )
    out = Path(shard).with_name(Path(shard).name.replace("pending-", "scores-"))
    scored.to_parquet(out, index=False)
    return str(out)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip(
            "chromium is not installed and `make browser` could not install it "
            "(needs root and apt: apt-get install chromium); the report was not checked in a browser"
        )
    pytest.importorskip(
        "playwright.sync_api", reason="playwright is in the dev extra: pip install -e '.[dev]'"
    )
    pytest.importorskip("PIL", reason="pillow is in the dev extra: pip install -e '.[dev]'")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``reports/<last night>/index.html`` after two demo nights."""
    from pipeline.demo import generate_demo
    from pipeline.nightly import (
        build_marts,
        detect_fakes,
        ingest_landing_file,
        list_landing_files,
        merge_scores,
        plan_scoring,
        write_report,
    )
    from pipeline.scoring.heads import heads_version
    from pipeline.settings import Settings

    settings = Settings(home=tmp_path_factory.mktemp("browser") / "home", progress=False)
    generate_demo(settings.landing_dir, settings.demo_dir / "planted_truth.json", start=START, nights=NIGHTS)
    version = heads_version(*settings.heads_dirs)
    folder = ""
    for night in [(START + timedelta(days=i)).isoformat() for i in range(NIGHTS)]:
        for item in list_landing_files(settings, night):
            ingest_landing_file(settings, night=night, **item)
        merge_scores(settings, night, [_stand_in_scores(s, version) for s in plan_scoring(settings, night)])
        detect_fakes(settings, night)
        build_marts(settings, night)
        folder = write_report(settings, night)
    return Path(folder) / "index.html"


@pytest.fixture(scope="module")
def page(chromium: str, report: Path, tmp_path_factory: pytest.TempPathFactory) -> PageCheck:
    shot = tmp_path_factory.mktemp("screenshots") / "report.png"
    with Chromium.launch(chromium) as browser:
        return browser.check(report.as_uri(), shot)


def test_report_loads_with_no_console_errors_or_uncaught_exceptions(page: PageCheck) -> None:
    assert page.errors == []


def test_every_chart_is_drawn_with_a_size_and_visible_pixels(page: PageCheck) -> None:
    assert len(page.charts) >= MIN_CHARTS, page.charts
    for box in page.charts:
        assert box.width > 0 and box.height > 0, f"{box} has no size"
        assert not page.blank(box), f"{box} is blank in {page.screenshot}"


def test_screenshot_is_the_whole_page(page: PageCheck) -> None:
    from PIL import Image

    with Image.open(page.screenshot) as image:
        width, height = image.size
    assert width == 1280
    assert height > max(b.y + b.height for b in page.charts)


# negative controls: the same harness on pages that are broken on purpose, so the checks above can fail


def _check(chromium: str, tmp_path: Path, html: str) -> PageCheck:
    path = tmp_path / "broken.html"
    path.write_text(f"<!doctype html><html><body>{html}</body></html>", encoding="utf-8")
    with Chromium.launch(chromium) as browser:
        return browser.check(path.as_uri(), tmp_path / "broken.png")


def test_harness_catches_console_errors_exceptions_and_failed_loads(chromium: str, tmp_path: Path) -> None:
    page = _check(
        chromium,
        tmp_path,
        "<script>console.error('chart data missing')</script>"
        "<script>undefinedChart.draw()</script>"
        "<img src='missing-chart.png' alt='chart'>",
    )
    assert any(e == "console.error: chart data missing" for e in page.errors), page.errors
    assert any(e.startswith("uncaught exception:") and "undefinedChart" in e for e in page.errors), (
        page.errors
    )
    assert any("missing-chart.png" in e for e in page.errors), page.errors


def test_harness_catches_blank_and_collapsed_charts(chromium: str, tmp_path: Path) -> None:
    page = _check(
        chromium,
        tmp_path,
        "<svg role='img' width='300' height='150'></svg>"
        "<svg role='img' width='300' height='150'><rect width='300' height='150' fill='#fff'/></svg>"
        "<svg role='img' width='300' height='0'><rect width='10' height='10' fill='red'/></svg>"
        "<svg role='img' width='300' height='150'>"
        "<rect x='20' y='20' width='100' height='80' fill='#2563eb'/></svg>",
    )
    empty, white, flat, drawn = page.charts
    assert page.blank(empty) and page.blank(white)
    assert flat.height == 0
    assert not page.blank(drawn) and page.colours(drawn) >= 2
