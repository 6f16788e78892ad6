"""Pre-grouped sparse adjacency: which deliveries feed which row, without dense products."""

from __future__ import annotations

import itertools

import numpy as np


def positions_within(count: np.ndarray) -> np.ndarray:
    """0, 1, …, count[i] − 1 for each group i, concatenated: the place of each row of
    `np.repeat(…, count)` within its group."""
    return np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)


def group_positions(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Map each distinct integer key to the positions where it occurs (stable order)."""
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    bounds = np.r_[starts, len(keys)]
    return {int(sorted_keys[start]): order[start:end] for start, end in itertools.pairwise(bounds)}
