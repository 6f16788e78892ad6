"""Located problems and the exceptions that carry them to the command line.

Every user mistake becomes a `Problem` that names the sheet, Excel row, column and
value; problems are collected and raised together so one run lists all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class _Blank:
    """The type of `BLANK`: one object, the same after pickling (a warning made in a
    worker process is compared with `is BLANK` in the parent)."""

    def __repr__(self) -> str:
        return "BLANK"

    def __reduce__(self) -> str:
        return "BLANK"


BLANK = _Blank()
"""Marker for 'no value to show' (a missing sheet or column has no cell value)."""


class ExitCode(IntEnum):
    """Exit codes of SPEC §3."""

    OK = 0
    INTERNAL = 1
    BAD_INPUT = 2
    NO_PLAN = 3
    LOCKED = 4
    INTERRUPTED = 130
    """Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)"""


@dataclass(frozen=True)
class Hazard:
    """A cell whose value cannot be trusted (error cell, formula with no saved result)."""

    reason: str
    shown: str


def column_letter(index: int) -> str:
    """Excel column letters for a 0-based column index (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def show_value(value: object) -> str:
    """A cell value as the user would recognise it in an error message."""
    if value is BLANK:
        return ""
    if value is None or value == "":
        return "blank"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Hazard):
        return value.shown
    text = str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return '"' + text.replace("\n", "\\n").replace("\t", "\\t") + '"'


@dataclass(frozen=True)
class Problem:
    """One located problem in an input workbook (or a warning about it)."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    column_index: int | None = None
    value: object = BLANK
    warning: bool = False
    scenario: str | None = None
    """the scenario whose plan the problem is about (None: the workbook, or every scenario)"""

    def __post_init__(self) -> None:
        for name in ("row", "column_index"):  # numpy integers from tables become ints
            number = getattr(self, name)
            if number is not None and not isinstance(number, int):
                object.__setattr__(self, name, int(number))

    @property
    def cell(self) -> str:
        """`Sheet!F7`, `Sheet!7`, `Sheet` or '' depending on what is known."""
        if self.sheet is None:
            return ""
        if self.row is None:
            return self.sheet
        letter = column_letter(self.column_index) if self.column_index is not None else ""
        return f"{self.sheet}!{letter}{self.row}"

    def render(self, file: str | None = None) -> str:
        """One line: `file: Sheet!F7 column: "value" message`."""
        parts = []
        if self.cell and self.column:
            parts += [self.cell, self.column + ":"]
        elif self.cell:
            parts.append(self.cell + ":")
        shown = show_value(self.value)
        if shown:
            parts.append(shown)
        parts.append(self.message)
        text = " ".join(parts)
        if self.scenario is not None:
            text = f"scenario {self.scenario}: {text}"
        return f"{file}: {text}" if file else text

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for `--json` output and the run history."""
        return {
            "sheet": self.sheet,
            "cell": self.cell or None,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is BLANK else show_value(self.value),
            "message": self.message,
            "severity": "warning" if self.warning else "error",
            "scenario": self.scenario,
        }


def for_scenario(
    problems: Iterable[Problem], scenario: str, workbook: Iterable[Problem] = ()
) -> list[Problem]:
    """`problems` of one scenario's plan, each naming the scenario, except those that are
    about the workbook as a whole (`workbook`: the input's own warnings), left as they are."""
    shared = {problem.render() for problem in workbook}
    return [
        problem if problem.render() in shared else dataclasses.replace(problem, scenario=scenario)
        for problem in problems
    ]


def distinct(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once, in first-seen order (many plans repeat the workbook's warnings)."""
    return list({problem.render(): problem for problem in problems}.values())


@dataclass
class Problems:
    """Collects problems while a workbook is checked; raises once at the end."""

    file: str
    items: list[Problem] = field(default_factory=list)

    def add(self, message: str, **where: Any) -> None:
        """Record an error (`where`: the location fields of `Problem`)."""
        self.items.append(Problem(message, **where))

    def warn(self, message: str, **where: Any) -> None:
        """Record a warning (printed, never fatal)."""
        self.items.append(Problem(message, warning=True, **where))

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add problems found elsewhere."""
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a run."""
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that are only reported."""
        return [p for p in self.items if p.warning]

    def raise_if_errors(self) -> None:
        """Raise `InputError` with every error collected so far."""
        if self.errors:
            raise InputError(self.file, self.errors, self.warnings)


class ReoptError(Exception):
    """Base of the errors that end a run with a message instead of a traceback."""

    exit_code = ExitCode.INTERNAL

    def lines(self) -> list[str]:
        """The message block printed to the user."""
        return [str(self)]


class InputError(ReoptError):
    """The workbook (or a command-line argument naming a file) is unusable."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(
        self, file: str, errors: list[Problem], warnings: list[Problem] | None = None
    ) -> None:
        self.file = file
        self.errors = errors
        self.warnings = warnings or []
        super().__init__(f"{file}: {len(errors)} problem(s)")

    def lines(self) -> list[str]:
        """A header line and one bullet per problem."""
        count = len(self.errors)
        head = f"{self.file}: {count} problem{'s' if count != 1 else ''} to fix"
        return [head + ":"] + ["  - " + p.render(self.file) for p in self.errors]


class UsageError(ReoptError):
    """A command-line request that cannot be carried out as given."""

    exit_code = ExitCode.BAD_INPUT


class OutputError(UsageError):
    """The plan cannot be written where it was asked for."""


class NoPlanError(ReoptError):
    """The solver found no plan: infeasible, time limit without a solution, etc."""

    exit_code = ExitCode.NO_PLAN

    def __init__(self, status: str, explanation: list[str]) -> None:
        self.status = status
        self.explanation = explanation
        super().__init__(f"no plan: {status}")

    def lines(self) -> list[str]:
        """Status line followed by the explanation in business terms."""
        return [f"No plan: {self.status}."] + ["  " + line for line in self.explanation]


class LockedError(ReoptError):
    """Another run holds the lock of the output folder."""

    exit_code = ExitCode.LOCKED
