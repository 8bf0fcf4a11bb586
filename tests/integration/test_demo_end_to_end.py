"""The demo end to end, without Airflow: every night loads, the planted truth is found, reruns change
nothing."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline.demo import generate_demo
from pipeline.nightly import build_marts, run_night
from pipeline.settings import Settings
from pipeline.warehouse import connect, run, table_counts

pytestmark = pytest.mark.integration
START = date(2026, 11, 2)
NIGHTS = 5
# the planted ring, as the shipped fake-signal weights find it (see models/fake-signals/signals.yaml)
RING_RECALL = 0.9
# Measured 0.15 here (0.30 before the encoder adapter). The false positives are single-review unverified
# accounts whose phrase-bank texts are near-copies of each other, and, since the adapter, texts the sharper
# deceptive detector scores >= 0.5 (16% of the demo's templated "genuine" texts, 5% of real MARC English
# reviews; 87.5% of the ring's). A demo-data artefact noted on issue 4; the bound still fails if the flags
# stop concentrating on the ring (the ring is 1% of the reviews: a random flagger's precision).
RING_PRECISION = 0.12


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path
) -> tuple[Settings, dict[str, Any], list[str]]:
    settings = Settings(home=tmp_path_factory.mktemp("demo") / "home", progress=False, models_dir=models_dir)
    manifest = generate_demo(
        settings.landing_dir, settings.demo_dir / "planted_truth.json", start=START, nights=NIGHTS, seed=42
    )
    nights = [(START + timedelta(days=i)).isoformat() for i in range(NIGHTS)]
    for night in nights:
        result = run_night(settings, night)
        assert result.ok, result.failures
    truth = json.loads(manifest.truth_path.read_text(encoding="utf-8"))
    return settings, truth, nights


def _week_of(day: str) -> date:
    """The Monday of the week holding ``day`` (the marts' ``date_trunc('week', ...)``)."""
    parsed = date.fromisoformat(day)
    return parsed - timedelta(days=parsed.weekday())


@pytest.fixture
def con(demo: tuple[Settings, dict[str, Any], list[str]]) -> duckdb.DuckDBPyConnection:
    connection = connect(demo[0], read_only=True)
    yield connection
    connection.close()


def test_every_planted_malformed_record_is_quarantined_with_its_reason(demo, con) -> None:
    settings, truth, _ = demo
    expected = {
        (str(settings.landing_dir / r["file"]), r["record"]): r["reason"]
        for r in truth["malformed"]["records"]
    }
    got = {(f, n): code for f, n, code in run(con, "select file, record_no, reason_code from quarantine")}
    assert got == expected


def test_rows_in_equal_loaded_plus_quarantined_for_every_file(demo, con) -> None:
    _, truth, _ = demo
    runs = run(con, "select status, rows_read, rows_loaded, rows_quarantined from ingest_runs")
    assert len(runs) == len(truth["files"])
    assert all(status == "succeeded" and read == loaded + bad for status, read, loaded, bad in runs)
    written = sum(
        n["rows"] for kind in truth["counts"].values() for src in kind.values() for n in src.values()
    )
    assert sum(r[1] for r in runs) == written
    new = run(con, "select sum(rows_new) from ingest_runs where kind = 'reviews'")[0][0]
    assert run(con, "select count(*) from reviews")[0][0] == new
    unread = "select file from ingest_runs where validation_summary->>'$.unused_columns' <> '[]'"
    assert run(con, unread) == []  # every column of every export is read, or known not to matter


def test_edited_review_is_updated_and_marked_for_rescoring(demo, con) -> None:
    _, truth, _ = demo
    edit = truth["edited_review"]
    row = run(
        con,
        "select rating, text, content_version, needs_scoring, first_seen, last_seen from reviews "
        "where review_id = ?",
        [edit["review_id"]],
    )[0]
    # marked for re-scoring on load, then scored again the same night (see the review_scores test)
    assert row[:4] == (edit["edited_rating"], edit["edited_text"], 2, False)
    assert (str(row[4]), str(row[5])) == (edit["original_night"], edit["edited_night"])


def test_edge_case_texts_are_stored_verbatim(demo, con) -> None:
    _, truth, _ = demo
    for record in truth["edge_cases"]["records"]:
        table, id_col, text_col = (
            ("reviews", "review_id", "text")
            if record["kind"] == "reviews"
            else ("seller_feedback", "feedback_id", "comment")
        )
        stored = run(con, f"select {text_col} from {table} where {id_col} = ?", [record["id"]])
        if record["source"] == "judgeme":  # Judge.me has no ids: find the row by its text
            stored = run(
                con, f"select distinct {text_col} from {table} where {text_col} = ?", [record["text"]]
            )
        assert stored == [(record["text"],)], record["feature"]


def test_no_email_or_reviewer_id_is_stored_in_clear(demo, con) -> None:
    _, truth, _ = demo
    for table in ("reviews", "seller_feedback", "quarantine"):
        dump = str(run(con, f"select * from {table}"))
        assert "@example." not in dump, table
        assert truth["fake_ring"]["reviewer_ids"][0] not in dump, table


def test_complaint_spike_shows_in_the_seller_weekly_mart(demo, con) -> None:
    _, truth, _ = demo
    spike = truth["complaint_spike"]
    weeks = run(
        con,
        "select week, feedback_n, late_share, feedback_csat from mart_seller_weekly "
        "where seller_id = ? and feedback_n >= 3 order by week",
        [spike["seller_id"]],
    )
    spike_week = _week_of(spike["end"])
    in_spike = [w for w in weeks if w[0] == spike_week]
    before = [w for w in weeks if w[0] < date.fromisoformat(spike["start"]) - timedelta(days=6)]
    assert in_spike and before
    assert in_spike[0][2] > 0.5 > max(w[2] for w in before) - 0.2
    assert in_spike[0][3] < min(w[3] for w in before)


def test_fake_ring_reviews_are_loaded_as_five_stars(demo, con) -> None:
    _, truth, _ = demo
    ring = truth["fake_ring"]
    ratings = run(
        con,
        "select rating, count(distinct reviewer_key) from reviews where review_id in "
        "(select unnest(?::varchar[])) group by rating",
        [ring["target_review_ids"]],
    )
    assert ratings == [(5, len(ring["reviewer_ids"]))]


def test_report_is_written_with_marts_and_matching_totals(demo, con) -> None:
    settings, _, nights = demo
    folder = settings.report_path(nights[-1])
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Rating distribution" in html and "CSAT by week" in html
    for mart in ("mart_rating_distribution", "mart_csat", "mart_seller_weekly", "mart_ingest_quality"):
        assert (folder / f"{mart}.csv").stat().st_size > 0
    links = re.findall(r'href="([^"#:]+)"', html)  # every file the page links to is there
    assert {"mart_csat.csv", "mart_csat.parquet", "summary.json", "keywords/"} <= set(links)
    assert all((folder / link).exists() for link in links), [x for x in links if not (folder / x).exists()]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["reviews"] == run(con, "select count(*) from reviews")[0][0]
    assert summary["feedback"] == run(con, "select count(*) from seller_feedback")[0][0]
    csat = run(
        con, "select csat from mart_csat where kind = 'reviews' and grain = 'channel' and key = 'web'"
    )[0][0]
    direct = run(
        con, "select avg(case when rating >= 4 then 1.0 else 0 end) from reviews where channel = 'web'"
    )
    assert csat == pytest.approx(direct[0][0], abs=1e-4)
    for mart in ("mart_csat", "mart_sentiment"):  # a product with a title anywhere is named by it
        named_by_id = run(
            con,
            f"select count(*) from {mart} as m where grain = 'product' and label = key and exists "
            "(select 1 from reviews as r where r.product_id = m.key and r.product_title is not null)",
        )
        assert named_by_id == [(0,)], mart
    languages = {r[0] for r in run(con, "select distinct language from reviews")}
    assert {"en", "es", "pt"} <= languages


def test_running_every_night_again_changes_no_table(demo) -> None:
    settings, _, nights = demo
    with connect(settings, read_only=True) as before_con:
        before = table_counts(before_con)
        snapshot = run(before_con, "select * from reviews order by source, review_id")
        report = run(before_con, "select * from mart_csat order by all")
    for night in nights:
        again = run_night(settings, night)
        assert again.ok and all(f["status"] == "skipped" for f in again.files)
        assert again.scored == 0  # no new or edited text: nothing is encoded
    build_marts(settings, nights[-1])
    with connect(settings, read_only=True) as after_con:
        assert table_counts(after_con) == before
        assert run(after_con, "select * from reviews order by source, review_id") == snapshot
        assert run(after_con, "select * from mart_csat order by all") == report


def test_every_text_is_scored_once_and_edits_are_rescored(demo, con) -> None:
    _, truth, _ = demo
    unscored = run(con, "select count(*) from reviews where needs_scoring")[0][0]
    assert unscored == 0
    scores_per_review = run(
        con, "select count(*), count(distinct (source, record_id)) from review_scores where kind = 'reviews'"
    )[0]
    edit = truth["edited_review"]
    # one score per review, plus the edited review's first version kept as history
    assert scores_per_review[0] == scores_per_review[1] + 1
    history = run(con, "select count(distinct content_hash) from review_scores where record_id = ?",
                  [edit["review_id"]])  # fmt: skip
    assert history == [(2,)]


def test_sentiment_finds_the_planted_patterns(demo, con) -> None:
    _, truth, _ = demo
    ring = truth["fake_ring"]
    ring_sentiment = run(
        con,
        "select avg(case when sentiment = 'positive' then 1.0 else 0 end) from review_scores "
        "where record_id in (select unnest(?::varchar[]))",
        [ring["target_review_ids"]],
    )[0][0]
    assert ring_sentiment >= 0.9  # templated five-star praise reads as positive
    spike = truth["complaint_spike"]
    weeks = run(
        con,
        "select week, negative_share from mart_sentiment where kind = 'seller_feedback' and grain = 'seller' "
        "and key = ? and week is not null and n >= 3 order by week",
        [spike["seller_id"]],
    )
    spike_week = _week_of(spike["end"])
    during = [share for week, share in weeks if week == spike_week]
    before = [share for week, share in weeks if week < spike_week - timedelta(days=7)]
    assert during and before and during[0] > max(before)


def _latest_fake_scores(con: duckdb.DuckDBPyConnection, night: str) -> dict[str, tuple[float, bool, str]]:
    rows = run(
        con,
        "select record_id, fake_probability, suspicious, fake_reasons from fake_scores "
        "where kind = 'reviews' and scored_night <= ? "
        "qualify row_number() over (partition by source, record_id order by scored_night desc) = 1",
        [night],
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_planted_ring_is_recovered_with_its_reasons(demo, con) -> None:
    _, truth, nights = demo
    ring = set(truth["fake_ring"]["review_ids"])
    scores = _latest_fake_scores(con, nights[-1])
    assert len(scores) == run(con, "select count(*) from reviews")[0][0]  # every review has a fake score
    flagged = {rid for rid, (_, suspicious, _) in scores.items() if suspicious}
    hits = flagged & ring
    assert len(hits) / len(ring) >= RING_RECALL, sorted(ring - flagged)
    assert len(hits) / len(flagged) >= RING_PRECISION
    for rid in ring & set(truth["fake_ring"]["target_review_ids"]):
        assert "accounts that" in scores[rid][2]  # the dense block, said in words with its contribution
    ring_mean = sum(scores[r][0] for r in ring) / len(ring)
    others = [p for rid, (p, _, _) in scores.items() if rid not in ring]
    assert ring_mean > 3 * (sum(others) / len(others))


def test_product_trust_mart_grades_products_and_adjusts_ring_ratings(demo, con) -> None:
    settings, truth, nights = demo
    trust = {r[0]: r[1:] for r in run(
        con, "select product_id, trust_grade, avg_rating_raw, avg_rating_trusted, suspicious_share "
        "from mart_product_trust")}  # fmt: skip
    assert set(trust) == {r[0] for r in run(con, "select distinct product_id from reviews")}
    assert {g for g, *_ in trust.values()} <= set("ABCDF")
    for product in truth["fake_ring"]["product_ids"]:  # five-star ring reviews lift the raw average
        grade, raw, trusted, share = trust[product]
        assert trusted < raw and share > 0
    sellers = run(con, "select count(*), count(distinct trust_grade) from mart_seller_trust")[0]
    assert (
        sellers[0]
        == run(con, "select count(distinct coalesce(seller_id, '(unknown)')) from seller_feedback")[0][0]
    )
    html = (settings.report_path(nights[-1]) / "index.html").read_text(encoding="utf-8")
    assert "<h2>Trust</h2>" in html and "trusted CSAT" in html and "accounts that" in html
    # a typical reason is counted by its pattern but shown with one review's own numbers
    assert re.search(r"one of \d+ accounts that all reviewed the same \d+ products", html)
    assert "one of n accounts" not in html
    # average ratings read alike: two decimals everywhere (not 4.0 beside 3.943)
    assert re.search(r'<td class="num">\d\.\d\d</td>', html)
    assert not re.search(r'<td class="num">\d\.(\d|\d{3,})</td>', html)
    # a title with its own stop joins its text as a sentence does: "Five stars! Best ...", not "stars!."
    suspicious = html.split("Most suspicious reviews")[1].split("<h2>")[0]
    assert re.search(r"[!?] [A-Z]", suspicious) and not re.search(r"[!?]\. ", suspicious)


def test_survey_responses_load_score_and_add_up_in_the_cx_mart(demo, con) -> None:
    settings, truth, nights = demo
    surveys = truth["surveys"]
    assert run(con, "select count(*) from survey_responses")[0][0] == surveys["responses"]
    # every comment scored (needs_scoring cleared); responses without a comment have nothing to score
    assert run(con, "select count(*) from survey_responses where needs_scoring") == [(0,)]
    scored = run(
        con,
        "select count(*) from survey_responses as s where s.comment is not null and not exists (select 1 "
        "from review_scores as r where r.kind = 'survey_responses' and r.record_id = s.response_id "
        "and r.content_hash = s.content_hash)",
    )
    assert scored == [(0,)]
    by_channel = {
        row[0]: row[1:]
        for row in run(
            con,
            "select dimension_value, sum(survey_n), sum(nps_n), sum(promoters), sum(detractors), sum(ces_n), "
            "sum(survey_csat_n) from mart_cx_metrics where dimension = 'channel' and survey_n > 0 group by 1",
        )
    }
    for channel, tally in surveys["by_channel"].items():
        assert by_channel[channel] == (
            tally["responses"], tally["nps_answers"], tally["promoters"], tally["detractors"],
            tally["ces_answers"], tally["csat_answers"],
        )  # fmt: skip
    overall = run(con, "select sum(survey_n), sum(n) from mart_cx_metrics where dimension = 'overall'")[0]
    rated = run(con, "select (select count(*) from reviews) + (select count(*) from seller_feedback)")[0][0]
    assert overall == (surveys["responses"], rated)
    spike = surveys["spike"]
    weeks = dict(
        run(
            con,
            "select week, nps from mart_cx_metrics where dimension = 'channel' and dimension_value = ? "
            "and nps_n >= 5",
            [spike["channel"]],
        )
    )
    spike_week = _week_of(spike["end"])
    before = [nps for week, nps in weeks.items() if week < _week_of(spike["start"])]
    assert before and weeks[spike_week] < min(before)
    folder = settings.report_path(nights[-1])
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "Customer experience: NPS, CES, CSAT" in html and "NPS by channel and week" in html
    assert (folder / "mart_cx_metrics.csv").stat().st_size > 0
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["cx_week"]["nps"]["n"] > 0 and -100 <= summary["cx_week"]["nps"]["value"] <= 100


def test_planted_spike_is_the_top_rising_theme_for_its_seller_and_week(demo, con) -> None:
    settings, truth, nights = demo
    spike = truth["complaint_spike"]
    top = con.execute(
        "select dimension_value, theme, week, rising from mart_theme_trends where dimension = 'seller' "
        "order by excess desc limit 1"
    ).fetchone()
    assert top == (spike["seller_id"], spike["theme"], _week_of(spike["end"]), True)
    report = json.loads((settings.report_path(nights[-1]) / "summary.json").read_text(encoding="utf-8"))
    sellers = [r for r in report["rising_themes"] if r["dimension"] == "seller"]
    assert (sellers[0]["value"], sellers[0]["theme"]) == (spike["seller_id"], spike["theme"])
    html = (settings.report_path(nights[-1]) / "index.html").read_text(encoding="utf-8")
    assert "Top rising complaint themes this week" in html and "Emerging themes" in html
    assert "00:00:00" not in html  # dates (the emerging themes' first seen) are shown as dates
    rising = html.split("Top rising complaint themes this week")[1].split("<h3>")[0]
    assert "<td>all records</td>" in rising and "overall all" not in rising  # the whole stream, in words
    for row in re.findall(r"<tr><td>.*?</tr>", rising):  # two quotes, not one sentence the demo repeats
        quotes = re.findall(r"<div>“(.*?)”</div>", row)
        assert len(quotes) == 2 and quotes[0].lower() != quotes[1].lower(), row


def test_every_text_has_themed_sentences_under_one_model_version(demo, con) -> None:
    missing = con.execute(
        "select count(*) from record_texts "
        "anti join review_sentences using (kind, source, record_id, content_hash)"
    ).fetchone()[0]
    versions = con.execute("select count(distinct model_version) from review_sentences").fetchone()[0]
    catalog = con.execute("select count(*) from theme_catalog").fetchone()[0]
    spike_sentences = con.execute(
        "select count(*) from theme_mentions where theme = 'delivery' and kind = 'seller_feedback'"
    ).fetchone()[0]
    assert missing == 0 and versions == 1 and catalog == 13 and spike_sentences > 0


def test_emerging_themes_are_not_generic_verdicts(demo, con) -> None:
    from pipeline.themes.emerging import EmergingConfig, content_words

    examples = [e for (row,) in con.execute("select examples from emerging_clusters").fetchall() for e in row]
    # the demo writes many "Disappointed." / "No lo recomiendo.": they once made most of the table
    assert examples and min(map(content_words, examples)) >= EmergingConfig().min_content_words


def test_editing_the_taxonomy_reapplies_themes_to_history(demo, tmp_path: Path) -> None:
    import shutil
    from dataclasses import replace

    import yaml

    from pipeline.themes.apply import assign_themes

    settings, _, nights = demo
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(settings.warehouse_path, home / "warehouse.duckdb")
    taxonomy = yaml.safe_load(settings.taxonomy_path.read_text(encoding="utf-8"))
    taxonomy["themes"] = [t for t in taxonomy["themes"] if t["id"] != "packaging"]
    edited = tmp_path / "taxonomy.yaml"
    edited.write_text(yaml.safe_dump(taxonomy, allow_unicode=True), encoding="utf-8")
    copy = replace(settings, home=home, taxonomy_path=edited)
    summary = assign_themes(copy, nights[-1])
    con = connect(copy, read_only=True)
    try:
        texts = con.execute("select count(*) from record_texts").fetchone()[0]
        versions = con.execute("select distinct model_version from review_sentences").fetchall()
        packaging = con.execute("select count(*) from theme_mentions where theme = 'packaging'").fetchone()[0]
        catalog = {r[0] for r in con.execute("select theme from theme_catalog").fetchall()}
    finally:
        con.close()
    assert summary["records"] == texts  # every stored text, not only the night's new ones
    assert versions == [(summary["model_version"],)] and packaging == 0 and "packaging" not in catalog
