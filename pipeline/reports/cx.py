"""The report's customer-experience section, from ``mart_cx_metrics``: NPS, CES and CSAT week over week."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from pipeline.reports.charts import line_chart

# metric -> (count column, label); survey CSAT and rating CSAT are both shares of 4-5 on 1-5
_METRICS = {
    "nps": ("nps_n", "NPS"),
    "ces_mean": ("ces_n", "CES"),
    "survey_csat": ("survey_csat_n", "survey CSAT"),
    "csat": ("n", "ratings CSAT"),
}


def _value(row: pd.Series | None, column: str) -> float | None:
    if row is None or pd.isna(row[column]):
        return None
    return float(row[column])


def _count(row: pd.Series | None, column: str) -> int:
    return 0 if row is None else int(row[column])


def _row(frame: pd.DataFrame, week: date) -> pd.Series | None:
    match = frame[frame["week"] == pd.Timestamp(week)]
    return None if match.empty else match.iloc[0]


def cx_headline(cx: pd.DataFrame, night: date) -> dict[str, Any]:
    """Overall NPS, CES, survey and ratings CSAT: the night's week to date, the week before, the change.

    Weeks start on Monday, as in the mart: the night's week holds the days from its Monday to the night.
    """
    week = night - timedelta(days=night.weekday())
    overall = cx[cx["dimension"] == "overall"] if len(cx) else cx
    this, last = _row(overall, week), _row(overall, week - timedelta(days=7))
    metrics = {}
    for column, (count, label) in _METRICS.items():
        now, before = _value(this, column), _value(last, column)
        metrics[column] = {
            "label": label,
            "value": now,
            "n": _count(this, count),
            "previous": before,
            "previous_n": _count(last, count),
            "change": None if now is None or before is None else now - before,
        }
    return {"week": week.isoformat(), "previous_week": (week - timedelta(days=7)).isoformat(), **metrics}


def nps_by_channel_chart(cx: pd.DataFrame) -> str:
    """Weekly NPS (-100 to 100) per channel, from the weeks that have NPS answers."""
    channels = cx[(cx["dimension"] == "channel") & (cx["nps_n"] > 0)] if len(cx) else cx
    if channels.empty:
        return "<p class='empty'>No survey responses yet.</p>"
    table = channels.pivot_table(index="week", columns="dimension_value", values="nps")
    labels = [str(w)[5:10] for w in table.index]
    series = {str(c): [None if pd.isna(v) else float(v) for v in table[c]] for c in table.columns}
    return line_chart(labels, series, y_min=-100.0, y_max=100.0, y_format="{:.0f}")


def channel_weeks(cx: pd.DataFrame, night: date) -> list[dict[str, Any]]:
    """Per channel: survey responses, NPS, CES and survey CSAT this week to date, and NPS last week."""
    week = pd.Timestamp(night - timedelta(days=night.weekday()))
    channels = cx[(cx["dimension"] == "channel") & (cx["survey_n"] > 0)] if len(cx) else cx
    out = []
    for channel, part in channels.groupby("dimension_value", sort=True):
        this = _row(part, week.date())
        last = _row(part, (week - pd.Timedelta(days=7)).date())
        if this is None and last is None:
            continue
        out.append(
            {
                "channel": channel,
                "survey_n": _count(this, "survey_n"),
                "nps": _value(this, "nps"),
                "nps_previous": _value(last, "nps"),
                "ces_mean": _value(this, "ces_mean"),
                "survey_csat": _value(this, "survey_csat"),
            }
        )
    return out


def cx_context(cx: pd.DataFrame, night: date) -> dict[str, Any]:
    """Everything the report's CX section shows."""
    return {
        "cx": cx_headline(cx, night),
        "cx_nps_chart": nps_by_channel_chart(cx),
        "cx_channels": channel_weeks(cx, night),
    }
