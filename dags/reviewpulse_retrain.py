"""
### ReviewPulse weekly retrain

Retrains the models, weighs each new candidate against the model in use, and promotes it **only when it is
not worse**. Versions, their metrics and every decision live in the model registry,
`$REVIEWPULSE_HOME/registry/<model>/` (`pipeline/registry.py`); see it with `reviewpulse models list`.

Per model in the run's `models` param (default `["themes", "sentiment-stars"]`), as one mapped group, so a
model whose training fails does not hold the others back:

1. `retrain_model.train`: trains into a new registry version `<YYYYMMDD>-<hash>` with status `candidate`;
   never touches `models/` or the version in use.
2. `retrain_model.evaluate`: scores the candidate **and** the current model (the promoted version, or the
   shipped one in `models/`) in the same task on the same held-out data, and stores both metric sets.
3. `retrain_model.promote`: the rule (`pipeline.registry.decide`): the candidate is promoted only if every
   gate metric is >= the current model's (higher is better; equal counts as not worse); else it is
   `refused`, with a reason naming each metric that got worse. The replaced version is `retired`.

Gate metrics, per language (en, es, pt):

* `themes`: micro-F1 and macro-F1 on the labelled theme dev set's `test` split (the combiner is fitted on
  its `tune` split);
* `sentiment-stars`: sentiment macro-F1 and star exact accuracy on the training mixture's `test` split.

A promoted version is used from the next task that reads its settings: the nightly scores and themes then
record the new model version (`review_scores.model_version`, `review_sentences.model_version`), so the
nightly re-scores history with it. `REVIEWPULSE_HEADS` / `REVIEWPULSE_THEMES_COMBINER`, where set, override
the registry. Encoder-heavy tasks run in the `reviewpulse_models` pool.

Runs weekly on Sunday at 12:00 UTC, away from the nightly's midnight run: every nightly task reads the
current version afresh, so a promotion landing mid-night would mix two versions in one night (a night
still running at noon on Sunday can). Training is seeded, so **rerunning** a week registers the same
version again and decides again (a version already current stays current):

* in the UI, *Clear* the run, or trigger the DAG with `{"models": ["themes"]}` to retrain one model;
* or `airflow dags test reviewpulse_retrain 2026-11-15 -c '{"models": ["themes"]}'`;
* without Airflow: `reviewpulse models retrain themes`;
* undo a promotion: `reviewpulse models rollback themes`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task, task_group

from pipeline.orchestration import MODELS_POOL, default_args

MODELS = ["themes", "sentiment-stars"]


@dag(
    dag_id="reviewpulse_retrain",
    # Weekly, Airflow 2 semantics like the nightly: the run starting Sunday 2026-11-22 12:00 UTC covers the
    # week from 2026-11-15 12:00 and has logical date (ds) 2026-11-15, which names its versions. Noon, not
    # midnight: a promotion must not land while the nightly (00:00 UTC) is scoring a night.
    schedule=CronDataIntervalTimetable("0 12 * * 0", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["reviewpulse", "models"],
    default_args=default_args(retries=1, retry_delay=timedelta(minutes=10)),
    params={
        "models": Param(
            MODELS,
            type="array",
            items={"type": "string", "enum": MODELS},
            minItems=1,
            description="The models to retrain.",
        )
    },
    doc_md=__doc__,
)
def reviewpulse_retrain() -> None:
    @task
    def list_models(params: dict[str, Any] | None = None) -> list[str]:
        """The models to retrain this run, from the ``models`` param (checked against what retrain knows)."""
        from pipeline.retrain import check_model

        return [check_model(str(m)) for m in (params or {}).get("models", MODELS)]

    @task(pool=MODELS_POOL)
    def train(model: str, ds: str | None = None) -> dict[str, Any]:
        """Train a candidate into the registry; returns its version and folder (no weights in XCom)."""
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline.retrain import train_candidate
        from pipeline.settings import Settings
        from pipeline.themes.devset import DevsetUnavailable

        try:
            return train_candidate(Settings.from_env(), model, key=ds)
        except DevsetUnavailable as exc:  # the shared data is absent: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(pool=MODELS_POOL)
    def evaluate(trained: dict[str, Any]) -> dict[str, Any]:
        """Candidate and current model on the same held-out data; both gate metric sets."""
        from pipeline.retrain import evaluate_candidate
        from pipeline.settings import Settings

        return evaluate_candidate(Settings.from_env(), trained["model"], trained["version"])

    @task
    def promote(evaluation: dict[str, Any]) -> dict[str, Any]:
        """Promote the candidate if no gate metric is worse, else refuse it; returns the decision."""
        from pipeline.retrain import promote_if_not_worse
        from pipeline.settings import Settings

        return promote_if_not_worse(
            Settings.from_env(), evaluation["model"], evaluation["version"], evaluation
        )

    @task_group
    def retrain_model(model: str) -> None:
        promote(evaluate(train(model)))

    retrain_model.expand(model=list_models())


reviewpulse_retrain()
