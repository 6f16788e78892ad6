"""Read the sheets of an input workbook into raw tables (values as typed by the user).

Headers are matched case-insensitively after trimming, with spaces standing for `_`.
The header is the first non-empty row; rows keep their Excel row numbers so every
later message can point at the cell to fix.

Hidden sheets, rows and columns are read like visible ones (a filter hides rows too,
and a filtered table is still the whole table), and each is a warning that names it, so
nothing is read or dropped without a word (inputs/README.md, Hidden rows and sheets).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as calamine

from optimizer.domain.names import SPACES, canonical
from optimizer.problems import Hazard, InputError, Problem, Problems, column_letter
from optimizer.workbook.container import Container, open_container


@dataclass(frozen=True)
class RawSheet:
    """One sheet as the user typed it: headers and non-empty rows with Excel row numbers."""

    name: str
    header_row: int
    headers: dict[str, int]
    """canonical header → 0-based column"""
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    typed: dict[int, object] = field(default_factory=dict)
    """0-based column → the header cell as written"""

    def value(self, cells: list[object], column: str) -> object:
        """The raw value of `column` in one row ('' when the column is absent)."""
        index = self.headers.get(column)
        return cells[index] if index is not None and index < len(cells) else ""


@dataclass(frozen=True)
class RawWorkbook:
    """The readable sheets of a workbook, keyed by canonical sheet name."""

    path: Path
    sha256: str
    sheets: dict[str, RawSheet]
    sheet_names: dict[str, str]
    """Canonical name → name as written, for every sheet of the workbook."""


def is_blank(value: object) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or (isinstance(value, str) and not SPACES.sub("", value))


def _merged_problems(
    sheet: str, merged: Iterable[tuple[tuple[int, int], tuple[int, int]]], first_row: int
) -> list[Problem]:
    problems = []
    for (r0, c0), (r1, c1) in merged:
        if r1 < first_row:
            continue
        span = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
        problems.append(
            Problem(
                f"cells {span} are merged: unmerge them and fill in every cell",
                sheet=sheet,
                row=r0 + 1,
                column_index=c0,
            )
        )
    return problems


def _header(
    sheet: str, row_number: int, cells: list[object], known: set[str], problems: Problems
) -> dict[str, int]:
    headers: dict[str, int] = {}
    for index, cell in enumerate(cells):
        where = {"sheet": sheet, "row": row_number, "column_index": index}
        if isinstance(cell, Hazard):
            problems.add(f"header {cell.reason}", **where)
            continue
        if is_blank(cell):
            continue
        name = canonical(cell)
        if name in headers:
            problems.add(
                f"duplicate column header (also in column {column_letter(headers[name])})",
                value=cell,
                **where,
            )
            continue
        if name not in known:
            problems.warn("unknown column, ignored", value=cell, **where)
        headers[name] = index
    return headers


def _blank_header_problems(
    sheet: str, headers: dict[str, int], rows: list[tuple[int, list[object]]]
) -> list[Problem]:
    used = set(headers.values())
    problems = []
    for row_number, cells in rows:
        for index, cell in enumerate(cells):
            if index not in used and not is_blank(cell):
                used.add(index)
                problems.append(
                    Problem(
                        "has a value under a blank header: name the column or delete it",
                        sheet=sheet,
                        row=row_number,
                        column_index=index,
                        value=cell,
                    )
                )
    return problems


def _spans(numbers: list[int]) -> str:
    """`5`, `5-7, 9` for sorted numbers."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def _hidden_problems(
    container: Container, name: str, rows: list[int], headers: dict[str, int], typed: dict
) -> list[Problem]:
    """A warning for the hidden rows (Excel numbers) that hold data, and one per hidden
    column with a header: they are read, and the user should know."""
    hidden_rows, hidden_columns = container.hidden(name)
    found = []
    shown = [row for row in rows if row - 1 in hidden_rows]
    if shown:
        which = f"rows {_spans(shown)} are" if len(shown) > 1 else f"row {shown[0]} is"
        found.append(
            Problem(
                f"{which} hidden in Excel (hidden, or filtered out) but read like the others: "
                "unhide to check, or delete what reopt should not read",
                sheet=name,
                row=shown[0],
                warning=True,
            )
        )
    for index in sorted(set(headers.values()) & hidden_columns):
        found.append(
            Problem(
                "column is hidden in Excel but read like the others: unhide it to check it, "
                "or delete it if reopt should not read it",
                sheet=name,
                row=rows[0],
                column_index=index,
                value=typed[index],
                warning=True,
            )
        )
    return found


def _read_sheet(
    container: Container,
    sheet: calamine.CalamineSheet,
    known_columns: set[str],
    problems: Problems,
) -> RawSheet | None:
    name = sheet.name
    if name not in container.sheet_parts:  # open_container refuses such a file: never read blind
        problems.add("cannot be matched to its part of the file; save it again", sheet=name)
        return None
    grid = [list(row) for row in sheet.to_python(skip_empty_area=False)]
    for (row, col), (reason, shown) in container.cell_hazards(name).items():
        # calamine's grid ends at its last value: a broken cell beyond it still counts
        grid.extend([] for _ in range(row + 1 - len(grid)))
        grid[row].extend("" for _ in range(col + 1 - len(grid[row])))
        grid[row][col] = Hazard(reason, shown)
    non_empty = [
        (index, cells) for index, cells in enumerate(grid) if not all(map(is_blank, cells))
    ]
    if not non_empty:
        problems.warn("sheet is empty, ignored", sheet=name)
        return None
    header_index, header_cells = non_empty[0]
    problems.extend(_merged_problems(name, sheet.merged_cell_ranges or (), header_index))
    headers = _header(name, header_index + 1, header_cells, known_columns, problems)
    rows = [(index + 1, cells) for index, cells in non_empty[1:]]
    problems.extend(_blank_header_problems(name, headers, rows))
    typed = {index: header_cells[index] for index in headers.values()}
    numbers = [header_index + 1] + [number for number, _ in rows]
    problems.extend(_hidden_problems(container, name, numbers, headers, typed))
    return RawSheet(name, header_index + 1, headers, rows, typed)


def read_workbook(
    path: Path,
    schema: dict[str, set[str]],
    ignored: set[str],
    problems: Problems,
    container: Container | None = None,
) -> RawWorkbook:
    """Read every sheet named in `schema` (canonical sheet → known columns).

    Sheets in `ignored` are documentation and are skipped silently; other unknown or
    hidden sheets are reported as warnings. Cell-level problems go to `problems`;
    a file that cannot be read at all raises `InputError` at once. `container`: the
    file's bytes already read and checked (the nightly job keeps them as its input copy).
    """
    container = container or open_container(path)
    sheets: dict[str, RawSheet] = {}
    names: dict[str, str] = {}
    try:
        with calamine.CalamineWorkbook.from_filelike(io.BytesIO(container.data)) as book:
            for meta in book.sheets_metadata:
                key = canonical(meta.name)
                if key in names:
                    problems.add(f"same sheet as {names[key]!r}: keep only one", sheet=meta.name)
                    continue
                names[key] = meta.name
                if meta.typ != calamine.SheetTypeEnum.WorkSheet or key in ignored:
                    continue
                if key not in schema:
                    problems.warn("unknown sheet, ignored", sheet=meta.name)
                    continue
                if meta.visible != calamine.SheetVisibleEnum.Visible:
                    problems.warn(
                        "sheet is hidden in Excel but is read: unhide it to check it, or "
                        "delete it if reopt should not read it",
                        sheet=meta.name,
                    )
                sheet = book.get_sheet_by_name(meta.name)
                raw = _read_sheet(container, sheet, schema[key], problems)
                if raw is not None:
                    sheets[key] = raw
    except calamine.PasswordError:
        raise _unreadable(path, "is password-protected: remove the password") from None
    except (calamine.CalamineError, calamine.XmlError, calamine.ZipError, ValueError):
        raise _unreadable(path, "is corrupt: its sheets cannot be read; save it again") from None
    return RawWorkbook(path, container.sha256, sheets, names)


def _unreadable(path: Path, message: str) -> InputError:
    return InputError(str(path), [Problem(message)])
