"""The seeded demo generator: deterministic files, every format every night, and a truth file that is true."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pipeline.demo import DemoManifest, generate_demo
from pipeline.sources.registry import GENERIC_SURVEY_COLUMNS

START = date(2026, 11, 3)
REVIEW_SOURCES = ("generic_csv", "generic_jsonl", "generic_parquet", "judgeme")
FEEDBACK_SOURCES = ("amazon_seller_central", "generic_csv")
REASONS = {"empty_text", "bad_rating", "bad_date", "missing_id", "duplicate_id", "broken_json", "undecodable",
           "bad_nps", "bad_ces", "bad_csat", "no_score"}  # fmt: skip
# survey answer -> its valid whole numbers (each may be empty, not all three)
SURVEY_SCALES = {"nps": range(0, 11), "ces": range(1, 8), "csat": range(1, 6)}
# sha256 of every review and feedback file of generate_demo(start=START, nights=3, seed=7), taken with the
# generator as it was before survey responses were added (parquet by content, not by writer metadata)
PINNED_OLD_FILES = "ada0798447718b08cfb04a4eaeb64d0f986c81c6001c1cbf709f0448cab78c0d"
SURROGATE = re.compile("[\udc80-\udcff]")
# (kind, source) -> id, text, rating, date column, and how the date is written
FIELDS = {
    ("reviews", "generic_csv"): ("review_id", "text", "rating", "review_date", "iso"),
    ("reviews", "generic_jsonl"): ("review_id", "text", "rating", "review_date", "iso"),
    ("reviews", "generic_parquet"): ("review_id", "text", "rating", "review_date", "iso"),
    ("reviews", "judgeme"): ("", "body", "rating", "review_date", "%Y-%m-%d %H:%M:%S UTC"),
    ("seller_feedback", "amazon_seller_central"): ("Order ID", "Comments", "Rating", "Date", "%m/%d/%y"),
    ("seller_feedback", "generic_csv"): ("feedback_id", "comment", "rating", "feedback_date", "iso"),
    ("survey_responses", "generic_csv"): ("response_id", "comment", "csat", "response_date", "iso"),
}
Row = dict[str, Any] | None  # None: a line that is not valid JSON
Demo = tuple[DemoManifest, dict[str, Any], Path]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One default run (7 nights, seed 42) shared by the read-only tests."""
    root = tmp_path_factory.mktemp("demo")
    manifest = generate_demo(root / "landing", root / "truth.json", start=START)
    return manifest, json.loads(manifest.truth_path.read_text("utf-8")), root / "landing"


def _read(path: Path, kind: str, source: str) -> list[Row]:
    """Parse one export file into records (1-based numbering = list index + 1)."""
    if path.suffix == ".parquet":
        return list(pq.read_table(path).to_pylist())
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    if path.suffix == ".jsonl":
        return [_json_or_none(line) for line in text.split("\n") if line]
    if source == "amazon_seller_central":
        lines = [line for line in text.split("\n") if line]
        header = lines[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _json_or_none(line: str) -> Row:
    try:
        return dict(json.loads(line))
    except json.JSONDecodeError:
        return None


def _date_ok(value: Any, fmt: str) -> bool:
    try:
        if fmt == "iso":
            datetime.fromisoformat(str(value))
        else:
            datetime.strptime(str(value), fmt)
    except ValueError:
        return False
    return True


def _rating_ok(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return value in (1, 2, 3, 4, 5) or value in ("1", "2", "3", "4", "5")


def _problems(kind: str, source: str, row: Row, seen: set[str]) -> set[str]:
    """Every reason a record is malformed, judged independently of the generator."""
    if row is None:
        return {"broken_json"}
    id_col, text_col, rating_col, date_col, fmt = FIELDS[(kind, source)]
    found = set()
    if any(isinstance(v, str) and SURROGATE.search(v) for v in row.values()):
        found.add("undecodable")
    if kind == "reviews" and not str(row[text_col] or "").strip():
        found.add("empty_text")
    if kind == "survey_responses":
        found |= _survey_problems(row)
    elif not _rating_ok(row[rating_col]):
        found.add("bad_rating")
    if not _date_ok(row[date_col], fmt):
        found.add("bad_date")
    if id_col:
        ident = row[id_col]
        if not ident:
            found.add("missing_id")
        elif ident in seen:
            found.add("duplicate_id")
        else:
            seen.add(ident)
    return found


def _survey_problems(row: dict[str, Any]) -> set[str]:
    """bad_nps / bad_ces / bad_csat for an answer that is not a whole number in range; no_score for none."""
    found = set()
    for column, valid in SURVEY_SCALES.items():
        value = row[column]
        if value and value not in {str(v) for v in valid}:
            found.add(f"bad_{column}")
    if not any(row[c] for c in SURVEY_SCALES):
        found.add("no_score")
    return found


def _all_files(landing: Path) -> dict[str, bytes]:
    files = sorted(p for p in landing.rglob("*") if p.is_file())
    return {p.relative_to(landing).as_posix(): p.read_bytes() for p in files}


def _generic_reviews(landing: Path) -> list[dict[str, Any]]:
    """Every well-formed review in the generic formats, with the night and source it came from."""
    out = []
    for source in REVIEW_SOURCES[:3]:
        for path in sorted((landing / "reviews" / source).rglob("*.*")):
            out += [
                r | {"_night": path.parent.name, "_source": source}
                for r in _read(path, "reviews", source)
                if r is not None
            ]
    return out


def _feedback(landing: Path) -> list[dict[str, Any]]:
    out = []
    for source in FEEDBACK_SOURCES:
        for path in sorted((landing / "seller_feedback" / source).rglob("*.*")):
            out += [
                r | {"_seller_file": path.stem, "_source": source}
                for r in _read(path, "seller_feedback", source)
                if r is not None
            ]
    return out


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = generate_demo(a / "landing", a / "truth.json", start=START, nights=3, seed=7)
    second = generate_demo(b / "landing", b / "truth.json", start=START, nights=3, seed=7)
    assert _all_files(tmp_path / "a" / "landing") == _all_files(tmp_path / "b" / "landing")
    assert first.truth_path.read_bytes() == second.truth_path.read_bytes()
    assert (first.review_rows, first.feedback_rows) == (second.review_rows, second.feedback_rows)


def test_different_seed_changes_the_data(tmp_path: Path) -> None:
    generate_demo(tmp_path / "a" / "landing", tmp_path / "a" / "truth.json", start=START, nights=2, seed=1)
    generate_demo(tmp_path / "b" / "landing", tmp_path / "b" / "truth.json", start=START, nights=2, seed=2)
    a, b = _all_files(tmp_path / "a" / "landing"), _all_files(tmp_path / "b" / "landing")
    assert a["reviews/generic_csv/2026-11-03/reviews.csv"] != b["reviews/generic_csv/2026-11-03/reviews.csv"]


def test_nights_are_consecutive_days_and_files_follow_the_layout(demo: Demo) -> None:
    manifest, truth, landing = demo
    assert manifest.nights == [(START + timedelta(days=i)).isoformat() for i in range(7)]
    assert truth["nights"] == manifest.nights
    for path in manifest.files:
        kind, source, night, _ = path.relative_to(landing).parts
        assert kind in ("reviews", "seller_feedback", "survey_responses") and night in manifest.nights
    assert sorted(p.relative_to(landing).as_posix() for p in manifest.files) == truth["files"]


def test_every_format_appears_every_night(demo: Demo) -> None:
    manifest, _, landing = demo
    for night in manifest.nights:
        for source, name in zip(
            REVIEW_SOURCES,
            ("reviews.csv", "reviews.jsonl", "reviews.parquet", "judgeme_reviews.csv"),
            strict=True,
        ):
            assert _read(landing / "reviews" / source / night / name, "reviews", source), (source, night)
        amazon = sorted((landing / "seller_feedback" / "amazon_seller_central" / night).glob("seller-*.txt"))
        assert amazon and all(_read(p, "seller_feedback", "amazon_seller_central") for p in amazon)
        assert _read(
            landing / "seller_feedback" / "generic_csv" / night / "feedback.csv",
            "seller_feedback",
            "generic_csv",
        )


def test_headers_match_the_export_formats(demo: Demo) -> None:
    manifest, _, landing = demo
    night = manifest.nights[0]
    judgeme_file = landing / "reviews" / "judgeme" / night / "judgeme_reviews.csv"
    judgeme = judgeme_file.read_text("utf-8").split("\n")[0]
    assert judgeme == (
        "title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,"
        "product_handle,reply,reply_date,picture_urls,ip_address,location"
    )
    amazon = next((landing / "seller_feedback" / "amazon_seller_central" / night).glob("*.txt"))
    assert amazon.read_text("utf-8").split("\n")[0].split("\t") == [
        "Date",
        "Rating",
        "Comments",
        "Your Response",
        "Order ID",
        "Rater Email",
        "Arrived on time",
        "Item as described",
        "Customer service",
    ]
    for row in _read(amazon, "seller_feedback", "amazon_seller_central"):
        assert row is not None
        assert re.fullmatch(r"\d{3}-\d{7}-\d{7}", row["Order ID"] or "000-0000000-0000000")
        flags = {row["Arrived on time"], row["Item as described"], row["Customer service"]}
        assert flags <= {"Yes", "No", "-"}


def test_malformed_records_are_exactly_those_in_the_truth_file(demo: Demo) -> None:
    _, truth, landing = demo
    expected = {(m["file"], m["record"]): m["reason"] for m in truth["malformed"]["records"]}
    found: dict[tuple[str, int], str] = {}
    for rel in truth["files"]:
        kind, source = rel.split("/")[:2]
        seen: set[str] = set()
        for number, row in enumerate(_read(landing / rel, kind, source), start=1):
            problems = _problems(kind, source, row, seen)
            assert len(problems) <= 1, (rel, number, problems)
            if problems:
                found[(rel, number)] = problems.pop()
    assert found == expected
    reasons = {m["reason"] for m in truth["malformed"]["records"]}
    assert reasons == REASONS
    nights = {m["night"] for m in truth["malformed"]["records"]}
    assert 0 < len(nights) < len(truth["nights"])
    assert {(m["kind"], m["source"]) for m in truth["malformed"]["records"]} == set(FIELDS)


def test_counts_in_truth_match_the_files(demo: Demo) -> None:
    manifest, truth, landing = demo
    rows: Counter[tuple[str, str, str]] = Counter()
    for rel in truth["files"]:
        kind, source, night, _ = rel.split("/")
        rows[(kind, source, night)] += len(_read(landing / rel, kind, source))
    for kind, sources in truth["counts"].items():
        for source, nights in sources.items():
            for night, count in nights.items():
                assert count["rows"] == rows[(kind, source, night)]
    assert manifest.review_rows == truth["totals"]["reviews"]["rows"]
    assert manifest.malformed_rows == len(truth["malformed"]["records"])


def test_default_volume_is_a_few_thousand_rows(demo: Demo) -> None:
    manifest, truth, _ = demo
    assert 2000 <= manifest.review_rows + manifest.feedback_rows <= 5000
    for night in manifest.nights[1:]:
        reviews = sum(truth["counts"]["reviews"][s][night]["rows"] for s in REVIEW_SOURCES)
        feedback = sum(truth["counts"]["seller_feedback"][s][night]["rows"] for s in FEEDBACK_SOURCES)
        assert 80 <= reviews <= 200 and 30 <= feedback <= 90, (night, reviews, feedback)
    backfill = truth["backfill"]
    assert backfill["end"] < manifest.nights[0] and backfill["reviews"] > 1000


def test_spike_ids_occur_with_the_seller_in_the_window(demo: Demo) -> None:
    manifest, truth, landing = demo
    spike = truth["complaint_spike"]
    assert spike["seller_id"] == "seller-03" and spike["theme"] == "delivery"
    assert (spike["start"], spike["end"]) == (manifest.nights[2], manifest.nights[-1])
    reviews = {r["review_id"]: r for r in _generic_reviews(landing)}
    for review_id in spike["review_ids"]:
        row = reviews[review_id]
        assert row["seller_id"] == "seller-03" and spike["start"] <= row["review_date"][:10] <= spike["end"]
        assert int(row["rating"]) <= 3
    assert {reviews[i]["language"] for i in spike["review_ids"]} == {"en", "es", "pt"}
    by_order = {f["order_id"] if "order_id" in f else f["Order ID"]: f for f in _feedback(landing)}
    for order_id in spike["order_ids"]:
        row = by_order[order_id]
        if row["_source"] == "generic_csv":
            assert row["seller_id"] == "seller-03" and row["arrived_on_time"] == "false"
        else:
            assert row["_seller_file"] == "seller-03" and row["Arrived on time"] == "No"
    feedback_ids = {f["feedback_id"] for f in _feedback(landing) if f["_source"] == "generic_csv"}
    assert set(spike["feedback_ids"]) <= feedback_ids


def test_spike_seller_is_normal_before_the_window(demo: Demo) -> None:
    _, truth, landing = demo
    start = truth["complaint_spike"]["start"]
    late = {"No": 0, "all": 0}
    for row in _feedback(landing):
        if row["_source"] == "amazon_seller_central" and row["_seller_file"] == "seller-03":
            day = datetime.strptime(row["Date"], "%m/%d/%y").date().isoformat()
            if day < start:
                late["all"] += 1
                late["No"] += row["Arrived on time"] == "No"
    assert late["all"] > 10 and late["No"] / late["all"] < 0.3


def test_ring_reviews_are_templated_fives_in_a_burst(demo: Demo) -> None:
    _, truth, landing = demo
    ring = truth["fake_ring"]
    assert 5 <= len(ring["reviewer_ids"]) <= 6 and 2 <= len(ring["product_ids"]) <= 3
    reviews = {r["review_id"]: r for r in _generic_reviews(landing)}
    for review_id in ring["review_ids"]:
        row = reviews[review_id]
        assert row["reviewer_id"] in ring["reviewer_ids"] and int(row["rating"]) == 5
        assert row["verified_purchase"] in (False, "false")
    for review_id in ring["target_review_ids"]:
        assert reviews[review_id]["product_id"] in ring["product_ids"]
        assert reviews[review_id]["review_date"][:10] in ring["burst_dates"]
    by_ring = [r for r in reviews.values() if r["reviewer_id"] in ring["reviewer_ids"]]
    assert sorted(r["review_id"] for r in by_ring) == ring["review_ids"]


def test_mixed_products_are_rated_two_to_four(demo: Demo) -> None:
    _, truth, landing = demo
    mixed = {p["product_id"] for p in truth["mixed_products"]["products"]}
    assert len(mixed) == 3
    ratings = [
        int(r["rating"])
        for r in _generic_reviews(landing)
        if r["product_id"] in mixed and _rating_ok(r["rating"]) and r["review_id"]
    ]
    assert ratings and set(ratings) <= {2, 3, 4}


def test_edited_review_reappears_with_new_text(demo: Demo) -> None:
    _, truth, landing = demo
    edit = truth["edited_review"]
    rows = [r for r in _generic_reviews(landing) if r["review_id"] == edit["review_id"]]
    assert [r["_night"] for r in rows] == [edit["original_night"], edit["edited_night"]]
    original, edited = rows
    assert original["text"] == edit["original_text"] and edited["text"] == edit["edited_text"]
    assert original["text"] != edited["text"] and int(original["rating"]) != int(edited["rating"])


def test_tricky_texts_are_written_verbatim(demo: Demo) -> None:
    _, truth, landing = demo
    records = truth["edge_cases"]["records"]
    assert {r["feature"] for r in records} >= {"quotes", "commas_newlines", "html", "emoji", "sql_injection"}
    for record in records:
        rows = _read(landing / record["file"], record["kind"], record["source"])
        row = rows[record["record"] - 1]
        assert row is not None
        text_col = FIELDS[(record["kind"], record["source"])][1]
        assert row[text_col] == record["text"]


def test_language_mix_is_roughly_45_30_25(demo: Demo) -> None:
    _, _, landing = demo
    languages = Counter(r["language"] for r in _generic_reviews(landing))
    total = sum(languages.values())
    assert set(languages) == {"en", "es", "pt"}
    assert 0.38 <= languages["en"] / total <= 0.53
    assert 0.23 <= languages["es"] / total <= 0.37
    assert 0.18 <= languages["pt"] / total <= 0.32


def test_ratings_follow_the_text(demo: Demo) -> None:
    _, truth, landing = demo
    praise = re.compile(r"Highly recommended|Totalmente recomendable|Super recomendo|Love it|Me encanta|Amei")
    scorn = re.compile(r"Do not buy|No lo compréis|Não comprem|waste of money|dinero tirado|dinheiro jogado")
    edited = truth["edited_review"]["review_id"]
    rows = [
        r
        for r in _generic_reviews(landing)
        if _rating_ok(r["rating"]) and r["text"] and r["review_id"] != edited
    ]
    praised = [int(r["rating"]) for r in rows if praise.search(r["text"])]
    scorned = [int(r["rating"]) for r in rows if scorn.search(r["text"])]
    assert praised and scorned and min(praised) >= 4 and max(scorned) <= 2


def test_a_single_night_still_plants_malformed_rows(tmp_path: Path) -> None:
    manifest = generate_demo(tmp_path / "landing", tmp_path / "truth.json", start=START, nights=1)
    truth = json.loads(manifest.truth_path.read_text("utf-8"))
    assert manifest.nights == [START.isoformat()]
    assert truth["edited_review"]["review_id"] is None
    assert {m["night"] for m in truth["malformed"]["records"]} == {START.isoformat()}


def test_zero_nights_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nights"):
        generate_demo(tmp_path / "landing", tmp_path / "truth.json", start=START, nights=0)


def _old_files_digest(landing: Path) -> str:
    """One sha256 over every review and feedback file (not the survey files), parquet by its rows."""
    digest = hashlib.sha256()
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        rel = path.relative_to(landing).as_posix()
        if rel.startswith("survey_responses/"):
            continue
        digest.update(rel.encode() + b"\0")
        if path.suffix == ".parquet":
            rows = pq.read_table(path).to_pylist()
            digest.update(json.dumps(rows, sort_keys=True, default=str).encode())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _surveys(landing: Path) -> list[dict[str, Any]]:
    """Every survey record of every night (malformed ones included), with its night."""
    out = []
    for path in sorted((landing / "survey_responses" / "generic_csv").rglob("surveys.csv")):
        out += [r | {"_night": path.parent.name} for r in _read(path, "survey_responses", "generic_csv") if r]
    return out


def test_survey_files_are_byte_identical_and_leave_the_old_files_as_they_were(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate_demo(a / "landing", a / "truth.json", start=START, nights=3, seed=7)
    generate_demo(b / "landing", b / "truth.json", start=START, nights=3, seed=7)
    first, second = _all_files(a / "landing"), _all_files(b / "landing")
    surveys = sorted(rel for rel in first if rel.startswith("survey_responses/"))
    assert surveys == [f"survey_responses/generic_csv/{(START + timedelta(days=i)).isoformat()}/surveys.csv"
                       for i in range(3)]  # fmt: skip
    assert all(first[rel] == second[rel] for rel in surveys)
    # surveys draw from their own random stream: every review and feedback file is as before they existed
    assert _old_files_digest(a / "landing") == PINNED_OLD_FILES


def test_survey_answers_agree_with_each_other_and_the_truth_file(demo: Demo) -> None:
    manifest, truth, landing = demo
    header = (landing / "survey_responses" / "generic_csv" / manifest.nights[0] / "surveys.csv").read_text(
        "utf-8"
    )
    assert header.split("\n")[0].split(",") == list(GENERIC_SURVEY_COLUMNS)
    malformed = {
        (m["night"], m["record"]) for m in truth["malformed"]["records"] if m["kind"] == "survey_responses"
    }
    valid: list[dict[str, Any]] = []
    for night in manifest.nights:
        path = landing / "survey_responses" / "generic_csv" / night / "surveys.csv"
        rows = _read(path, "survey_responses", "generic_csv")
        valid += [r for i, r in enumerate(rows, start=1) if r is not None and (night, i) not in malformed]
    assert len(valid) == truth["surveys"]["responses"] == manifest.survey_rows - len(malformed)
    assert {r["channel"] for r in valid} == {"web", "app", "marketplace", "shopify"}
    assert {r["language"] for r in valid} == {"en", "es", "pt"}
    for row in valid:
        nps, ces, csat = (int(row[c]) if row[c] else None for c in ("nps", "ces", "csat"))
        if nps is not None and csat is not None:  # a satisfied respondent recommends, an unhappy one does not
            assert (csat >= 4) <= (nps >= 7) and (csat <= 2) <= (nps <= 6), row
        if ces is not None and csat is not None:
            assert (csat == 5) <= (ces <= 2) and (csat == 1) <= (ces >= 5), row
    tallies = truth["surveys"]["by_channel"]
    for channel, tally in tallies.items():
        rows = [r for r in valid if r["channel"] == channel]
        nps = [int(r["nps"]) for r in rows if r["nps"]]
        assert tally["responses"] == len(rows) and tally["nps_answers"] == len(nps)
        assert (tally["promoters"], tally["detractors"]) == (
            sum(v >= 9 for v in nps),
            sum(v <= 6 for v in nps),
        )
        assert tally["ces_sum"] == sum(int(r["ces"]) for r in rows if r["ces"])
        assert tally["csat_satisfied"] == sum(int(r["csat"]) >= 4 for r in rows if r["csat"])


def test_survey_comments_follow_the_answers_and_the_spike_shows_on_one_channel(demo: Demo) -> None:
    _, truth, landing = demo
    praise = re.compile(r"Highly recommended|Totalmente recomendable|Super recomendo|Love it|Me encanta|Amei")
    scorn = re.compile(r"Do not buy|No lo compréis|Não comprem|waste of money|dinero tirado|dinheiro jogado")
    rows = [r for r in _surveys(landing) if r["comment"] and r["csat"] in {"1", "2", "3", "4", "5"}]
    assert [int(r["csat"]) for r in rows if praise.search(r["comment"])]
    assert min(int(r["csat"]) for r in rows if praise.search(r["comment"])) >= 4
    assert max(int(r["csat"]) for r in rows if scorn.search(r["comment"])) <= 2
    spike = truth["surveys"]["spike"]
    by_id = {r["response_id"]: r for r in _surveys(landing)}
    assert len(spike["response_ids"]) >= 10
    for response_id in spike["response_ids"]:
        row = by_id[response_id]
        assert (
            row["channel"] == spike["channel"] and spike["start"] <= row["response_date"][:10] <= spike["end"]
        )
        assert int(row["nps"]) <= 6 and int(row["csat"]) <= 3

    def nps(channel: str, during: bool) -> float:
        rows = [r for r in _surveys(landing) if r["channel"] == channel and r["nps"].isdigit()]
        answers = [
            int(r["nps"])
            for r in rows
            if int(r["nps"]) <= 10 and (spike["start"] <= r["response_date"][:10]) == during
        ]
        return 100 * (sum(a >= 9 for a in answers) - sum(a <= 6 for a in answers)) / len(answers)

    assert nps(spike["channel"], during=True) < nps(spike["channel"], during=False) - 30
    assert nps("web", during=True) > nps(spike["channel"], during=True) + 30
