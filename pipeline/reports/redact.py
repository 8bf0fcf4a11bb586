"""Redact personal data from review quotes: emails, phone numbers and personal names (en, es, pt).

The report quotes reviews verbatim; before a quote reaches the page it goes through ``redact``, which
replaces emails with ``[email]``, phone numbers with ``[phone]`` and personal names with ``[name]``.
There is no NER model offline, so names come from rules over a gazetteer:

* first and last names: the en/es/pt person lists of the ``faker`` package (MIT), minus the words
  in ``names_common.txt`` that are usually not names in review text ("Will", "May", "Linda",
  "Paris", "Alexa"); those count only in a context that says "name" ("my name is May").
* contexts: "my name is X" / "me llamo X" / "meu nome é X" take any capitalised word; "thanks, X",
  "ask for X", "atendido por X" and friends take a gazetteer word; salutations (Mr., Sra., Dona ...)
  take the capitalised word after them; a capitalised surname after a name joins the name.

Phones match a few national formats (international ``+``, US, Spain, Brazil) with guards against
order numbers, prices, dates and sizes; emails match the plain form and the obfuscated "john at gmail
dot com" / "john [at] example [dot] com". Redacting twice gives the same text as redacting once.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

EMAIL, PHONE, NAME = "[email]", "[phone]", "[name]"

_COMMON_FILE = Path(__file__).with_name("names_common.txt")
# faker's person providers whose first/last name lists make the gazetteer
_LOCALES = (
    "en", "en_US", "en_GB", "en_IE", "en_NZ", "en_IN",
    "es", "es_ES", "es_MX", "es_AR", "es_CL", "es_CO", "es_CA",
    "pt_BR", "pt_PT",
)  # fmt: skip

# --- emails ---------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_AT = r"\s*[\[({<]\s*(?:at|arroba)\s*[\])}>]\s*"
_DOT = r"\s*(?:[\[({<]\s*(?:dot|punto|ponto)\s*[\])}>]|\.)\s*"
_BRACKETED_EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)+", re.IGNORECASE)
# "john at gmail dot com": only for webmail domains, so "look at amazon dot com" survives
_WEBMAIL = r"(?:gmail|googlemail|hotmail|yahoo|outlook|live|icloud|aol|msn|proton(?:mail)?|uol|bol|terra|gmx)"
_SPOKEN_DOT = r"(?:\s*\.\s*|\s+(?:dot|punto|ponto)\s+)"
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+\s+(?:at|arroba)\s+{_WEBMAIL}{_SPOKEN_DOT}(?:com|net|es|pt|co|fr)"
    rf"(?:{_SPOKEN_DOT}(?:br|uk|mx|ar|es|pt))?\b",
    re.IGNORECASE,
)

# --- phones ---------------------------------------------------------------------------------------------
_SEP = r"[ .\-]"
_START = r"(?<![\w+#/.,:-])"  # not inside a longer token, a price, a date or an order number
_END = r"(?![\w/]|[.,:-]\d)"
_PHONE_PATTERNS = [
    # international: +44 20 7946 0958, +34 612345678, +55 (11) 98765-4321, +1 555 123 4567
    re.compile(rf"(?<![\w+])\+\d{{1,3}}(?:{_SEP}?\(?\d{{1,5}}\)?){{1,6}}{_END}"),
    # US: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567
    re.compile(rf"{_START}(?:1{_SEP})?(?:\(\d{{3}}\) ?|\d{{3}}{_SEP})\d{{3}}{_SEP}\d{{4}}{_END}"),
    # Spain: 612 34 56 78, 612 345 678 (mobile 6/7, landline 8/9)
    re.compile(rf"{_START}[6-9]\d{{2}}(?:(?: \d{{2}}){{3}}|(?: \d{{3}}){{2}}){_END}"),
    # Brazil: (11) 98765-4321, 11 98765-4321, (11) 3456-7890, 98765-4321
    re.compile(rf"{_START}(?:\([1-9]{{2}}\) ?|[1-9]{{2}} )9?\d{{4}}[ -]\d{{4}}{_END}"),
    re.compile(rf"{_START}9\d{{4}}-\d{{4}}{_END}"),
]
# only in the language where the format is a phone and nothing else in reviews
_PHONE_BY_LANGUAGE = {
    "es": re.compile(rf"{_START}[67]\d{{8}}{_END}"),  # 612345678
    "pt": re.compile(rf"{_START}[2-5]\d{{3}}-\d{{4}}{_END}"),  # landline 3456-7890 without area code
}
# any 8 to 13 digits right after a word that says "phone"
_PHONE_CONTEXT = re.compile(
    r"\b(?:tel[eé]fono|telefone|tel|fone|phone|cel(?:ular)?|m[oó]vil|whats\s?app|zap|call|ll[aá]m(?:e|a|ar)|"
    r"ligue|ligar)\b[\s:.]{0,3}(?:(?:me|us|at|al|para|pro|no|on|en)\s+){0,2}"
    rf"({_START}\+?\(?\d[\d ().\-]{{6,18}}\d{_END})",
    re.IGNORECASE,
)
_ORDER_CONTEXT = re.compile(
    r"(?:#|\bn[ºo°]\.?|\bnum\.?|\border|\bpedido|\bencomenda|\bref\.?|\binvoice|\bfactura|\bfatura|"
    r"\bnota fiscal|\btracking|\brastreio|\bseguimiento|\bc[oó]digo|\bcode|\bserial|\bisbn|\basin|\bsku|"
    r"\bmodel[o]?|\bcpf|\bcnpj|\bcep|\bid)\W{0,3}$",
    re.IGNORECASE,
)
_YEARS = re.compile(r"(?:19|20)\d\d-(?:19|20)\d\d")
_UNIT = re.compile(
    r"\s?(?:%|€|\$|x\b|ml\b|l\b|g\b|gr|grams?\b|gramos\b|gramas\b|kg\b|mg\b|cm\b|mm\b|m\b|km\b|w\b|v\b|"
    r"mah\b|gb\b|tb\b|mb\b|euros?\b|reais\b|d[oó]lar|dollars?\b|units?\b|unidades\b|pcs\b|piezas\b|"
    r"pe[çc]as\b|pares\b|pairs?\b|pages?\b|p[aá]ginas\b)",
    re.IGNORECASE,
)

# --- names ----------------------------------------------------------------------------------------------
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*")
_PARTICLES = frozenset({"de", "da", "do", "dos", "das", "del", "la", "van", "von", "di", "e", "y"})
_STRONG_CONTEXT = [  # the next capitalised words are a name, whatever they are
    ("my", "name", "is"), ("my", "name's"), ("me", "llamo"), ("mi", "nombre", "es"),
    ("meu", "nome", "é"), ("me", "chamo"), ("my", "name", "was"),
]  # fmt: skip
_WEAK_CONTEXT = [  # the next capitalised word is a name when the gazetteer knows it
    ("thanks",), ("thank", "you"), ("regards",), ("cheers",), ("gracias",), ("saludos",), ("obrigado",),
    ("obrigada",), ("atenciosamente",), ("ask", "for"), ("asked", "for"), ("talk", "to"), ("spoke", "to"),
    ("spoke", "with"), ("talked", "to"), ("helped", "by"), ("served", "by"), ("named",), ("called",),
    ("pregunta", "por"), ("pregunte", "por"), ("preguntar", "por"), ("hablar", "con"), ("hablé", "con"),
    ("atendido", "por"), ("atendida", "por"), ("atendidos", "por"), ("pergunte", "por"), ("perguntar", "por"),
    ("falar", "com"), ("falei", "com"), ("chamado",), ("chamada",), ("llamado",), ("llamada",),
    ("senhor",), ("senhora",), ("señor",), ("señora",), ("dear",), ("querido",), ("querida",), ("hola",),
    ("hi",), ("hello",), ("olá",), ("oi",),
]  # fmt: skip


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_NOT_SURNAME = _set(
    "the and but or is was has had will my your el la los las y es era o a os as e é um uma mas muito muy "
    "very"
)
# "Russell Square", "Hilton Hotel": a capitalised name before one of these names a place
_VENUES = _set(
    "square street avenue road park plaza hotel hostel inn restaurant bar café cafe beach island calle "
    "avenida rua praça playa museo museum church iglesia igreja bridge tower center centre mall store "
    "shop house station estación estação airport aeropuerto aeroporto"
)
# "San Diego", "Santa Maria", "São Paulo", "Ave Maria": a place or a saint, not a person
_PLACE_PREFIXES = frozenset({"San", "Santa", "Santo", "São", "Saint", "St", "Sant", "Ave"})
_TITLES = frozenset({"Mr", "Mrs", "Ms", "Mx", "Dr", "Sr", "Sra", "Srta", "Sres", "Dra", "Prof"})
_SOFT_TITLES = frozenset({"Dona", "Doña", "Don", "Seu", "Miss", "Sir"})  # also plain words: need a name


@dataclass(frozen=True)
class _Gazetteer:
    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]


@functools.cache
def _gazetteer() -> _Gazetteer:
    """faker's en/es/pt first and last names, and the words that are names only in context."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in _LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names"):
            names = getattr(provider, attr, None)  # a tuple, or a dict of name -> weight
            if isinstance(names, tuple | list | dict):
                (last if attr == "last_names" else first).update(n for n in names if " " not in n)
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    common = {w.strip() for w in lines if w.strip() and not w.startswith("#")}
    return _Gazetteer(frozenset(first), frozenset(last), frozenset(common))


def redact(text: str, language: str | None = None) -> str:
    """Replace emails, phone numbers and personal names in ``text`` with ``[email]``, ``[phone]``, ``[name]``.

    Args:
        text: a review text or quote.
        language: ``en``, ``es`` or ``pt`` when known; it enables the national phone formats that are
            ambiguous elsewhere (a bare ``612345678`` in Spanish, ``3456-7890`` in Portuguese).

    Returns:
        The text with each span replaced; everything else is left as it was.
    """
    language = language.lower()[:2] if isinstance(language, str) else ""
    for _ in range(4):  # to a fixed point, so that redacting twice changes nothing
        done = _redact_once(text, language)
        if done == text:
            break
        text = done
    return text


def _redact_once(text: str, language: str) -> str:
    for pattern in (_EMAIL, _BRACKETED_EMAIL, _SPOKEN_EMAIL):
        text = pattern.sub(EMAIL, text)
    return _redact_names(_redact_phones(text, language))


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _redact_phones(text: str, language: str) -> str:
    spans: list[tuple[int, int]] = []

    def take(start: int, end: int, *, guard: bool = True) -> None:
        span = text[start:end]
        if guard and (
            _ORDER_CONTEXT.search(text[max(0, start - 24) : start])
            or _YEARS.fullmatch(span)
            or _UNIT.match(text, end)
        ):
            return
        if 8 <= _digits(span) <= 15 and not any(s < end and start < e for s, e in spans):
            spans.append((start, end))

    for m in _PHONE_CONTEXT.finditer(text):
        take(m.start(1), m.end(1), guard=False)
    patterns = [*_PHONE_PATTERNS, *([_PHONE_BY_LANGUAGE[language]] if language in _PHONE_BY_LANGUAGE else [])]
    for pattern in patterns:
        for m in pattern.finditer(text):
            take(m.start(), m.end(), guard=not m.group().startswith("+"))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + PHONE + text[end:]
    return text


def _is_cap(word: str) -> bool:
    """Capitalised like a name: ``Maria``, ``O'Brien``, ``McDonald``, not ``MARIA`` or ``maria``."""
    return len(word) > 1 and word[0].isupper() and any(c.islower() for c in word[1:])


def _redact_names(text: str) -> str:
    gaz = _gazetteer()
    words = list(_WORD.finditer(text))
    lowered = [w.group().lower() for w in words]
    named = [False] * len(words)

    def gap(i: int) -> str:
        """The characters between word ``i - 1`` and word ``i``."""
        return text[words[i - 1].end() : words[i].start()]

    def adjacent(i: int) -> bool:
        return i > 0 and gap(i) in (" ", "\u00a0")

    def after(i: int, context: tuple[str, ...]) -> bool:
        """Word ``i`` follows ``context`` (separated by spaces, a comma or a colon)."""
        n = len(context)
        if i < n or tuple(lowered[i - n : i]) != context:
            return False
        inner = all(gap(j).strip() in ("", "'") for j in range(i - n + 1, i))
        return inner and gap(i).strip() in ("", ",", ":", "-")

    def known(word: str) -> bool:
        return word in gaz.first and word not in gaz.common

    def surname(word: str) -> bool:
        return _is_cap(word) and word not in gaz.common and (word in gaz.last or word in gaz.first)

    for i, match in enumerate(words):
        word = match.group()
        previous = words[i - 1].group() if i else ""
        if (
            not _is_cap(word)
            or word in _TITLES | _SOFT_TITLES | _PLACE_PREFIXES
            or previous in _PLACE_PREFIXES
        ):
            continue
        if i + 1 < len(words) and adjacent(i + 1) and lowered[i + 1] in _VENUES:
            continue
        strong = any(after(i, c) for c in _STRONG_CONTEXT)
        weak = word in gaz.first and any(after(i, c) for c in _WEAK_CONTEXT)
        titled = gap(i) in (". ", " ") and (
            (previous in _TITLES and lowered[i] not in _NOT_SURNAME)
            or (previous in _SOFT_TITLES and word in gaz.first)
        )
        # "Will Smith": a first name the gazetteer doubts, followed by a surname it knows
        full = word in gaz.first and i + 1 < len(words) and adjacent(i + 1) and surname(words[i + 1].group())
        named[i] = strong or known(word) or weak or titled or full
    # a name continues over capitalised words and particles: "Maria da Silva", "Jake Gyllenhaal"
    for i in range(1, len(words)):
        if (
            named[i - 1]
            and not named[i]
            and adjacent(i)
            and _is_cap(words[i].group())
            and (lowered[i] not in _NOT_SURNAME | _VENUES)
        ):
            named[i] = True
        elif (
            named[i - 1]
            and lowered[i] in _PARTICLES
            and adjacent(i)
            and i + 1 < len(words)
            and adjacent(i + 1)
            and surname(words[i + 1].group())
        ):
            named[i] = named[i + 1] = True
    # the title goes with the name: "Mr. Smith" -> "[name]"
    spans: list[list[int]] = []
    for i, match in enumerate(words):
        if not named[i]:
            continue
        if i and named[i - 1] and adjacent(i):
            spans[-1][1] = match.end()
        elif i and words[i - 1].group() in _TITLES | _SOFT_TITLES and gap(i) in (". ", " "):
            spans.append([words[i - 1].start(), match.end()])
        else:
            spans.append([match.start(), match.end()])
    for start, end in reversed(spans):
        text = text[:start] + NAME + text[end:]
    return text
