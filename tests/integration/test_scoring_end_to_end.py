"""``reviewpulse score`` with the real converted encoder and the shipped heads, on a clean home."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipeline import cli
from pipeline.scoring.encoder import Encoder
from pipeline.scoring.score import OUTPUT_COLUMNS

pytestmark = pytest.mark.integration

REVIEWS = [
    ("en1", "Absolutely love it, works perfectly and arrived early. Best purchase this year!", "positive"),
    ("en2", "Terrible. It broke after two days and support never answered. Want my money back.", "negative"),
    ("en3", "Great quality for the price, very happy with it.", "positive"),
    ("en4", "Waste of money, cheap plastic, stopped working in a week.", "negative"),
    ("es1", "Me encanta, funciona de maravilla y llegó antes de lo previsto. ¡Lo recomiendo!", "positive"),
    ("es2", "Pésimo producto, se rompió al segundo día y no me devuelven el dinero.", "negative"),
    ("es3", "Muy buena calidad, estoy muy contenta con la compra.", "positive"),
    ("es4", "Horrible, no funciona y el vendedor no responde. No lo compren.", "negative"),
    ("pt1", "Adorei! Chegou rápido, muito bem embalado e funciona perfeitamente. Recomendo!", "positive"),
    ("pt2", "Péssimo, veio quebrado e até agora não devolveram meu dinheiro.", "negative"),
    ("pt3", "Produto excelente, qualidade ótima, superou minhas expectativas.", "positive"),
    ("pt4", "Não funciona, material de péssima qualidade. Não comprem.", "negative"),
]


@pytest.fixture
def env(tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVIEWPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REVIEWPULSE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("REVIEWPULSE_PROGRESS", "0")
    monkeypatch.setattr(cli, "console", Console(width=250))
    monkeypatch.setattr(cli, "err", Console(width=250, stderr=True))
    source = tmp_path / "reviews.csv"
    pd.DataFrame([{"review_id": i, "text": t} for i, t, _ in REVIEWS]).to_csv(source, index=False)
    return source


def test_score_cli_gives_the_contract_columns_and_sensible_scores(env: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(cli.app, ["score", "--input", str(env), "--output", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out).set_index("review_id")
    assert list(scores.columns[: len(OUTPUT_COLUMNS) - 1]) == list(OUTPUT_COLUMNS[1:])
    assert sorted(scores.index) == sorted(i for i, _, _ in REVIEWS)
    expected = {i: s for i, _, s in REVIEWS}
    right = sum(scores.loc[i, "sentiment"] == s for i, s in expected.items())
    assert right >= 11, scores[["sentiment", "stars_pred"]]
    assert scores["stars_pred"].between(1, 5).all()
    positive = scores.loc[[i for i, s in expected.items() if s == "positive"], "stars_pred"]
    negative = scores.loc[[i for i, s in expected.items() if s == "negative"], "stars_pred"]
    assert positive.min() > negative.max()
    assert scores["language"].to_dict() == {i: i[:2] for i in expected}
    assert scores["model_version"].nunique() == 1


def test_scoring_again_encodes_nothing_new(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(cli.app, ["score", "-i", str(env), "-o", str(tmp_path / "a.parquet")]).exit_code == 0

    def no_encoding(self: object, batch: list[list[int]]) -> None:
        raise AssertionError(f"{len(batch)} texts were encoded again")

    monkeypatch.setattr(Encoder, "embed_ids", no_encoding)
    again = runner.invoke(cli.app, ["score", "-i", str(env), "-o", str(tmp_path / "b.parquet")])
    assert again.exit_code == 0, again.output
    first, second = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    pd.testing.assert_frame_equal(first, second)


def test_score_cli_rejects_input_without_text(env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("review_id,body\n1,hello\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["score", "-i", str(bad), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "required column missing: text" in result.output


def test_a_review_with_nothing_visible_to_read_keeps_its_row_without_scores(
    env: Path, tmp_path: Path
) -> None:
    """Zero-width spaces, a byte-order mark, Hangul fillers or a zero-width title are nothing to read: no
    made-up scores (in either output format); an invisible title is no sentence and shifts no offset."""
    source = tmp_path / "invisible.csv"
    pd.DataFrame(
        {
            "review_id": ["empty", "zero_width", "filler", "zw_title", "real"],
            "title": ["", "", "", "\u200b", "\u200b"],
            "text": ["", "\u200b\u200d \ufeff", "\u3164\u3164", "", REVIEWS[0][1]],
        }
    ).to_csv(source, index=False)
    for name in ("scores.csv", "scores.parquet"):
        out, sentences = tmp_path / name, tmp_path / f"sentences-{name}"
        args = ["score", "--input", str(source), "--output", str(out), "--sentences", str(sentences)]
        result = CliRunner().invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        scores = (pd.read_csv(out) if name.endswith(".csv") else pd.read_parquet(out)).set_index("review_id")
        assert list(scores.index) == ["empty", "zero_width", "filler", "zw_title", "real"]
        unread = scores.loc[scores.index != "real", ["sentiment", "stars_pred", "fake_probability"]]
        assert unread.isna().all().all(), unread
        assert scores.loc["real", "sentiment"] == "positive" and scores.loc["real", "fake_probability"] >= 0
        split = pd.read_csv(sentences) if name.endswith(".csv") else pd.read_parquet(sentences)
        assert set(split["review_id"]) == {"real"}
        first = split.iloc[0]
        assert first["start_char"] == 0 and REVIEWS[0][1].startswith(first["sentence"])


def test_score_cli_adds_themes_and_writes_one_row_per_sentence(env: Path, tmp_path: Path) -> None:
    source = tmp_path / "themed.csv"
    pd.DataFrame({
        "review_id": ["late", "praise"],
        "title": ["Late", ""],
        "text": ["Great headphones, but the package arrived two weeks late.", "Love it, works perfectly."],
    }).to_csv(source, index=False)  # fmt: skip
    out, sentences = tmp_path / "scores.csv", tmp_path / "sentences.parquet"
    args = ["score", "-i", str(source), "-o", str(out), "--sentences", str(sentences)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out, keep_default_na=False).set_index("review_id")
    assert "delivery" in scores.loc["late", "themes"].split(";")
    assert scores.loc["praise", "themes"] == ""
    rows = pd.read_parquet(sentences)
    late = rows[rows["review_id"] == "late"].sort_values("sentence_index")
    assert late["sentence"].tolist() == [
        "Late.",
        "Great headphones",
        "but the package arrived two weeks late.",
    ]
    assert late["sentiment"].iloc[-1] == "negative" and "delivery" in late["themes"].iloc[-1]
    assert (rows[rows["review_id"] == "praise"]["themes"] == "").all()
    bad = CliRunner().invoke(cli.app, ["score", "-i", str(source), "-o", str(out), "--sentences", "s.txt"])
    assert bad.exit_code == 1 and "sentence output must end in .csv or .parquet" in bad.output


def test_a_repeated_review_id_gives_its_sentences_from_its_last_row_only(env: Path, tmp_path: Path) -> None:
    """The main output keeps a repeated id's last row; the sentence file must agree with it (it kept every
    row's sentences), also when the rows are ten apart (a CSV's row numbers read back as text)."""
    rows = [{"review_id": f"r{i}", "text": f"Fine product number {i}."} for i in range(10)]
    rows.insert(1, {"review_id": "a", "text": "The box was crushed and the delivery took three weeks."})
    rows.append({"review_id": "a", "text": "Corrected: works fine, but the refund was slow."})
    source = tmp_path / "repeated.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    out, sentences = tmp_path / "scores.csv", tmp_path / "new" / "folder" / "sentences.csv"
    result = CliRunner().invoke(cli.app, ["score", "-i", str(source), "-o", str(out), "--sentences",
                                          str(sentences)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 input rows repeated an earlier review_id" in result.output
    scores = pd.read_csv(out, keep_default_na=False)
    assert scores["review_id"].tolist() == [f"r{i}" for i in range(10)] + ["a"]  # input order, a at its last
    assert scores.set_index("review_id").loc["a", "themes"] == "returns_refunds"
    said = pd.read_csv(sentences, keep_default_na=False)
    assert "_seq" not in said.columns
    assert said[said["review_id"] == "a"]["sentence"].tolist() == [
        "Corrected: works fine", "but the refund was slow."
    ]  # fmt: skip
    assert list(dict.fromkeys(said["review_id"])) == scores["review_id"].tolist()  # in input order


def test_an_output_path_that_names_the_input_is_refused_and_the_input_kept(env: Path, tmp_path: Path) -> None:
    before = env.read_bytes()
    for args in (["-o", str(env)], ["-o", str(tmp_path / "o.csv"), "--sentences", str(env)],
                 ["-o", str(tmp_path / "o.csv"), "--sentences", str(tmp_path / "o.csv")]):  # fmt: skip
        result = CliRunner().invoke(cli.app, ["score", "-i", str(env), *args])
        assert result.exit_code == 1 and "is the same file as" in result.output, result.output
        assert env.read_bytes() == before
    assert not (tmp_path / "o.csv").exists()
