"""Typed reading of single cells, following SPEC §1 "Cell values".

Each function takes the raw value calamine gives (str, float, bool, date, time, a
`Hazard`) and returns the typed value, None for a blank cell, or raises `CellError`
whose message completes "<value> ..." in a located problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from optimizer.domain.limits import limit_error
from optimizer.domain.names import BIDI_CONTROLS, visible
from optimizer.domain.names import canonical as canonical_name
from optimizer.problems import Hazard

ODD_SPACES = re.compile("[\u00a0\u2007\u202f]")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
SHARE_TOLERANCE = 1e-9
"""Shares may add up to 1 within this (0.3 + 0.7 in floating point)."""
DAY_FORMAT = "%Y-%m-%d"
MONTH_FORMAT = "%Y-%m"


class CellError(ValueError):
    """A cell that cannot be read as the expected type."""


def _check_hazard(value: object) -> None:
    if isinstance(value, Hazard):
        raise CellError(value.reason)


def _present(value: object) -> bool:
    """False for a blank cell; raises for an error cell or a TRUE/FALSE value."""
    _check_hazard(value)
    if isinstance(value, bool):
        raise CellError("is a TRUE/FALSE value")
    return value is not None


def _as_date(value: object) -> dt.date | None:
    """The calendar date of a date cell, or None when the cell is not a date."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise CellError("is a date with a time of day")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time | dt.timedelta):
        raise CellError("is a time of day")
    return None


def is_first_of_month(value: object) -> bool:
    """True for a date cell on the first day of a month (a month label)."""
    try:
        day = _as_date(value)
    except CellError:
        return False
    return day is not None and day.day == 1


def clean_text(text: str) -> str:
    """NFC, trimmed, non-breaking spaces as plain ones, no format characters (zero-width).

    Raises `CellError` for a bidi control character, which could make the text display
    as something else than it is (and would be copied into a plan).
    """
    hidden = sorted({f"U+{ord(char):04X}" for char in text if char in BIDI_CONTROLS})
    if hidden:
        raise CellError(
            f"contains an invisible bidi control character ({', '.join(hidden)}) that changes "
            "how the text is displayed; retype it without"
        )
    return ODD_SPACES.sub(" ", visible(text)).strip()


def label(value: object, date_format: str = DAY_FORMAT) -> str | None:
    """An identifier: trimmed text; a whole number as `12`; a date as `YYYY-MM-DD`."""
    if not _present(value):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise CellError("is not a finite number")
        return str(int(value)) if value == int(value) else repr(float(value))
    day = _as_date(value)
    if day is not None:
        return day.strftime(date_format)
    text = clean_text(str(value))
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise CellError("contains a line break, tab or other control character; remove it")
    return text or None


def free_text(value: object) -> str | None:
    """A description: any text, trimmed; other cell types written as in `label`."""
    _check_hazard(value)
    if isinstance(value, str):
        return clean_text(value) or None
    return label(value)


def number(value: object) -> float | None:
    """A numeric cell, or text that float() accepts after trimming; NaN/inf refused."""
    if not _present(value):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        text = clean_text(value)
        if not text:
            return None
        try:
            result = float(text)
        except ValueError:
            raise CellError(f"is not a number{_number_hint(text)}") from None
    elif isinstance(value, dt.date | dt.time | dt.timedelta):
        raise CellError("is a date or time (format the cell as Number)")
    else:
        raise CellError("is not a number")
    if not math.isfinite(result):
        raise CellError("is not a finite number")
    return result


def bounded(value: float | None, column: str) -> float | None:
    """`value` when it is inside the documented magnitude range of `column` (Limits)."""
    why = None if value is None else limit_error(column, value)
    if why:
        raise CellError(why)
    return value


def _number_hint(text: str) -> str:
    """Why a text that looks almost like a number is not one."""
    if text.endswith("%") and _parses(text[:-1]):
        return " (write 25 % as 0.25)"
    if "," in text and _parses(text.replace(",", "")):
        return " (remove the thousands separators)"
    return ""


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def yes_no(value: object) -> bool | None:
    """yes/no/y/n/true/false/1/0 in any case, or an Excel boolean."""
    _check_hazard(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = clean_text(value).casefold()
        if not word:
            return None
        if word in YES:
            return True
        if word in NO:
            return False
    raise CellError("is not one of yes/no, y/n, true/false, 1/0")


def shares(value: object) -> list[tuple[str, float]] | None:
    """Comma-separated `NAME number` pairs (`Nd 0.23, Pr 0.07`, `United States 0.2`): the
    number is the pair's last word, each in 0..1, a name at most once, the numbers adding
    up to at most 1 (SPEC §1). The names are checked against their registry later."""
    text = label(value)
    if text is None:
        return None
    found: list[tuple[str, float]] = []
    for piece in text.split(","):
        words = clean_text(piece).rsplit(None, 1)
        if not words:
            continue
        if len(words) != 2 or not _parses(words[1]):
            raise CellError(f"has {piece.strip()!r}, not a name followed by a number")
        name, share = words[0], float(words[1])
        if not (math.isfinite(share) and 0 <= share <= 1):
            raise CellError(f"gives {name} {words[1]}, not a share between 0 and 1")
        if any(canonical_name(name) == canonical_name(known) for known, _ in found):
            raise CellError(f"names {name} twice")
        found.append((name, share))
    total = sum(share for _, share in found)
    if total > 1 + SHARE_TOLERANCE:
        raise CellError(f"adds up to {total:g}, more than 1")
    return found or None


def items(value: object) -> list[str] | None:
    """A comma-separated list of labels (`Nd, Pr`)."""
    text = label(value)
    if text is None:
        return None
    return [part for part in (clean_text(piece) for piece in text.split(",")) if part]
