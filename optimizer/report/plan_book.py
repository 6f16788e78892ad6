"""Plan tables → the plan workbook of SPEC §4 (plus Dashboard and analyses), atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from optimizer.plan.changes import Changes
from optimizer.plan.onboarding import MARGINALS_NOTE
from optimizer.plan.tables import PlanTables
from optimizer.problems import Problem, show_value
from optimizer.report.dashboard import write_plan_dashboard
from optimizer.report.targets import atomic_file
from optimizer.report.writer import WORKBOOK_OPTIONS, Column, Writer, columns_of, kind_of

MARGINAL_FRAMES = ("capacity", "limits", "marginal_costs", "unused")
"""The review tables whose values are duals: an integer plan notes where they come from."""
WARNING_COLUMNS = [
    Column(name) for name in ("severity", "sheet", "cell", "column", "value", "message")
]


def warning_rows(warnings: Sequence[Problem]) -> list[list[object]]:
    """One row per warning: severity, where, what."""
    return [
        [
            "warning" if problem.warning else "error",
            problem.sheet,
            problem.cell or None,
            problem.column,
            show_value(problem.value) or None,
            problem.message,
        ]
        for problem in warnings
    ]


def write_summary(writer: Writer, summary: dict[str, object]) -> None:
    """The Summary sheet, each value in the format of its metric."""
    sheet = writer.book.add_worksheet("Summary")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 70)
    sheet.write_string(0, 0, "metric", writer.header)
    sheet.write_string(0, 1, "value", writer.header)
    for row, (metric, value) in enumerate(summary.items(), start=1):
        sheet.write_string(row, 0, metric)
        writer.cell(sheet, row, 1, value, kind_of(metric))
    sheet.freeze_panes(1, 0)


def write_changes(writer: Writer, changes: Changes) -> None:
    """The Changes sheet: what moved against the last successful run, and why."""
    sheet = writer.book.add_worksheet("Changes")
    title = writer.book.add_format({"bold": True, "font_size": 12})
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 10, 18)
    row = 0
    for label, value in changes.heading:
        sheet.write_string(row, 0, label, title if row == 0 else writer.text)
        writer.cell(sheet, row, 1, value, kind_of(label))
        row += 1
    sections = (
        ("Plan changes (per supplier, material, site and period)", changes.plan),
        ("Suppliers new to the plan or dropped from it", changes.suppliers),
        ("Input changes that explain them", changes.inputs),
    )
    for heading, frame in sections:
        row += 1
        sheet.write_string(row, 0, f"{heading}: {len(frame)} row(s)", title)
        rows = list(frame.itertuples(index=False, name=None))
        row = writer.block(sheet, row + 1, columns_of(frame), rows)


def write_plan_workbook(tables: PlanTables, target: Path, changes: Changes | None = None) -> None:
    """Write the plan workbook atomically to `target`.

    Dashboard first, then the sheets of SPEC §4 (Summary, Plan, Stock, Mix, Capacity,
    Warnings), Changes for a nightly run, the analyses (Limits, Marginal costs, Unused
    offers, Exposure, Licensed, Shortfalls), Onboarding for an integer plan (SPEC §7), and
    the chart data last.
    """
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book, str(tables.summary["currency"]))
        dashboard = book.add_worksheet("Dashboard")
        write_summary(writer, tables.summary)
        if changes is not None:
            write_changes(writer, changes)
        writer.frame("Plan", tables.plan)
        short = {"shortfall": "alarm", "floor_gap": "alarm", "cover_gap": "alarm"}
        writer.frame("Stock", tables.stock, short)
        writer.frame("Mix", tables.mix)
        marginals = [writer.frame("Capacity", tables.capacity, {"utilisation": "bar"})]
        writer.table("Warnings", WARNING_COLUMNS, warning_rows(tables.warnings))
        marginals.append(writer.frame("Limits", tables.limits))
        marginals.append(writer.frame("Marginal costs", tables.marginal_costs))
        marginals.append(writer.frame("Unused offers", tables.unused))
        if tables.summary.get("integer_model") == "yes":
            for sheet, frame in zip(marginals, MARGINAL_FRAMES, strict=True):
                sheet.write_string(0, len(getattr(tables, frame).columns) + 1, MARGINALS_NOTE)
        writer.frame("Exposure", tables.exposure)
        writer.frame("Licensed", tables.licensed_by)
        writer.frame("Shortfalls", tables.shortfalls, {"shortfall_t": "alarm"})
        if not tables.onboarded.empty:
            writer.frame("Onboarding", tables.onboarded)
        write_plan_dashboard(writer, dashboard, tables)
        writer.close(temporary)
