"""Marts (``sql/marts``) and the nightly report built from them."""

from pipeline.reports.marts import build_marts, mart_names
from pipeline.reports.render import write_report

__all__ = ["build_marts", "mart_names", "write_report"]
