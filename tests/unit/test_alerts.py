"""Failure alerts: the webhook URL comes from an Airflow Connection, the POST is real, and a webhook
that is down never turns into a second failure."""

from __future__ import annotations

import logging
import types
from datetime import UTC, datetime

import pytest

from pipeline.alerts import on_task_failure, webhook_url
from tests.webhook import WebhookReceiver

CONN = "AIRFLOW_CONN_REVIEWPULSE_ALERTS"


def _context() -> dict:
    ti = types.SimpleNamespace(
        dag_id="reviewpulse_nightly", task_id="load", map_index=-1, run_id="scheduled__2026-11-20",
        try_number=1, log_url="http://localhost:8080/log",
    )  # fmt: skip
    return {"ti": ti, "exception": ValueError("broken.csv: missing column review_id"),
            "logical_date": datetime(2026, 11, 20, tzinfo=UTC)}  # fmt: skip


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        ("http://127.0.0.1:9999/hooks/abc", "http://127.0.0.1:9999/hooks/abc"),
        ("https://hooks.slack.com/services/T0/B0/XX", "https://hooks.slack.com/services/T0/B0/XX"),
        ("https://hooks.example.com/notify?token=abc123", "https://hooks.example.com/notify?token=abc123"),
        (
            '{"conn_type": "http", "extra": {"url": "https://x.example/y?token=1"}}',
            "https://x.example/y?token=1",
        ),
    ],
)
def test_the_webhook_url_comes_from_the_connection(
    monkeypatch: pytest.MonkeyPatch, uri: str, url: str
) -> None:
    monkeypatch.setenv(CONN, uri)
    assert webhook_url() == url


def test_without_the_connection_there_is_no_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONN, raising=False)
    assert webhook_url() is None


def test_a_failure_is_logged_and_posted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with WebhookReceiver() as hook:
        monkeypatch.setenv(CONN, hook.url)
        with caplog.at_level(logging.INFO, logger="pipeline.alerts"):
            on_task_failure(_context())
    assert len(hook.received) == 1
    alert = hook.received[0]
    assert (alert["dag_id"], alert["task_id"], alert["logical_date"]) == (
        "reviewpulse_nightly", "load", "2026-11-20T00:00:00+00:00",
    )  # fmt: skip
    assert alert["error"] == "ValueError: broken.csv: missing column review_id"
    assert "ReviewPulse task failed" in caplog.text and "broken.csv" in caplog.text


@pytest.mark.parametrize("status", [500, None])
def test_a_webhook_that_fails_only_logs_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, status: int | None
) -> None:
    if status is None:  # nothing listens there
        monkeypatch.setenv(CONN, "http://127.0.0.1:9/alerts")
        on_task_failure(_context())
    else:
        with WebhookReceiver(status=status) as hook:
            monkeypatch.setenv(CONN, hook.url)
            on_task_failure(_context())
        assert len(hook.received) == 1
    assert "could not post the failure alert" in caplog.text
