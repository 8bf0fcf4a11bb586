"""Candidate phrases of 2-5 words from review text (en/es/pt) and the key that merges near-duplicates.

**Tokens.** Text is case-folded (``str.casefold``) and cut into clauses at punctuation (``.,;:!?()"``
and the like, and a dash between spaces), so a phrase never spans "fast shipping. Great price". Words
are runs of letters or digits, with inner apostrophes and hyphens kept (``doesn't``, ``well-made``).

**Word classes.** Each word is one of:

* *stopword*: the ``yake`` package's list for the language (it ships lists for ~30 languages) and a
  few informal spellings (:data:`EXTRA_STOPWORDS`: ``pra``, ``vc``, ``q``), with their accent-free
  spellings added (``nao`` for ``não``: Brazilian reviews often drop accents), plus any word
  of one letter, *minus* :data:`KEEP` (words those news-text lists call stopwords that carry a
  reviewer's judgement: ``bom``, ``buena``, ``mejor``, ``well``, ``value``, ``llegó``);
* *negator* (:data:`NEGATORS`: ``not``, ``no``, ``never``, ``without``, ``doesn't``; ``no``, ``sin``,
  ``nunca``; ``não``, ``sem``, ``nunca``), since "no funciona" is a complaint sellers need to see;
* *content*: everything else (numbers included).

**Candidates.** A run of 2-5 words inside one clause is a candidate when it starts with a content word
or a negator, ends with a content word, has at least one content word with a letter, and uses a
conjunction (:data:`CONJUNCTIONS`) only to join two single words that stand alone (no content word
right before or after: "buena calidad y buen precio" gives no "calidad y buen"). So "the battery"
(starts with a stopword), "battery is" (ends with one), "is the" (stopwords only), "not the" and
"sound quality and battery" (two phrases side by side) are out, and "no funciona", "battery life",
"shipping was fast", "fast and easy" and "5 stars" are in. A 5-word run with a content word right
before or after it is out (the cap cut a longer phrase: "free shipping was a nice" in "free shipping was
a nice bonus"); its shorter parts ("free shipping", "nice bonus") are in. So is a run that ends on a
determiner (:data:`DETERMINERS`: articles, possessives, quantifiers) or the word after one, with a
content word next: "shipping was a nice" (bonus), "fue un buen" (detalle), "novo depois de várias"
(lavagens). In English a phrase may start with an auxiliary right before a negator
(:data:`AUXILIARIES`): "does not work" is a candidate and "not work" after "does" is not.

**Near-duplicate key.** Two candidates are the same phrase when their *keys* are equal: the set of
their content words and negators, accents stripped and Snowball-stemmed (``snowballstemmer``), with
every negator written ``¬``, stopwords dropped and word order ignored. So "fast shipping", "shipping
fast", "shipping was fast" and "fast shippings" share the key ``{fast, ship}`` ("very fast shipping"
is no candidate: it starts with a stopword, and its reviews count for "fast shipping" anyway);
"great gift"/"great gifts" and "producto"/"productos" merge; "doesn't work" and "did not work" share
``{¬, work}``; "works" and "doesn't work" never merge.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from importlib import resources

import snowballstemmer

from pipeline.errors import ConfigError

LANGUAGES = ("en", "es", "pt")
MIN_WORDS = 2
MAX_WORDS = 5
NEGATION = "¬"
_STEMMERS = {"en": "english", "es": "spanish", "pt": "portuguese"}

# Words the yake lists (made for news text) count as stopwords but that carry a judgement in reviews.
KEEP: dict[str, frozenset[str]] = {
    "en": frozenset({"best", "better", "new", "old", "value", "well", "useful", "right", "use", "used",
                     "using", "described"}),
    "es": frozenset({"bien", "buen", "buena", "buenas", "bueno", "buenos", "mejor", "gran", "grande",
                     "grandes", "nueva", "nuevas", "nuevo", "nuevos", "llegó", "llego", "diferente",
                     "diferentes", "igual", "total"}),
    "pt": frozenset({"bem", "boa", "boas", "bom", "bons", "mal", "grande", "grandes", "nova", "novas",
                     "novo", "novos", "baixo", "maior", "menor", "custa", "falta", "final"}),
}  # fmt: skip
# Informal spellings the yake lists lack (chat abbreviations, Brazilian "pra"/"pro"), added as stopwords.
EXTRA_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset({"im", "ive", "id", "ill", "youre", "theyre", "thats", "u", "ur", "lol"}),
    "es": frozenset({"q", "pq", "xq", "porq", "tb", "tmb", "tbn", "d", "x"}),
    "pt": frozenset({"pra", "pro", "pras", "pros", "tá", "ta", "né", "ne", "vc", "vcs", "pq", "q", "tb",
                     "tbm", "vou", "ja", "então", "ai", "aí", "acho", "tinha", "fiz", "porém", "pois"}),
}  # fmt: skip
# Negators may start a phrase ("not worth it", "sin problemas") but never end one.
NEGATORS: dict[str, frozenset[str]] = {
    "en": frozenset({"no", "not", "never", "without", "nothing", "none", "nor", "cannot", "can't", "cant",
                     "don't", "dont", "doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "wasn't",
                     "wasnt", "won't", "wont", "wouldn't", "couldn't", "aren't", "weren't", "haven't",
                     "hasn't", "hadn't", "shouldn't", "ain't"}),
    "es": frozenset({"no", "nunca", "sin", "ni", "tampoco", "nada", "ningún", "ninguna", "ninguno",
                     "ningun", "jamás", "jamas"}),
    "pt": frozenset({"não", "nao", "nunca", "sem", "nem", "nada", "nenhum", "nenhuma", "jamais"}),
}  # fmt: skip

# A conjunction may only join two single words ("fast and easy", "rápido y fácil") with no content word
# right beside them: a longer phrase across one is two phrases side by side ("sound quality and battery").
CONJUNCTIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"and", "or", "but", "&"}),
    "es": frozenset({"y", "e", "o", "u", "pero"}),
    "pt": frozenset({"e", "ou", "mas"}),
}

# A determiner (article, possessive, quantifier) opens a noun phrase: a run that ends on the word after
# one, with a content word next, cut that phrase ("was a nice" in "was a nice bonus", "fue un buen" in
# "fue un buen detalle", "novo depois de várias" in "novo depois de várias lavagens").
DETERMINERS: dict[str, frozenset[str]] = {
    "en": frozenset({"a", "an", "the", "my", "your", "his", "her", "its", "our", "their", "several", "many",
                     "few", "some", "every", "each"}),
    "es": frozenset({"un", "una", "unos", "unas", "el", "la", "los", "las", "mi", "mis", "tu", "tus", "su",
                     "sus", "nuestro", "nuestra", "varios", "varias", "muchos", "muchas", "algunos",
                     "algunas", "pocos", "pocas", "cada"}),
    "pt": frozenset({"um", "uma", "uns", "umas", "o", "a", "os", "as", "meu", "minha", "meus", "minhas",
                     "seu", "sua", "seus", "suas", "vários", "várias", "muitos", "muitas", "alguns",
                     "algumas", "poucos", "poucas", "cada"}),
}  # fmt: skip

# English negates with an auxiliary: "does not work" is the phrase, not "not work" (the auxiliary, a
# stopword, may start a phrase only right before a negator; it is no part of the key).
AUXILIARIES: dict[str, frozenset[str]] = {
    "en": frozenset({"do", "does", "did", "is", "was", "are", "were", "will", "would", "could", "can", "has",
                     "have", "had", "should", "it's", "i'm"}),
    "es": frozenset(),
    "pt": frozenset(),
}  # fmt: skip

_CLAUSE_BREAK = re.compile(r"[^\w\s'\-]+|(?:^|\s)[-']+|[-']+(?:\s|$)|_+")
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'", "‐": "-", "‑": "-"})

STOP, NEG, CONTENT = 0, 1, 2


def strip_accents(word: str) -> str:
    """``não`` -> ``nao``: the word without combining marks."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ConfigError(f"unsupported language {language!r}: keywords cover {', '.join(LANGUAGES)}")
    return language


@cache
def stopwords(language: str) -> frozenset[str]:
    """The stopwords of ``language``: yake's list and EXTRA_STOPWORDS with their accent-free spellings,
    minus KEEP and NEGATORS."""
    _check_language(language)
    try:
        path = resources.files("yake") / "core" / "StopwordsList" / f"stopwords_{language}.txt"
        text = path.read_text(encoding="utf-8-sig")
    except (ModuleNotFoundError, FileNotFoundError) as exc:  # pragma: no cover - an install problem
        raise ConfigError(f"yake's stopword list for {language} not found: {exc}") from exc
    words = {w.strip().casefold() for w in text.splitlines() if w.strip()}
    words |= EXTRA_STOPWORDS[language]
    words |= {strip_accents(w) for w in words}
    return frozenset(words - KEEP[language] - NEGATORS[language])


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMERS[language])


@lru_cache(maxsize=1 << 18)
def word_class(word: str, language: str) -> int:
    """STOP, NEG or CONTENT (see the module docstring)."""
    if word in NEGATORS[language]:
        return NEG
    if word in stopwords(language) or (len(word) == 1 and _LETTER.match(word)):
        return STOP
    return CONTENT


def clauses(text: str | None) -> list[list[str]]:
    """The case-folded words of each clause of ``text`` (clauses end at punctuation)."""
    if not text:
        return []
    folded = text.translate(_APOSTROPHES).casefold()
    out = []
    for part in _CLAUSE_BREAK.split(folded):
        words = _WORD.findall(part)
        if words:
            out.append(words)
    return out


def _clause_candidates(
    words: list[str],
    classes: list[int],
    conjunctions: frozenset[str],
    auxiliaries: frozenset[str],
    determiners: frozenset[str],
) -> Iterator[str]:
    n = len(words)
    for i in range(n):
        negated_aux = classes[i] == STOP and i + 1 < n and classes[i + 1] == NEG and words[i] in auxiliaries
        if (classes[i] == STOP and not negated_aux) or (
            classes[i] == NEG and i > 0 and words[i - 1] in auxiliaries
        ):
            continue
        has_letters = classes[i] == CONTENT and bool(_LETTER.search(words[i]))
        last = min(i + MAX_WORDS, n)
        j = i + 1
        while j < last:
            if words[j] in conjunctions:
                alone = (i == 0 or classes[i - 1] != CONTENT) and (i + 3 >= n or classes[i + 3] != CONTENT)
                if j != i + 1 or classes[i] != CONTENT or not alone:
                    break
                last = min(i + 3, n)  # only "word and word", with no content word right beside it
            elif classes[j] == CONTENT:
                has_letters = has_letters or bool(_LETTER.search(words[j]))
                # a run the length cap cut inside a phrase is no candidate: "free shipping was a nice"
                # (bonus) or "shipping was a nice bonus" (free): its shorter parts are
                content_next = j + 1 < n and classes[j + 1] == CONTENT
                cut = j - i + 1 == MAX_WORDS and (content_next or (i > 0 and classes[i - 1] == CONTENT))
                # ... and so is one that stops inside a noun phrase a determiner opened: "was a nice" (bonus)
                cut = cut or (content_next and (words[j - 1] in determiners or words[j] in determiners))
                if has_letters and not cut:
                    yield " ".join(words[i : j + 1])
            j += 1


def candidates(texts: Iterable[str | None], language: str) -> set[str]:
    """Every distinct candidate phrase (2-5 words, see the module docstring) in the given texts."""
    _check_language(language)
    out: set[str] = set()
    for text in texts:
        for words in clauses(text):
            if len(words) >= MIN_WORDS:
                classes = [word_class(w, language) for w in words]
                out.update(
                    _clause_candidates(
                        words, classes, CONJUNCTIONS[language], AUXILIARIES[language], DETERMINERS[language]
                    )
                )
    return out


@lru_cache(maxsize=1 << 18)
def word_key(word: str, language: str) -> str | None:
    """The word's part of a phrase key: its accent-free stem, ``¬`` for a negator, None for a stopword."""
    cls = word_class(word, language)
    if cls == NEG:
        return NEGATION
    if cls == STOP:
        return None
    return str(_stemmer(language).stemWord(strip_accents(word)))


def phrase_key(phrase: str, language: str) -> tuple[str, ...]:
    """The near-duplicate key of a phrase: its sorted, distinct content stems and ``¬`` for negation."""
    keys = {word_key(w, language) for w in phrase.split()}
    keys.discard(None)
    return tuple(sorted(k for k in keys if k is not None))


def clause_keys(text: str, language: str) -> list[frozenset[str]]:
    """The set of word keys in each clause of ``text`` (what a listing says, clause by clause)."""
    out = []
    for words in clauses(text):
        keys = {word_key(w, language) for w in words}
        keys.discard(None)
        out.append(frozenset(k for k in keys if k is not None))
    return out
