"""Identifiers matched ignoring case and spacing, with a hint for the ones not found."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Protocol

from optimizer.problems import Problems

Row = dict[str, object]

SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


def canonical(name: object) -> str:
    """Header or key as matched: trimmed, lower case, runs of spaces as `_`."""
    return SPACES.sub("_", str(name).strip()).casefold()


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
        return f'; did you mean "{by_key[close[0]]}"?'
    if not known:
        return " (that sheet is empty or missing)"
    listed = ", ".join(known[:6]) + (", ..." if len(known) > 6 else "")
    return f" (known: {listed})"
