"""Olist order reviews as seller feedback: seller and buyer come from the tables beside the reviews."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ITEMS, ORDERS, CUSTOMERS = "*order_items*.csv", "*orders_dataset*.csv", "*customers*.csv"
SIDE_FILES = (ITEMS, ORDERS, CUSTOMERS)
"""The side tables ``attach_seller`` reads from the reviews' landing folder (the source's ``side_files``)."""


def _side_table(folder: Path, pattern: str, columns: list[str]) -> pd.DataFrame | None:
    files = sorted(folder.glob(pattern))
    if not files:
        return None
    return pd.read_csv(files[0], usecols=columns, dtype=str)


def attach_seller(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Add ``seller_id`` and ``customer_unique_id`` from Olist's side tables in the same folder.

    An Olist review rates the order, and an order can hold items from several sellers; we credit the
    seller of the first item. The customer comes from orders -> customers. Where a side table is absent
    or the order is not in it (the public sample was cut table by table), the value stays unknown.
    """
    rows = rows.copy()
    orders = (
        rows["order_id"] if "order_id" in rows.columns else pd.Series(None, index=rows.index, dtype=object)
    )
    items = _side_table(path.parent, ITEMS, ["order_id", "order_item_id", "seller_id"])
    sellers: dict[str, str] = {}
    if items is not None:
        items["order_item_id"] = pd.to_numeric(items["order_item_id"], errors="coerce")
        first = items.sort_values(["order_id", "order_item_id"]).drop_duplicates("order_id")
        sellers = dict(zip(first["order_id"], first["seller_id"], strict=True))
    rows["seller_id"] = orders.map(lambda o: sellers.get(o) if isinstance(o, str) else None)
    order_table = _side_table(path.parent, ORDERS, ["order_id", "customer_id"])
    customers = _side_table(path.parent, CUSTOMERS, ["customer_id", "customer_unique_id"])
    buyers: dict[str, str] = {}
    if order_table is not None and customers is not None:
        joined = order_table.merge(customers, on="customer_id", how="inner")
        buyers = dict(zip(joined["order_id"], joined["customer_unique_id"], strict=True))
    rows["customer_unique_id"] = orders.map(lambda o: buyers.get(o) if isinstance(o, str) else None)
    return rows
