"""Write the nightly report: ``reports/<night>/index.html`` plus one CSV per mart and ``summary.json``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline import __version__
from pipeline.reports.charts import bar_chart, line_chart
from pipeline.reports.cx import cx_context
from pipeline.reports.marts import load_as_of, mart_names
from pipeline.reports.redact import redact
from pipeline.reports.themes import themes_context
from pipeline.settings import Settings
from pipeline.themes.apply import unit_text

MIN_REVIEWS_FOR_RANKING = 5


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> pd.DataFrame:
    return con.execute(sql, params).df() if params is not None else con.execute(sql).df()


def _headline(con: duckdb.DuckDBPyConnection, night: date) -> dict[str, Any]:
    """Totals shown at the top of the report."""
    row = con.execute(
        """
        with r as (
                select reviews.*, 1 - coalesce(k.fake_probability, 0) as trust,
                       coalesce(k.suspicious, false) as suspicious
                from reviews left join fake_latest as k
                    on k.kind = 'reviews' and k.source = reviews.source and k.record_id = reviews.review_id
                where first_seen <= $night),
             f as (
                select seller_feedback.*, 1 - coalesce(k.fake_probability, 0) as trust
                from seller_feedback left join fake_latest as k
                    on k.kind = 'seller_feedback' and k.source = seller_feedback.source
                    and k.record_id = seller_feedback.feedback_id
                where first_seen <= $night)
        select
            (select count(*) from r),
            (select count(*) from r where first_seen = $night),
            (select round(avg(rating), 2) from r),
            (select avg(case when rating >= 4 then 1.0 else 0.0 end) from r),
            (select count(*) from f),
            (select count(*) from f where first_seen = $night),
            (select round(avg(rating), 2) from f),
            (select avg(case when rating >= 4 then 1.0 else 0.0 end) from f),
            (select count(*) from quarantine where night <= $night),
            (select count(*) from quarantine where night = $night),
            (select count(distinct language) from r),
            (select round(sum(rating * trust) / sum(trust), 2) from r),
            (select sum(case when rating >= 4 then trust else 0 end) / sum(trust) from r),
            (select avg(case when suspicious then 1.0 else 0.0 end) from r),
            (select sum(case when rating >= 4 then trust else 0 end) / sum(trust) from f)
        """,
        {"night": night},
    ).fetchall()[0]
    keys = [
        "reviews",
        "reviews_new",
        "review_avg_rating",
        "review_csat",
        "feedback",
        "feedback_new",
        "feedback_avg_rating",
        "feedback_csat",
        "quarantined",
        "quarantined_tonight",
        "languages",
        "review_avg_rating_trusted",
        "review_csat_trusted",
        "review_suspicious_share",
        "feedback_csat_trusted",
    ]
    return dict(zip(keys, row, strict=True))


def _weekly_trend(csat: pd.DataFrame) -> str:
    weekly = csat[csat["grain"] == "week"].pivot_table(index="key", columns="kind", values="csat")
    labels = [str(k)[5:] for k in weekly.index]
    series = {
        ("Reviews" if k == "reviews" else "Seller feedback"): [
            None if pd.isna(v) else float(v) for v in weekly[k]
        ]
        for k in weekly.columns
    }
    return line_chart(labels, series)


def _seller_trend(seller_weekly: pd.DataFrame) -> str:
    known = seller_weekly[seller_weekly["seller_id"] != "(unknown)"].dropna(subset=["feedback_csat"])
    top = known.groupby("seller_id")["feedback_n"].sum().nlargest(6).index
    table = known[known["seller_id"].isin(top)].pivot_table(
        index="week", columns="seller_id", values="feedback_csat"
    )
    labels = [str(w)[5:10] for w in table.index]
    return line_chart(
        labels, {s: [None if pd.isna(v) else float(v) for v in table[s]] for s in table.columns}
    )


def _sentiment_trend(sentiment: pd.DataFrame) -> str:
    weekly = sentiment[(sentiment["grain"] == "all") & sentiment["week"].notna()]
    table = weekly.pivot_table(index="week", columns="kind", values="negative_share")
    labels = [str(w)[5:10] for w in table.index]
    names = {"reviews": "Reviews", "seller_feedback": "Seller feedback"}
    return line_chart(
        labels, {names[k]: [None if pd.isna(v) else float(v) for v in table[k]] for k in table.columns}
    )


def _trust_context(
    con: duckdb.DuckDBPyConnection, marts: dict[str, pd.DataFrame], night: date
) -> dict[str, Any]:
    """The trust section: grades, raw beside trust-weighted ratings, and suspicious reviews with reasons."""
    products = marts["mart_product_trust"]
    grades = ["A", "B", "C", "D", "F"]
    counts = products["trust_grade"].value_counts()
    examples = _frame(
        con,
        """
        select r.product_id, coalesce(r.product_title, r.product_id) as product, r.rating,
               r.title, r.text, r.language,
               k.fake_probability, k.fake_reasons
        from reviews as r
        inner join fake_latest as k
            on k.kind = 'reviews' and k.source = r.source and k.record_id = r.review_id
        where r.first_seen <= $night and k.suspicious
        order by k.fake_probability desc, r.review_id
        limit 12
        """,
        {"night": night},
    )
    # quotes show no emails, phones or names; redact the whole text ("Title! Text", as sentences are
    # split: no "Five stars!." where the title has its own stop), then cut it to the excerpt
    examples["excerpt"] = [
        redact(unit_text(title, text), lang)[:160]
        for title, text, lang in zip(examples["title"], examples["text"], examples["language"], strict=True)
    ]
    examples = examples.drop(columns=["title", "text"])
    return {
        "grade_chart": bar_chart(
            grades, [float(counts.get(g, 0)) for g in grades], value_format="{:.0f}", color="#9333ea"
        ),  # fmt: skip
        "trust_products": products.head(15).to_dict("records"),
        "trust_sellers": marts["mart_seller_trust"].to_dict("records"),
        "suspicious_examples": examples.to_dict("records"),
    }


def _has_keywords(con: duckdb.DuckDBPyConnection, night: date) -> bool:
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    if "mart_keywords" not in tables:
        return False
    rows = con.execute("select count(*) from mart_keywords where night = $night", {"night": night}).fetchall()
    return bool(rows[0][0])


def _keyword_exports(con: duckdb.DuckDBPyConnection, out: Path, night: date) -> list[Path]:
    """Keyword CSVs per product and category and language under ``keywords/`` (when the mart is built)."""
    from pipeline.keywords import export_keywords

    return export_keywords(con, out, night) if _has_keywords(con, night) else []


def _keyword_context(con: duckdb.DuckDBPyConnection, night: date) -> dict[str, Any]:
    """Each category's top phrases per language, praise and complaint, for the sellers' section."""
    if not _has_keywords(con, night):
        return {"keywords": []}
    frame = con.execute(
        """
        select scope_id as category, language, phrase, frequency, reviewers, polarity, novelty
        from mart_keywords
        where scope = 'category' and night = $night
        qualify row_number() over (partition by scope_id, language order by rank) <= 5
        order by category, language, rank
        """,
        {"night": night},
    ).df()
    return {"keywords": frame.to_dict("records")}


def _stars(value: Any) -> str:
    """An average rating cell: two decimals (``4.00``, not ``4.0`` beside ``3.943``), blank when unknown."""
    return "" if value is None or pd.isna(value) else f"{float(value):.2f}"


def _day(value: Any) -> str:
    """A date cell: ``2026-11-08`` (DuckDB dates reach pandas as midnight timestamps), blank when unknown."""
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def write_report(con: duckdb.DuckDBPyConnection, settings: Settings, night: date) -> Path:
    """Render the report for ``night`` from the marts (build them first) and return its folder."""
    out = settings.report_path(night.isoformat())
    out.mkdir(parents=True, exist_ok=True)
    marts = {name: _frame(con, f'select * from "{name}"') for name in mart_names(settings)}
    for name, frame in marts.items():
        frame.to_csv(out / f"{name}.csv", index=False)
        frame.to_parquet(out / f"{name}.parquet", index=False)
    load_as_of(con, settings, night, ("fake_latest",))  # the headline and trust views read it
    keyword_files = _keyword_exports(con, out, night)

    headline = _headline(con, night)
    dist = marts["mart_rating_distribution"]
    csat = marts["mart_csat"]
    products = csat[
        (csat["kind"] == "reviews") & (csat["grain"] == "product") & (csat["n"] >= MIN_REVIEWS_FOR_RANKING)
    ]
    charts = {
        kind: bar_chart([f"{r}★" for r in part["rating"]], [float(s or 0) for s in part["share"]])
        for kind, part in dist.groupby("kind")
    }
    sentiment = marts.get("mart_sentiment", pd.DataFrame(columns=["kind", "grain", "week", "n"]))
    overall = sentiment[sentiment["week"].isna()] if len(sentiment) else sentiment
    context = {
        "sentiment_chart": _sentiment_trend(sentiment)
        if len(sentiment)
        else "<p class='empty'>No scores yet.</p>",
        "negative_products": overall[
            (overall["kind"] == "reviews")
            & (overall["grain"] == "product")
            & (overall["n"] >= MIN_REVIEWS_FOR_RANKING)
        ]
        .sort_values(["negative_share", "n"], ascending=[False, False])
        .head(10)
        .to_dict("records"),
        "negative_sellers": overall[overall["grain"] == "seller"]
        .sort_values(["kind", "negative_share"], ascending=[True, False])
        .to_dict("records"),
        "night": night.isoformat(),
        "version": __version__,
        "headline": headline,
        "rating_charts": charts,
        "weekly_chart": _weekly_trend(csat),
        "seller_chart": _seller_trend(marts["mart_seller_weekly"]),
        "worst_products": products.sort_values(["csat", "n"], ascending=[True, False])
        .head(10)
        .to_dict("records"),
        "best_products": products.sort_values(["csat", "n"], ascending=[False, False])
        .head(10)
        .to_dict("records"),
        "sellers": csat[csat["grain"] == "seller"].sort_values(["kind", "csat"]).to_dict("records"),
        "channels": csat[csat["grain"] == "channel"].sort_values(["kind", "key"]).to_dict("records"),
        "seller_weeks": marts["mart_seller_weekly"].sort_values(["seller_id", "week"]).to_dict("records"),
        "ingest": marts["mart_ingest_quality"].to_dict("records"),
        "quarantine": marts["mart_quarantine_reasons"].to_dict("records"),
        **_trust_context(con, marts, night),
        **cx_context(marts["mart_cx_metrics"], night),
        **themes_context(con, marts, night),
        **_keyword_context(con, night),
        "keyword_files": len(keyword_files),
        "mart_files": sorted(marts),
        "min_n": MIN_REVIEWS_FOR_RANKING,
    }
    env = Environment(
        loader=PackageLoader("pipeline.reports", "templates"),
        autoescape=select_autoescape(("html", "html.j2")),
    )
    env.filters["day"] = _day
    env.filters["stars"] = _stars
    (out / "index.html").write_text(env.get_template("report.html.j2").render(**context), encoding="utf-8")
    summary = {
        "night": night.isoformat(),
        **{k: (float(v) if isinstance(v, float) else v) for k, v in headline.items()},
        "cx_week": context["cx"],  # overall NPS / CES / CSAT of the night's week to date and the week before
        "rising_themes": [{k: v for k, v in r.items() if k != "quotes"} for r in context["rising_themes"]],
    }
    (out / "summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True, default=str), encoding="utf-8"
    )
    return out
