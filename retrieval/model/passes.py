"""What one encoder pass yields for the search, read from sentence-transformers' outputs.

`model.encode(texts, output_value=None)` gives, per text, the pooled sentence embedding and
the last-layer state of every token: one forward pass serves the dense vector, the sparse
head (retrieval/sparse.py) and late interaction (retrieval/signals.py). Only the text's
own tokens count for the last two: not `<s>`, `</s>`, padding, nor the prompt.

The prompt's tokens are found by tokenising the prompt without its trailing space:
"query: " alone ends in a lone "▁" that merges into the next word in "query: text", so
sentence-transformers' `prompt_length` counts one token too many and would drop the
question's first word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse as sp

from retrieval.model.sparse import SparseHead, TokenCodes, strongest


@dataclass(frozen=True)
class QuestionPass:
    """A question's encoder outputs: all the ranking and the decision read of it."""

    dense: np.ndarray  # [d] normalised sentence embedding
    states: np.ndarray  # [n, d] last-layer states of the question's own tokens
    pieces: tuple[str, ...]  # those tokens as the tokenizer spells them, for word grouping
    sparse: sp.csr_matrix | None = None  # [1, N] SAE latents; None for a model without a head
    codes: TokenCodes | None = None  # per token, for term coverage; None without a head


@dataclass(frozen=True)
class PassageBatch:
    """Passage-prompt outputs of a batch of texts, as an index build needs them."""

    vectors: np.ndarray  # [B, d] normalised sentence embeddings
    states: tuple[np.ndarray | None, ...]  # per text [n, d] float16 own-token states, if asked


class ContentTokens:
    """Which tokens of an encoded text are the text's own."""

    def __init__(self, tokenizer: Any, prompts: Iterable[str]) -> None:
        self.tokenizer = tokenizer
        specials = (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
        self.specials = np.array(sorted({i for i in specials if i is not None}), np.int64)
        self.prompt_ids = {p: prompt_token_ids(tokenizer, p) for p in set(prompts)}

    def mask(self, output: Mapping[str, Any], prompt: str) -> np.ndarray:
        """[L] bool: the tokens of `output` (one text's encode output) that are its own."""
        ids = output["input_ids"].numpy()
        keep = output["attention_mask"].numpy().astype(bool) & ~np.isin(ids, self.specials)
        prompt_ids = self.prompt_ids[prompt]
        first = int(np.argmax(keep)) if keep.any() else 0
        n = len(prompt_ids)
        if n and list(ids[first : first + n]) == prompt_ids:
            keep[first : first + n] = False
        return keep

    def pieces(self, output: Mapping[str, Any], keep: np.ndarray) -> tuple[str, ...]:
        ids = output["input_ids"].numpy()[keep]
        return tuple(self.tokenizer.convert_ids_to_tokens([int(i) for i in ids]))


def prompt_token_ids(tokenizer: Any, prompt: str) -> list[int]:
    """The ids a prompt contributes at the start of a prompted text (see the module doc)."""
    if not prompt.strip():
        return []
    return list(tokenizer(prompt.rstrip(), add_special_tokens=False)["input_ids"])


def question_passes(
    outputs: Sequence[Mapping[str, Any]],
    tokens: ContentTokens,
    prompt: str,
    head: SparseHead | None,
) -> list[QuestionPass]:
    """Each question's QuestionPass from its encode output (`output_value=None`); the
    sparse head runs once over every question's tokens, as the encoder ran over the batch."""
    keeps = [tokens.mask(o, prompt) for o in outputs]
    states = [
        o["token_embeddings"].float().numpy()[keep] for o, keep in zip(outputs, keeps, strict=True)
    ]
    dense = [o["sentence_embedding"].float().numpy() for o in outputs]
    dense = [d / max(float(np.linalg.norm(d)), 1e-12) for d in dense]
    pieces = [tokens.pieces(o, keep) for o, keep in zip(outputs, keeps, strict=True)]
    if head is None or not outputs:
        return [QuestionPass(*parts) for parts in zip(dense, states, pieces, strict=True)]
    codes = head.codes(np.concatenate(states))
    out = []
    start = 0
    for d, s, p in zip(dense, states, pieces, strict=True):
        own = TokenCodes(codes.index[start : start + len(s)], codes.value[start : start + len(s)])
        out.append(QuestionPass(d, s, p, strongest(head.pool(own)), own))
        start += len(s)
    return out


def passage_states(output: Mapping[str, Any], tokens: ContentTokens, prompt: str) -> np.ndarray:
    """A passage's own-token states, float16: what late interaction stores per paragraph."""
    keep = tokens.mask(output, prompt)
    return output["token_embeddings"].float().numpy()[keep].astype(np.float16)


def text_sparse(
    output: Mapping[str, Any], tokens: ContentTokens, prompt: str, head: SparseHead
) -> sp.csr_matrix:
    """[1, N]: a text's sparse vector (its own tokens' pooled latents, the strongest kept)."""
    keep = tokens.mask(output, prompt)
    return strongest(head.pool(head.codes(output["token_embeddings"].float().numpy()[keep])))
