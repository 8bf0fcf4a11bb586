"""Measure quote redaction on real reviews, and rebuild ``pipeline/reports/names_common.txt``.

    .venv/bin/python bench/redact.py [--per-language 700] [--sample 40]
    .venv/bin/python bench/redact.py --write-common      # rebuild the list of names that are usually words

**Measurement.** A seeded sample of ``--per-language`` texts from each of ``sentiment/marc_en.jsonl``,
``sentiment/marc_es.csv`` and ``sentiment/amazon_br_pt.csv`` is redacted; it prints how many texts
had each kind of redaction and how many redactions there were, then ``--sample`` redacted spans per
kind with their context, to read for false positives by eye.

**The common-word list.** The gazetteer (faker's en/es/pt first and last names) holds many words that
are ordinary words in reviews ("Will", "Linda", "Con", "Price"). A gazetteer word goes on the list when
it appears in lower case at least 3 times and in at least a quarter of its mid-sentence uses across
~134k review texts that the measurement never samples (Amazon 2018/2023 and Fine Food, Booking,
TripAdvisor Barcelona, Yelp NYC, women's clothing; the Cuban and Rest-Mex Spanish reviews; Olist; the
rest of MARC en/es and Amazon.com.br). ``EXTRA`` adds months, weekdays, places, brands and
nationalities by hand. Only words are written: no review text goes into the repository.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import random
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.reports import redact as redact_module  # noqa: E402
from pipeline.reports.redact import EMAIL, NAME, PHONE, redact  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

COMMON_FILE = ROOT / "pipeline" / "reports" / "names_common.txt"
MIN_LOWER, MIN_LOWER_SHARE = 3, 0.25
EXTRA = {
    "months and days": "January February March April May June July August September October November "
    "December Enero Febrero Marzo Abril Mayo Junio Julio Agosto Septiembre Setiembre Octubre Noviembre "
    "Diciembre Janeiro Fevereiro Março Maio Junho Julho Setembro Outubro Novembro Dezembro Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday Lunes Martes Miércoles Jueves Viernes Sábado Domingo "
    "Segunda Terça Quarta Quinta Sexta Easter Christmas Navidad Natal Pascua Páscoa",
    "places": "Paris París London Londres Rome Roma Cuba Trinidad Santiago Brooklyn York Florida Texas China "
    "India America América Ireland Irlanda Valencia Boston Phoenix Cleveland Arizona Washington Angeles "
    "Ángeles Asia Olympia Sierra Savannah Dallas Houston Austin Denver Orlando Madrid Barcelona Sevilla "
    "Lisboa Porto Brasil Brazil Mexico México Georgia Carolina Virginia Victoria Jordan Israel Chelsea "
    "Kent Devon Lima Quito Caracas Havana Habana Varadero Guanajuato Berlin Vienna Florence Florencia "
    "Venice Venecia Milan Sydney Kingston Lincoln Vegas Nevada Montana Dakota Indiana Alabama Tennessee "
    "Kentucky Holland Jersey Sofia Santos Salvador Natal Vitória Paulo Janeiro Hilton Marriott Sheraton "
    "Hyatt Ritz Meliá Iberostar",
    "brands and products": "Alexa Echo Siri Dell Bose Ford Mercedes Chanel Remington Avon Corona Fleet Prime "
    "Kindle Nike Philips Mac Bic Lego Barbie Ken Oreo Dyson Samsung Sony Canon Nikon Motorola Nokia Apple "
    "Google Amazon Netflix Disney Marvel Tesla Lexus Jeep Dodge Chevy Hoover Kenmore Maytag Roku Fitbit "
    "Garmin Lacoste Guess Levi Levis Victoria Crocs Vans Puma Fila Reebok Converse Tommy Calvin Ralph "
    "Hermès Gucci Prada Armani Versace Dior Zara Mango Natura Boticário Eudora Olay Dove Nivea Gillette "
    "Braun Oral Colgate Crest Listerine Johnson Pampers Huggies Chicco Graco Fisher Mattel Hasbro Nerf "
    "Pokemon Pikachu Mario Luigi Zelda Sonic Kirby Alexa Cortana Bixby Roomba Ninja Instant Vitamix "
    "Keurig Nespresso Ziploc Clorox Lysol Windex Tide Gain Bounty Charmin Sharpie Crayola Elmer "
    "Pandora Brooks Stanford Faber Castell Earl Grey Nilo Nile Coleman",
    "nationalities and beliefs": "English French German Spanish Italian American British Irish Dutch "
    "Chinese Japanese Mexican Brazilian Cuban Canadian Indian Russian Portuguese Christian Catholic "
    "Jesus Jesús Christ Cristo God Dios Deus Santa Saint Allah Buddha",
}


def _marc_en(data: Path) -> list[str]:
    lines = (data / "sentiment" / "marc_en.jsonl").read_text(encoding="utf-8").splitlines()
    return [str(json.loads(line)["review_body"]) for line in lines]


def _texts(frame: pd.DataFrame, *columns: str) -> list[str]:
    return [str(t) for c in columns for t in frame[c].dropna()]


def _split(texts: list[str], n: int, seed: int) -> tuple[list[str], list[str]]:
    """A seeded sample of ``n`` texts and the rest."""
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    return [texts[i] for i in order[:n]], [texts[i] for i in order[n:]]


def measurement_sets(data: Path, per_language: int, seed: int = 0) -> dict[str, tuple[list[str], list[str]]]:
    """Per language, (the measured sample, the rest of the file)."""
    return {
        "en": _split(_marc_en(data), per_language, seed),
        "es": _split(
            _texts(pd.read_csv(data / "sentiment" / "marc_es.csv"), "review_body"), per_language, seed
        ),
        "pt": _split(
            _texts(pd.read_csv(data / "sentiment" / "amazon_br_pt.csv"), "text"), per_language, seed
        ),
    }


def build_corpus(data: Path, per_language: int) -> list[str]:
    """Review texts that the measurement never samples, for counting lower-case uses of names."""
    texts = _texts(pd.read_csv(data / "marketplace" / "amazon2023_sports_sample.csv"), "text")
    for name in ("amazon2018_all_beauty_5core", "amazon2018_fashion_5core"):
        for line in (data / "marketplace" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            texts.append(str(json.loads(line).get("reviewText") or ""))
    texts += _texts(pd.read_csv(data / "marketplace" / "amazon_finefood_sample.csv"), "Text")
    texts += _texts(
        pd.read_csv(data / "sentiment" / "booking_hotels_en.csv"), "Negative_Review", "Positive_Review"
    )
    texts += _texts(pd.read_csv(data / "sentiment" / "womens_clothing_en.csv"), "ReviewText")
    texts += _texts(pd.read_parquet(data / "sentiment" / "tripadvisor_bcn_en.parquet"), "text", "title")
    texts += _texts(pd.read_parquet(data / "fake" / "yelp_nyc_filtered.parquet"), "text")
    for name in ("cuba_hotels_es", "cuba_restaurants_es", "restmex2021_es"):
        texts += _texts(pd.read_csv(data / "sentiment" / f"{name}.csv"), "Title", "Opinion")
    olist = pd.read_csv(data / "marketplace" / "olist" / "olist_order_reviews_dataset.csv")
    texts += _texts(olist, *[c for c in olist.columns if "comment" in c])
    for _, rest in measurement_sets(data, per_language).values():
        texts += rest
    return texts


def common_names(texts: list[str]) -> list[str]:
    """Gazetteer words used in lower case often enough to be ordinary words, plus ``EXTRA``."""
    redact_module._gazetteer.cache_clear()
    gaz = redact_module._gazetteer()
    lower: collections.Counter[str] = collections.Counter()
    mid: collections.Counter[str] = collections.Counter()
    token = re.compile(r"[^\W\d_]+|[.!?\n]")
    for text in texts:
        sentence_start = True
        for m in token.finditer(text):
            word = m.group()
            if word in ".!?\n":
                sentence_start = True
                continue
            if word.islower():
                lower[word] += 1
            elif word[0].isupper() and word[1:].islower() and not sentence_start:
                mid[word] += 1
            sentence_start = False
    found = {
        w
        for w in gaz.first | gaz.last
        if lower[w.lower()] >= MIN_LOWER and lower[w.lower()] >= MIN_LOWER_SHARE * (lower[w.lower()] + mid[w])
    }
    return sorted(found | {w for words in EXTRA.values() for w in words.split()})


def write_common(data: Path, per_language: int) -> None:
    words = common_names(build_corpus(data, per_language))
    header = (
        "# Gazetteer words (faker's en/es/pt first and last names) that are usually not names in reviews:\n"
        '# redact.py treats them as names only in a naming context ("my name is May", "Sr. Rosa").\n'
        f"# Built by bench/redact.py --write-common: used in lower case >= {MIN_LOWER} times and in >= "
        f"{MIN_LOWER_SHARE:.0%} of\n# mid-sentence uses over ~134k public review texts, plus months, "
        "places, brands and nationalities by hand.\n"
    )
    COMMON_FILE.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} words to {COMMON_FILE.relative_to(ROOT)}")


_TOKENS = re.compile(r"\[(?:email|phone|name)\]|\w+|[^\w\s]")


def _spans(original: str, redacted: str) -> list[tuple[str, str, str]]:
    """(token, original span, context) for each redaction, from a diff of the two texts' tokens."""
    old = list(_TOKENS.finditer(original))
    new = [m.group() for m in _TOKENS.finditer(redacted)]
    out = []
    matcher = difflib.SequenceMatcher(None, [m.group() for m in old], new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        tokens = [t for t in new[j1:j2] if t in (EMAIL, PHONE, NAME)]
        if op == "equal" or not tokens or i1 == i2:
            continue
        start, end = old[i1].start(), old[i2 - 1].end()
        context = (
            original[max(0, start - 40) : start]
            + "<<"
            + original[start:end]
            + ">>"
            + original[end : end + 40]
        )
        out.append((tokens[0], original[start:end], context.replace("\n", " ")))
    return out


def measure(data: Path, per_language: int, sample: int) -> None:
    rows = []
    changed: collections.Counter[str] = collections.Counter()
    for language, (texts, _) in measurement_sets(data, per_language).items():
        for text in texts:
            redacted = redact(text, language)
            changed[language] += redacted != text
            for kind, span, context in _spans(text, redacted):
                rows.append({"language": language, "kind": kind, "span": span, "context": context})
    found = pd.DataFrame(rows, columns=["language", "kind", "span", "context"])
    print(f"texts: {per_language} per language, {3 * per_language} in all; texts changed: {dict(changed)}")
    if found.empty:
        print("no redactions")
        return
    print(found.groupby(["language", "kind"]).size().unstack(fill_value=0).to_string())
    rng = random.Random(1)
    for kind, part in found.groupby("kind"):
        print(f"\n{kind}: {len(part)} spans, e.g.")
        for row in rng.sample(list(part.itertuples()), min(sample, len(part))):
            print(f"  [{row.language}] {row.span!r:28} {row.context}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-language", type=int, default=700)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--write-common", action="store_true")
    args = parser.parse_args()
    data = Settings.from_env().shared_data_dir
    if not (data / "README.md").exists():
        raise SystemExit(f"shared datasets not found at {data} (set REVIEWPULSE_DATA_DIR)")
    if args.write_common:
        write_common(data, args.per_language)
    else:
        measure(data, args.per_language, args.sample)


if __name__ == "__main__":
    main()
