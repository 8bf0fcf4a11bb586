"""Task-failure alerts: every failure is logged, and posted as JSON to an optional webhook.

The webhook is an Airflow Connection (id ``reviewpulse_alerts``, see ``pipeline/orchestration.py``), so its
URL and any token live in Airflow's secrets, never in code: for example
``AIRFLOW_CONN_REVIEWPULSE_ALERTS='https://hooks.example.com/services/T000/B000/XXXX'``, or a connection
whose extra holds ``{"url": "..."}``. Without the connection, failures are only logged.

The callback never raises: an alert that cannot be sent must not hide the failure that caused it.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any
from urllib.parse import urlencode

from pipeline.orchestration import ALERT_CONNECTION_ID

log = logging.getLogger(__name__)

TIMEOUT_S = 10


def failure_message(context: dict[str, Any]) -> dict[str, Any]:
    """What an operator needs from a failed task instance: where, which try, why, and the log link."""
    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    logical_date = context.get("logical_date")
    return {
        "event": "task_failed",
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", -1),
        "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
        "logical_date": logical_date.isoformat() if logical_date is not None else None,
        "try_number": getattr(ti, "try_number", None),
        "error": f"{type(exception).__name__}: {exception}" if exception is not None else None,
        "log_url": getattr(ti, "log_url", None),
    }


def webhook_url(conn_id: str = ALERT_CONNECTION_ID) -> str | None:
    """The webhook URL of the Airflow Connection, or None when no such connection is defined."""
    from airflow.sdk import Connection

    try:
        conn = Connection.get(conn_id)
    except Exception:  # AirflowNotFoundException, or no Airflow context: no webhook configured
        return None
    extra = conn.extra_dejson or {}
    if extra.get("url"):
        return str(extra["url"])
    if not conn.host:
        return None
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else extra.get("scheme", "https")
    port = f":{conn.port}" if conn.port else ""
    path = f"/{conn.schema.lstrip('/')}" if conn.schema else ""
    # Airflow parses a URI's query string into the extra: put it back (webhook tokens often live there)
    query = {k: v for k, v in extra.items() if k not in ("url", "scheme")}
    return f"{scheme}://{conn.host}{port}{path}" + (f"?{urlencode(query)}" if query else "")


def post_json(url: str, payload: dict[str, Any]) -> int:
    """POST ``payload`` as JSON; returns the HTTP status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "reviewpulse-alerts"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (operator-set URL)
        return int(response.status)


def on_task_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback`` of every ReviewPulse task: log the failure, post it to the webhook if set."""
    message = failure_message(context)
    log.error("ReviewPulse task failed: %s", json.dumps(message, default=str))
    url = webhook_url()
    if url is None:
        return
    try:
        status = post_json(url, message)
        log.info("failure alert posted to the %s webhook (HTTP %s)", ALERT_CONNECTION_ID, status)
    except Exception as exc:  # never mask the task's own failure
        log.warning("could not post the failure alert to the %s webhook: %s", ALERT_CONNECTION_ID, exc)
