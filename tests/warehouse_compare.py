"""Compare two warehouses table by table, for tests that run the same nights two ways (Celery and local
executors, backfill and scheduled runs, staged and in-process ingest).

What may differ between two honest runs is left out: wall-clock columns (``*_at``, ``duration_s``), and
the landing folder in file paths (each run has its own ``REVIEWPULSE_HOME``). Floats are compared to
``atol``: two processes may encode a text in batches of different shapes, which moves the last bits of
an embedding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

VOLATILE = ("started_at", "finished_at", "duration_s", "created_at", "updated_at")


def snapshot(
    path: Path, home: Path | None = None, tables: tuple[str, ...] | None = None
) -> dict[str, pd.DataFrame]:
    """Every table of the warehouse at ``path`` as a sorted frame, without wall-clock columns.

    ``home``: the run's ``REVIEWPULSE_HOME``; it is cut out of every string so paths compare equal.
    """
    with duckdb.connect(str(path), read_only=True) as con:
        names = tables or tuple(
            r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()
        )
        out: dict[str, pd.DataFrame] = {}
        for name in names:
            frame = con.execute(f'select * from "{name}"').df()
            frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE])
            if home is not None:
                prefix = str(home)
                for column in frame.columns:
                    if pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object:
                        frame[column] = frame[column].map(
                            lambda v, p=prefix: v.replace(p, "$HOME") if isinstance(v, str) else v
                        )
            keys = [
                c for c in frame.columns if frame[c].dtype.kind not in "fc" and not _holds_arrays(frame[c])
            ]
            out[name] = frame.sort_values(keys or list(frame.columns), kind="stable").reset_index(drop=True)
    return out


def _holds_arrays(values: pd.Series) -> bool:
    """Whether a column holds lists or arrays (centroids): compared with a tolerance, never sorted on."""
    present = values.dropna()
    return bool(len(present)) and isinstance(present.iloc[0], list | tuple | np.ndarray)


def _same_array(u: Any, v: Any, atol: float) -> bool:
    """Two list cells: numbers within ``atol``, anything else (phrases) exactly."""
    if u is None or v is None:
        return u is None and v is None
    a, b = np.asarray(u), np.asarray(v)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fciub" and b.dtype.kind in "fciub":
        return bool(np.allclose(a.astype(float), b.astype(float), atol=atol))
    return bool((a == b).all())


def differences(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], atol: float = 1e-5) -> list[str]:
    """What differs between two snapshots, one line per table (empty when they are the same)."""
    problems: list[str] = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            problems.append(f"{name}: only in {'the first' if name in a else 'the second'}")
            continue
        left, right = a[name], b[name]
        if list(left.columns) != list(right.columns) or len(left) != len(right):
            problems.append(
                f"{name}: {len(left)} rows {list(left.columns)} vs {len(right)} rows {list(right.columns)}"
            )
            continue
        for column in left.columns:
            x, y = left[column], right[column]
            if x.dtype.kind in "fc" and y.dtype.kind in "fc":
                same = np.isclose(x.to_numpy(float), y.to_numpy(float), atol=atol, equal_nan=True)
            elif _holds_arrays(x) or _holds_arrays(y):
                same = np.array([_same_array(u, v, atol) for u, v in zip(x, y, strict=True)])
            else:
                both_missing = (x.isna() & y.isna()).to_numpy()
                same = both_missing | (x.astype(object) == y.astype(object)).to_numpy(dtype=bool)
            if not same.all():
                i = int(np.flatnonzero(~same)[0])
                problems.append(
                    f"{name}.{column}: {int((~same).sum())} rows differ, first {x.iloc[i]!r} vs {y.iloc[i]!r}"
                )
    return problems
