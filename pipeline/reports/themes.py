"""The complaint-theme part of the report: rising themes with quotes, weekly trends, the journey stages,
CSAT impact and emerging themes. Reads only the marts and the warehouse; every quote is redacted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from pipeline.reports.charts import bar_chart, line_chart
from pipeline.reports.redact import redact

TOP_RISING = 8
QUOTES_PER_THEME = 2
QUOTE_CHARS = 180
TREND_THEMES = 5


def _quotes(con: duckdb.DuckDBPyConnection, night: date, dimension: str, value: str, theme: str) -> list[str]:
    """The most confident complaint sentences of one theme in one slice, from the night's week; a sentence
    many customers wrote alike is quoted once."""
    column = {"overall": None, "seller": "seller_id", "category": "category", "channel": "channel",
              "product": "product_id"}[dimension]  # fmt: skip
    where = f"and d.{column} = $value" if column else ""
    week_start = night - timedelta(days=night.weekday())
    rows = con.execute(
        f"""
        select m.sentence, m.language
        from theme_mentions as m
        join record_dimensions as d using (kind, source, record_id, content_hash)
        left join fake_latest as k using (kind, source, record_id)
        where m.theme = $theme and d.day between $start and $night and d.first_seen <= $night
            and not coalesce(k.suspicious, false) {where}
        qualify row_number() over (
            partition by lower(trim(m.sentence)) order by m.score desc, m.record_id, m.sentence_index
        ) = 1
        order by m.score desc, m.record_id, m.sentence_index
        limit {QUOTES_PER_THEME * 4}
        """,
        {"theme": theme, "start": week_start, "night": night, **({"value": value} if column else {})},
    ).fetchall()
    return _distinct_quotes(rows)


def _distinct_quotes(rows: Iterable[tuple[str, str | None]], n: int = QUOTES_PER_THEME) -> list[str]:
    """Up to ``n`` redacted, cut quotes of ``(text, language)`` rows, each once: redaction can make two
    sentences read alike (an order number, a name)."""
    return list(dict.fromkeys(redact(text, language)[:QUOTE_CHARS] for text, language in rows))[:n]


def _rising(con: duckdb.DuckDBPyConnection, trends: pd.DataFrame, night: date) -> list[dict[str, Any]]:
    """The top rising themes across every slice (overall, seller, category, channel), with quotes."""
    rising = trends[trends["rising"] & (trends["dimension"] != "product")]
    rising = rising.sort_values(["excess", "z"], ascending=False).head(TOP_RISING)
    out: list[dict[str, Any]] = []
    for row in rising.itertuples(index=False):
        out.append({
            "dimension": row.dimension, "value": row.dimension_value, "theme": row.theme, "stage": row.stage,
            "mentions": row.mentions_now, "records": row.records_now, "share": row.share_now,
            "share_before": row.share_before, "excess": row.excess, "z": row.z,
            "quotes": _quotes(con, night, str(row.dimension), str(row.dimension_value), str(row.theme)),
        })  # fmt: skip
    return out


def _trend_chart(counts: pd.DataFrame) -> str:
    """Weekly share of records raising each of the most frequent themes overall."""
    overall = counts[counts["dimension"] == "overall"]
    if overall.empty:
        return line_chart([], {})
    top = overall.groupby("theme")["records_with_theme"].sum().nlargest(TREND_THEMES).index.tolist()
    weeks = sorted(overall["week"].unique())
    series = {}
    for theme in top:
        by_week = overall[overall["theme"] == theme].set_index("week")["share"]
        series[theme] = [float(by_week[w]) if w in by_week.index else None for w in weeks]
    peak = max((v for values in series.values() for v in values if v is not None), default=0.1)
    return line_chart(
        [pd.Timestamp(w).strftime("%d %b") for w in weeks], series, y_max=max(peak * 1.15, 0.05)
    )


def themes_context(
    con: duckdb.DuckDBPyConnection, marts: dict[str, pd.DataFrame], night: date
) -> dict[str, Any]:
    """Everything the report's theme sections need (``fake_latest`` must be loaded on ``con``)."""
    counts, trends = marts["mart_theme_counts"], marts["mart_theme_trends"]
    journey, impact = marts["mart_journey_stage"], marts["mart_theme_impact"]
    week = pd.Timestamp(night - timedelta(days=night.weekday()))
    stages = journey[(journey["dimension"] == "overall") & (pd.to_datetime(journey["week"]) == week)]
    journey_weeks = journey[journey["dimension"] == "overall"].copy()
    stage_series = {
        stage: journey_weeks[journey_weeks["stage"] == stage]
        .sort_values("week")["share"]
        .astype(float)
        .tolist()
        for stage in stages["stage"]
    }
    stage_weeks = sorted(journey_weeks["week"].unique())
    overall_impact = impact[(impact["dimension"] == "overall") & (impact["records_with_theme"] > 0)]
    return {
        "rising_themes": _rising(con, trends, night),
        "theme_trend_chart": _trend_chart(counts),
        "journey_chart": bar_chart(stages["stage"].tolist(), stages["share"].astype(float).tolist()),
        "journey_trend_chart": line_chart(
            [pd.Timestamp(w).strftime("%d %b") for w in stage_weeks],
            stage_series,
            y_max=max([v for s in stage_series.values() for v in s] + [0.05]) * 1.15,
        ),  # fmt: skip
        "journey_stages": stages.to_dict("records"),
        "theme_impact": overall_impact.sort_values("impact_pp", ascending=False).head(8).to_dict("records"),
        "emerging": _emerging(con, night),
    }


def _emerging(con: duckdb.DuckDBPyConnection, night: date) -> list[dict[str, Any]]:
    """The night's emerging themes (new and rising first), with redacted example sentences."""
    frame = con.execute(
        "select * from emerging_clusters where night = $night order by "
        "case status when 'new' then 0 when 'rising' then 1 else 2 end, size desc limit 10",
        {"night": night},
    ).df()
    out: list[dict[str, Any]] = []
    for record in frame.to_dict("records"):
        row = {str(k): v for k, v in record.items()}
        stored = row.get("examples")
        examples = _distinct_quotes((str(e), None) for e in (stored if stored is not None else []))
        out.append({**row, "examples": examples})
    return out
