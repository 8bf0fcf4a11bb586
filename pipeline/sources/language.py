"""A small, dependency-free language guess for English, Spanish and Portuguese review text.

Used only where a source does not say which language a review is in. It counts frequent function
words and a few spelling marks; it returns ``und`` when the text gives too little to go on.
"""

from __future__ import annotations

import re

_WORDS = {
    "en": set(
        [
            "the",
            "and",
            "is",
            "it",
            "to",
            "of",
            "was",
            "this",
            "for",
            "with",
            "not",
            "very",
            "but",
            "my",
            "they",
            "have",
            "you",
            "are",
            "great",
            "good",
            "would",
            "will",
            "just",
            "that",
            "love",
            "bought",
            "product",
            "arrived",
        ]
    ),
    "es": set(
        [
            "el",
            "la",
            "los",
            "las",
            "es",
            "muy",
            "pero",
            "con",
            "del",
            "una",
            "por",
            "para",
            "producto",
            "llegó",
            "llego",
            "bueno",
            "buena",
            "lo",
            "se",
            "le",
            "me",
            "mi",
            "fue",
            "está",
            "esta",
            "también",
            "porque",
            "pedido",
            "envío",
            "calidad",
            "nada",
            "todo",
        ]
    ),
    "pt": set(
        [
            "o",
            "os",
            "as",
            "é",
            "muito",
            "mas",
            "com",
            "do",
            "da",
            "dos",
            "das",
            "uma",
            "não",
            "nao",
            "foi",
            "está",
            "para",
            "produto",
            "chegou",
            "bom",
            "boa",
            "recomendo",
            "entrega",
            "prazo",
            "ótimo",
            "otimo",
            "também",
            "porque",
            "pedido",
            "qualidade",
            "nada",
            "tudo",
        ]
    ),
}
_MARKS = {"es": re.compile("[ñ¿¡]|ción\\b|ué"), "pt": re.compile("[ãõç]|ção\\b|ções\\b|lh|nh")}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str | None) -> str:
    """Return ``en``, ``es``, ``pt`` or ``und``."""
    if not text:
        return "und"
    lowered = text.lower()
    tokens = _TOKEN.findall(lowered)
    scores = {lang: sum(t in words for t in tokens) for lang, words in _WORDS.items()}
    for lang, mark in _MARKS.items():
        scores[lang] += 2 * len(mark.findall(lowered))
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "und"
