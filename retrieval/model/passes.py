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

from collections.abc import Iterable, Mapping
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


def question_pass(
    output: Mapping[str, Any], tokens: ContentTokens, prompt: str, head: SparseHead | None
) -> QuestionPass:
    """One question's QuestionPass from its encode output (`output_value=None`)."""
    keep = tokens.mask(output, prompt)
    states = output["token_embeddings"].float().numpy()[keep]
    dense = output["sentence_embedding"].float().numpy()
    dense = dense / max(float(np.linalg.norm(dense)), 1e-12)
    pieces = tokens.pieces(output, keep)
    if head is None:
        return QuestionPass(dense, states, pieces)
    codes = head.codes(states)
    return QuestionPass(dense, states, pieces, strongest(head.pool(codes)), codes)


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
