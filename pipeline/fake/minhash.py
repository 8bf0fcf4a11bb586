"""Near-duplicate text: MinHash signatures (datasketch) stored per content hash, matched with LSH in SQL.

Each text is normalised (lowercase, accents and punctuation dropped, spaces collapsed) and cut into
character 5-gram shingles, which survive the small word swaps of templated fake reviews. A 64-value
MinHash signature estimates the Jaccard similarity of two shingle sets as the share of equal values.

Signatures are a property of the text alone, so each new content hash is signed once and stored in
``text_signatures``; the matching runs over the whole warehouse in SQL (``sql/core/fake_near_duplicates``):
16 bands of 4 values, two texts are candidates when any band is equal (about a 50 % Jaccard threshold),
then kept when the estimated similarity reaches ``near_duplicate_similarity`` (signals.yaml). Texts
under ``MIN_WORDS`` words are not signed: "Great product!" written by many people is common, not
copied (short generic text is its own signal).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
BANDS = 16  # NUM_PERM = BANDS x ROWS
SHINGLE = 5
MIN_WORDS = 8
SEED = 7

_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Lowercase, strip accents and punctuation, collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def shingles(text: str) -> set[bytes]:
    """Character 5-grams of the normalised text (empty when the text is under ``MIN_WORDS`` words)."""
    norm = normalise(text)
    if len(norm.split()) < MIN_WORDS:
        return set()
    return {norm[i : i + SHINGLE].encode("utf-8") for i in range(len(norm) - SHINGLE + 1)}


def signatures(texts: Sequence[str]) -> list[list[int] | None]:
    """One MinHash signature (``NUM_PERM`` unsigned ints) per text; None for texts too short to sign."""
    sets = [shingles(t) for t in texts]
    signed = [i for i, s in enumerate(sets) if s]
    out: list[list[int] | None] = [None] * len(texts)
    hashes = MinHash.bulk([list(sets[i]) for i in signed], num_perm=NUM_PERM, seed=SEED)
    for i, mh in zip(signed, hashes, strict=True):
        out[i] = [int(v) for v in np.asarray(mh.hashvalues, dtype=np.uint64)]
    return out


def estimated_jaccard(a: Iterable[int], b: Iterable[int]) -> float:
    """The share of equal signature values: an unbiased estimate of the shingle sets' Jaccard similarity."""
    x, y = np.fromiter(a, dtype=np.uint64), np.fromiter(b, dtype=np.uint64)
    return float(np.mean(x == y))
