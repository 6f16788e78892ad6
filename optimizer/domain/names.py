"""Identifiers matched ignoring case and spacing, with a hint for the ones not found.

Names are compared after Unicode NFC normalisation (an accented letter typed as one
character or as a letter plus a combining accent is the same name) and without
invisible characters (Unicode category Cf: zero-width spaces and joiners, the byte-order
mark, bidi marks; and every other default-ignorable code point: soft hyphen, combining
grapheme joiner, variation selectors, Hangul fillers), the same in headers, sheet names
and values. Any run of spaces, non-breaking ones included, counts as one `_`.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Protocol

from optimizer.problems import Problems

Row = dict[str, Any]
"""One typed row of a sheet: column → value as read (text, number, yes/no, list, None),
and `_row`, its Excel row number."""

SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Characters that reorder text on screen (a right-to-left override can make `anihC`
display as `China`); refused in labels and text so that none reaches a plan."""


IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
"""Unicode's default-ignorable code points (DerivedCoreProperties): characters that show
nothing, such as the soft hyphen, the combining grapheme joiner, variation selectors and
Hangul fillers, besides the format characters of category Cf."""


def visible(text: str) -> str:
    """`text` in NFC with every format character (category Cf) and every other
    default-ignorable character removed: what is left is what the user sees."""
    normal = unicodedata.normalize("NFC", text)
    return IGNORABLE.sub("", "".join(char for char in normal if unicodedata.category(char) != "Cf"))


def canonical(name: object) -> str:
    """Header or key as matched: NFC, no format characters, trimmed, lower case, `_` spaces."""
    return _canonical_text(str(name))


@functools.lru_cache(maxsize=1 << 16)
def _canonical_text(text: str) -> str:
    """`canonical` of a text, remembered: a workbook names few sites, materials and
    periods, each on thousands of rows (at 1M deliveries 0.7 s of normalising the same
    words again)."""
    return SPACES.sub("_", visible(text).strip()).casefold()


class Located(Protocol):
    """A sheet that can say where a cell is (the workbook's typed tables do)."""

    def where(self, row: Row | None, column: str | None = None) -> dict:
        """Location keywords for a problem about `column` of `row`."""
        ...


class Names:
    """The identifiers of one sheet, matched ignoring case and spacing."""

    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.display: dict[str, str] = {}
        self.first_row: dict[str, object] = {}

    def declare(self, name: str, table: Located, row: Row, column: str, problems: Problems) -> bool:
        """Add a name; a repeat is an error naming the first row. True when new."""
        key = canonical(name)
        if key in self.display:
            problems.add(
                f"is listed twice in {self.sheet} (first in row {self.first_row[key]})",
                value=name,
                **table.where(row, column),
            )
            return False
        self.display[key] = name
        self.first_row[key] = row["_row"]
        return True

    def __contains__(self, name: object) -> bool:
        return canonical(name) in self.display

    def get(self, name: str) -> str | None:
        """The declared spelling of `name`, or None."""
        return self.display.get(canonical(name))

    def resolve(
        self, name: object, table: Located, row: Row, column: str, problems: Problems
    ) -> str | None:
        """The declared spelling of a reference; an error with a hint when unknown."""
        if name is None:
            return None
        found = self.get(str(name))
        if found is None:
            problems.add(
                f"is not in {self.sheet}{hint(str(name), self.display.values())}",
                value=name,
                **table.where(row, column),
            )
        return found


def hint(name: str, known: Iterable[str]) -> str:
    """`; did you mean "China"?` or a short list of what is known."""
    known = list(known)
    by_key = {canonical(k): k for k in known}
    close = difflib.get_close_matches(canonical(name), list(by_key), n=1, cutoff=0.6)
    if close:
        return f'; did you mean "{by_key[close[0]]}"?{_lookalikes(name, by_key[close[0]])}'
    if not known:
        return " (that sheet is empty or missing)"
    listed = ", ".join(known[:6]) + (", ..." if len(known) > 6 else "")
    return f" (known: {listed})"


def _lookalikes(name: str, known: str) -> str:
    """Why two names that look the same are not: the characters that differ, by code point."""
    typed, meant = canonical(name), canonical(known)
    if len(typed) != len(meant):
        return ""
    differ = [(a, b) for a, b in zip(typed, meant, strict=True) if a != b]
    if not differ or not all(max(map(ord, pair)) > 127 for pair in differ):
        return ""
    listed = ", ".join(
        f"U+{ord(a):04X} {unicodedata.name(a, '?')} where it has "
        f"U+{ord(b):04X} {unicodedata.name(b, '?')}"
        for a, b in differ[:3]
    )
    return f" (they differ only in characters that look alike: this name has {listed})"
