"""Split review text into sentences, language-aware (en/es/pt), for per-sentence themes and sentiment.

A sentence ends at ``.``, ``!``, ``?``, ``…`` (or runs of them) followed by space, or at a line break (a
newline, or the HTML ``<br>``, ``<p>`` and ``</p>`` that some exports keep, which no sentence includes),
unless the word before the full stop is a known abbreviation of the language (``Mr.``, ``Sra.``, ``p.ex.``), a
single initial, or a number's ordinal mark (``1.``, ``2.º``). A sentence that turns at a contrast
(``but``/``however``; ``pero``/``sin embargo``; ``mas``/``porém``/``só que``) is cut there too when both
sides have at least three words, because each side carries its own sentiment: "great headphones, but
delivery took three weeks" is a praise and a delivery complaint.

Units keep their character offsets in the original text, so a quote can always be traced back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.sources.parsers import has_content

ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "jr",
                     "sr", "inc", "ltd", "co", "dept", "est", "fig", "oz", "lb", "lbs", "ft", "min", "max"}),
    "es": frozenset({"sr", "sra", "srta", "sres", "dr", "dra", "d", "dña", "ud", "uds", "vd", "etc", "p.ej",
                     "aprox", "pág", "pag", "núm", "num", "no", "nº", "tel", "avda", "cía", "min", "máx"}),
    "pt": frozenset({"sr", "sra", "srta", "dr", "dra", "d", "etc", "p.ex", "ex", "aprox", "pág", "pag", "nº",
                     "n", "tel", "av", "cia", "ltda", "min", "máx", "obs", "v.ex", "vc", "vcs"}),
}  # fmt: skip
CONTRASTS: dict[str, tuple[str, ...]] = {
    "en": ("but", "however", "although", "though", "yet", "except"),
    "es": ("pero", "sin embargo", "aunque", "excepto", "salvo"),
    "pt": ("mas", "porém", "porem", "entretanto", "contudo", "embora", "só que", "so que", "exceto"),
}
MIN_CLAUSE_WORDS = 2

_BOUNDARY = re.compile(
    r"(?P<tag><br\s*/?>|</?p\s*>)|[.!?…]+[\"'”’»)\]]*(?=\s|$)|[!?…]+[\"'”’»)\]]*(?=\S)|\n+", re.IGNORECASE
)
_WORD_BEFORE = re.compile(r"([\w.º]+)\.+$")


@dataclass(frozen=True)
class Sentence:
    """One unit of text with its offsets in the original: ``text == original[start:end]``."""

    start: int
    end: int
    text: str


def _is_abbreviation(before: str, language: str | None) -> bool:
    """Whether the text before a full stop ends in a word that does not end a sentence."""
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    word = match.group(1).lower()
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return True
    if word.rstrip("º").isdigit() and len(word) <= 2 and "º" in word:
        return True
    languages = (language,) if language in ABBREVIATIONS else tuple(ABBREVIATIONS)
    return any(word in ABBREVIATIONS[lang] for lang in languages)


def _sentences(text: str, language: str | None) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group("tag"):  # an HTML line or paragraph break (marketplace exports keep them) ends a
            spans.append((start, match.start()))  # sentence and belongs to neither side
            start = match.end()
            continue
        end = match.end()
        full_stop = match.group().startswith(".") and not match.group().startswith("...")
        if full_stop and _is_abbreviation(text[start : match.start() + 1], language):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


def _contrast_pattern(language: str | None) -> re.Pattern[str]:
    languages = (language,) if language in CONTRASTS else tuple(CONTRASTS)
    words = sorted({w for lang in languages for w in CONTRASTS[lang]}, key=len, reverse=True)
    return re.compile(r"(?:[,;:]\s*|\s+)(?=(?:" + "|".join(map(re.escape, words)) + r")\b)", re.IGNORECASE)


def _clauses(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` before each contrast word when both sides keep enough words."""
    cuts = [start]
    for match in pattern.finditer(text, start, end):
        left = text[cuts[-1] : match.start()]
        right = text[match.end() : end]
        if len(left.split()) >= MIN_CLAUSE_WORDS and len(right.split()) >= MIN_CLAUSE_WORDS:
            cuts.append(match.end())
    return [(a, b) for a, b in zip(cuts, [*cuts[1:], end], strict=True)]


def split_sentences(text: str, language: str | None = None, *, clauses: bool = True) -> list[Sentence]:
    """The sentences (cut at contrasts when ``clauses``) of ``text``, stripped, empty ones dropped."""
    if not text:
        return []
    pattern = _contrast_pattern(language)
    out: list[Sentence] = []
    for s_start, s_end in _sentences(text, language):
        parts = _clauses(text, s_start, s_end, pattern) if clauses else [(s_start, s_end)]
        for a, b in parts:
            chunk = text[a:b]
            stripped = chunk.strip(" \t\r\n,;:-")
            if not any(c.isalnum() and has_content(c) for c in stripped):  # no visible letter or digit
                continue
            offset = a + chunk.index(stripped)
            out.append(Sentence(offset, offset + len(stripped), stripped))
    return out
