"""A 2-D map of the corpus: paragraph vectors projected on their two main axes.

A linear projection (PCA), unlike t-SNE or UMAP, places a new question on the same map by
the same formula, so that a demo can show where a question lands among the paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Projection:
    mean: np.ndarray  # (dimension,)
    axes: np.ndarray  # (2, dimension): the first two principal directions

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 2) map coordinates of (n, dimension) vectors."""
        return (np.atleast_2d(vectors) - self.mean) @ self.axes.T

    def to_json(self) -> dict[str, list[float] | list[list[float]]]:
        return {"mean": self.mean.tolist(), "axes": self.axes.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, list]) -> Projection:  # type: ignore[type-arg]
        return cls(np.asarray(data["mean"], np.float32), np.asarray(data["axes"], np.float32))


# Two axes are well estimated from a sample; an SVD of a million rows would take minutes.
FIT_SAMPLE = 20_000


def fit_projection(matrix: np.ndarray, seed: int = 0) -> Projection:
    """The two directions along which the paragraph vectors vary most."""
    if len(matrix) > FIT_SAMPLE:
        rows = np.random.default_rng(seed).choice(len(matrix), FIT_SAMPLE, replace=False)
        matrix = matrix[np.sort(rows)]
    mean = matrix.mean(axis=0)
    centred = matrix - mean
    dimension = matrix.shape[1]
    if len(matrix) < 2:
        axes = np.eye(2, dimension, dtype=np.float32)  # nothing varies: any two axes do
    else:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        axes = np.zeros((2, dimension), np.float32)
        axes[: len(vt[:2])] = vt[:2]
        # SVD's signs are arbitrary: fix them so a rebuild does not mirror the map.
        signs = np.sign(axes @ np.ones(dimension))
        axes *= np.where(signs == 0, 1, signs)[:, None]
    return Projection(mean.astype(np.float32), axes.astype(np.float32))
