"""The theme taxonomy file, sentence splitting and the per-row theme column (no encoder needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.scoring.score import row_themes
from pipeline.settings import DEFAULT_THEMES_DIR
from pipeline.themes.apply import split_records, unit_text
from pipeline.themes.sentences import split_sentences
from pipeline.themes.taxonomy import Taxonomy, fold

TAXONOMY = DEFAULT_THEMES_DIR / "taxonomy.yaml"
ISSUE_THEMES = {
    "pre_purchase": {"product_info", "price_value", "website_usability"},
    "purchase": {"checkout_payment", "shipping_cost"},
    "post_purchase": {"delivery", "packaging", "product_quality", "size_fit", "wrong_item", "returns_refunds",
                      "customer_service", "after_sales"},
}  # fmt: skip


def test_shipped_taxonomy_has_the_thirteen_themes_with_their_stages_and_three_languages() -> None:
    taxonomy = Taxonomy.load(TAXONOMY)
    by_stage: dict[str, set[str]] = {}
    for theme in taxonomy.themes:
        by_stage.setdefault(theme.stage, set()).add(theme.id)
        for lang in ("en", "es", "pt"):
            assert theme.description[lang] and theme.examples[lang] and theme.mentions[lang], (theme.id, lang)
            assert theme.cues[lang], (theme.id, lang)
    assert by_stage == ISSUE_THEMES


def _cue_texts(taxonomy: Taxonomy) -> list[str]:
    """Every example complaint and mere mention in the taxonomy, folded: texts that hit and miss cues."""
    texts = []
    for theme in taxonomy.themes:
        for group in (theme.examples, theme.mentions):
            texts += [fold(text) for lang_texts in group.values() for text in lang_texts]
    return texts


def test_joined_cue_patterns_match_exactly_where_one_of_their_patterns_does() -> None:
    """Cue patterns are joined into one alternation per theme and language, for speed: on every text of
    the taxonomy, and for every language, it must fire exactly where some pattern alone fires."""
    import re

    from pipeline.themes.taxonomy import strip_accents

    taxonomy = Taxonomy.load(TAXONOMY)
    raw = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    texts = _cue_texts(taxonomy)
    fired = 0
    for theme, raw_theme in zip(taxonomy.themes, raw["themes"], strict=True):
        for lang, patterns in raw_theme["cues"].items():
            assert len(theme.cues[lang]) == 1  # joined
            alone = [re.compile(strip_accents(p)) for p in patterns]
            for text in texts:
                expected = any(p.search(text) for p in alone)
                assert theme.cue_match(text, lang) == expected, (theme.id, lang, text)
                fired += expected
    assert fired > 100  # the texts exercise the cues both ways


def test_cue_patterns_that_cannot_be_joined_are_kept_apart() -> None:
    import re

    from pipeline.themes.taxonomy import _joined

    plain = [re.compile(r"\bfoo"), re.compile("bar")]
    grouped = [re.compile(r"(ab)\1"), re.compile("x")]  # a back-reference would point at another group
    flagged = [re.compile("(?i)late"), re.compile("y")]  # a global flag must come first
    assert [len(_joined(p)) for p in (plain, grouped, flagged)] == [1, 2, 2]
    assert _joined(grouped)[0].search("abab") and not _joined(grouped)[0].search("abx")


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["themes"].append(dict(d["themes"][0])), "duplicate theme ids ['product_info']"),
        (lambda d: d["themes"][1].update(stage="checkout"), "theme 'price_value': stage 'checkout'"),
        (
            lambda d: d["themes"][2]["description"].pop("pt"),
            "theme 'website_usability': `description` needs pt",
        ),
        (lambda d: d["themes"][3]["cues"]["es"].append("(unclosed"), "theme 'checkout_payment' cues (es)"),
        (lambda d: d["themes"][4].update(id="Shipping Cost"), "must be lowercase snake_case"),
        (lambda d: d["themes"][5].update(mentions={"en": "not a list"}), "`mentions` must map"),
        (lambda d: d.update(themes=[]), "non-empty `themes` list"),
    ],
)
def test_taxonomy_mistakes_are_named(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        Taxonomy.load(_write(tmp_path, mutate))
    assert message in str(caught.value)


def test_a_user_added_theme_loads_and_any_edit_changes_the_version(tmp_path: Path) -> None:
    new_theme = {
        "id": "gift_wrapping", "stage": "post_purchase",
        "description": {"en": "Gift wrap problems.", "es": "Envoltorio roto.", "pt": "Embrulho rasgado."},
        "examples": {"en": ["The gift wrap was torn."], "es": ["El papel de regalo llegó roto."],
                     "pt": ["O papel de presente veio rasgado."]},
        "cues": {"en": [r"\bgift ?wrap"], "es": [r"\bpapel de regalo\b"], "pt": [r"\bpapel de presente\b"]},
    }  # fmt: skip
    path = _write(tmp_path, lambda d: d["themes"].append(new_theme))
    taxonomy = Taxonomy.load(path)
    assert taxonomy.ids[-1] == "gift_wrapping" and taxonomy.stage_of("gift_wrapping") == "post_purchase"
    assert taxonomy.version != Taxonomy.load(TAXONOMY).version
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert Taxonomy.load(path).version != taxonomy.version


def test_cues_match_without_accents_or_case_in_the_sentence_language() -> None:
    taxonomy = Taxonomy.load(TAXONOMY)
    delivery = next(t for t in taxonomy.themes if t.id == "delivery")
    assert delivery.cue_match(fold("O PEDIDO NÃO CHEGOU"), "pt")
    assert delivery.cue_match(fold("Llegó tardísimo"), "es")
    assert not delivery.cue_match(fold("Muy buena calidad"), "es")
    assert taxonomy.has_problem_cue(fold("Não funciona"), "pt")
    assert not taxonomy.has_problem_cue(fold("Perfeito, adorei"), "pt")
    assert delivery.cue_match(fold("llegó"), None)  # unknown language: every language's cues


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Mr. Smith was rude. The box was crushed!", "en", ["Mr. Smith was rude.", "The box was crushed!"]),
        ("La Sra. García no respondió. Llegó tarde.", "es", ["La Sra. García no respondió.", "Llegó tarde."]),
        ("Veio p.ex. sem manual. Chegou rápido", "pt", ["Veio p.ex. sem manual.", "Chegou rápido"]),
        ("It is 2.5 m long. Costs $4.50 only.", "en", ["It is 2.5 m long.", "Costs $4.50 only."]),
        ("¿Por qué tardó tanto? ¡Nunca más!", "es", ["¿Por qué tardó tanto?", "¡Nunca más!"]),
        ("Great headphones, but delivery took three weeks.", "en",
         ["Great headphones", "but delivery took three weeks."]),
        ("El producto es bueno pero la caja llegó rota", "es",
         ["El producto es bueno", "pero la caja llegó rota"]),
        ("chegou antes do prazo mas veio com defeito\nNão recomendo", "pt",
         ["chegou antes do prazo", "mas veio com defeito", "Não recomendo"]),
        ("Good but small.", "en", ["Good but small."]),  # too short to cut
        ("<p>Says <b>waterproof</b>, leaked on day one.</p><br/>Not happy.<BR />Awful", "en",
         ["Says <b>waterproof</b>, leaked on day one.", "Not happy.", "Awful"]),  # exports' HTML breaks
        ("!!! ... ", "en", []),
        ("Cheap piece of trash!! Avoid?!", "en", ["Cheap piece of trash!!", "Avoid?!"]),  # the text's end too
    ],
)  # fmt: skip
def test_split_sentences(text: str, language: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text, language)] == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab .!?,\nMr¿¡ butpero", "<br/>", "</p>", "<p>", "<"]), max_size=60).map(
        "".join
    ),
    st.sampled_from(["en", "es", "pt"]),
)
def test_sentences_are_ordered_slices_of_the_text(text: str, language: str) -> None:
    sentences = split_sentences(text, language)
    previous_end = 0
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.start >= previous_end and sentence.text.strip() == sentence.text
        previous_end = sentence.end
    assert all(any(c.isalnum() for c in s.text) for s in sentences)


def test_records_split_with_title_first_and_keys_kept() -> None:
    records = pd.DataFrame({
        "kind": ["reviews", "seller_feedback"], "source": ["a", "b"], "record_id": ["1", "2"],
        "content_hash": ["h1", "h2"], "title": ["Late", None],
        "text": ["It came late. Bad box!", "Chegou tarde mas funciona bem"], "language": ["en", None],
    })  # fmt: skip
    out = split_records(records)
    assert out["sentence"].tolist() == [
        "Late.",
        "It came late.",
        "Bad box!",
        "Chegou tarde",
        "mas funciona bem",
    ]
    assert out["record_id"].tolist() == ["1", "1", "1", "2", "2"]
    assert out["sentence_index"].tolist() == [0, 1, 2, 0, 1]
    assert out["language"].tolist() == ["en", "en", "en", "pt", "pt"]
    assert unit_text("Great!", "Works.") == "Great! Works."


def test_row_themes_joins_each_rows_sentence_themes_in_taxonomy_order() -> None:
    sentences = pd.DataFrame({"row": [0, 0, 2], "themes": [["packaging"], ["delivery", "packaging"], []]})
    assert row_themes(sentences, 3, ("delivery", "packaging")) == ["delivery;packaging", "", ""]
