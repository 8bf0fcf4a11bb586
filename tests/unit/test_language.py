"""Language detection and normalisation of source language codes."""

from __future__ import annotations

import pytest

from pipeline.sources.language import detect_language, normalise_language


@pytest.mark.parametrize(
    "text,lang",
    [
        ("The delivery was late and the box was damaged.", "en"),
        ("El paquete llegó tarde y la caja estaba rota.", "es"),
        ("A entrega atrasou e a caixa chegou amassada.", "pt"),
        ("La livraison était en retard et le colis abîmé.", "other"),
        ("", "other"),
        ("   ", "other"),
    ],
)
def test_detects_served_languages_and_other(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(  # fmt: skip
    "code,lang",
    [
        ("pt-BR", "pt"),
        ("es_MX", "es"),
        ("EN", "en"),
        ("fr", "other"),
        (None, "other"),
        ("", "other"),
        ("English", "en"),
        ("Español", "es"),
        ("portuguese", "pt"),
        ("Português", "pt"),
        ("spa", "es"),
        ("French", "other"),
    ],
)
def test_normalises_source_codes(code: str | None, lang: str) -> None:
    assert normalise_language(code) == lang
