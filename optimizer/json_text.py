"""The one JSON encoder of reopt: every `--json` object, run.json and the run history.

JSON has no NaN or Infinity, and `json.dumps` does not know numpy or pandas scalars,
dates or paths, so records are first turned into plain Python here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

NOT_FINITE = "not_finite"
"""The `--json` field listing the values written as null because they have no finite
number (a change against a base objective of 0, a percentile of no solved sample)."""


def json_text(record: object, indent: int | None = None) -> str:
    """The one JSON object a `--json` command prints: numpy and pandas scalars as plain
    numbers, dates as ISO text, paths as text, and never a NaN or Infinity token (JSON
    has none): such a value is written as null and its place listed under `not_finite`."""
    nulls: list[str] = []
    plain = _plain(record, "", nulls)
    if nulls and isinstance(plain, dict):
        plain[NOT_FINITE] = nulls
    return json.dumps(plain, ensure_ascii=False, allow_nan=False, indent=indent)


def _plain(value: object, where: str, nulls: list[str]) -> object:
    """`value` as JSON-ready Python: dicts, lists, str, int, finite float, bool, None."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, Mapping):
        return {
            str(k): _plain(v, f"{where}.{k}" if where else str(k), nulls) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, f"{where}[{i}]", nulls) for i, v in enumerate(value)]
    if hasattr(value, "as_dict"):
        return _plain(value.as_dict(), where, nulls)
    if hasattr(value, "__fspath__"):
        return str(value)
    if hasattr(value, "isoformat"):
        if value != value:  # pandas NaT is not equal to itself
            nulls.append(where)
            return None
        return value.isoformat()
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # a numpy scalar
        value = value.item()
        if value is None or isinstance(value, str | bool):
            return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        nulls.append(where)
        return None
    if hasattr(value, "tolist"):  # a numpy array
        return _plain(value.tolist(), where, nulls)
    text = str(value)
    if text in ("nan", "NaN", "<NA>", "NaT", "None"):
        nulls.append(where)
        return None
    return text
