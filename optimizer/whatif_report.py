"""The what-if workbooks: scenarios compared side by side, or a licence sweep."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from optimizer.output import atomic_file
from optimizer.problems import Problem
from optimizer.report import WARNING_COLUMNS, WORKBOOK_OPTIONS, Writer, warning_rows, write_summary
from optimizer.results import COST_TERMS
from optimizer.whatif import Comparison, Sweep


def _cost_chart(writer: Writer, sheet_name: str, table: pd.DataFrame) -> None:
    """Stacked columns of the cost terms by scenario, beside the Comparison table."""
    rows = len(table)
    if rows == 0:
        return
    chart = writer.book.add_chart({"type": "column", "subtype": "stacked"})
    for term in COST_TERMS:
        col = table.columns.get_loc(term)
        chart.add_series(
            {
                "name": [sheet_name, 0, col],
                "categories": [sheet_name, 1, 0, rows, 0],
                "values": [sheet_name, 1, col, rows, col],
            }
        )
    chart.set_title({"name": "Cost by scenario"})
    chart.set_y_axis({"name": "cost", "num_format": "#,##0"})
    chart.set_size({"width": 760, "height": 380})
    writer.book.get_worksheet_by_name(sheet_name).insert_chart(rows + 3, 0, chart)


def write_comparison_workbook(
    comparison: Comparison, target: Path, summary: dict[str, object], warnings: list[Problem]
) -> None:
    """Comparison (with the cost chart), Plan and Mix with a scenario column, Warnings."""
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book)
        writer.frame("Comparison", comparison.table)
        _cost_chart(writer, "Comparison", comparison.table)
        write_summary(writer, summary)
        writer.frame("Plan", comparison.plan)
        writer.frame("Mix", comparison.mix)
        failures = [
            Problem(
                f"{result.scenario}: {result.status}. " + " ".join(result.explanation), warning=True
            )
            for result in comparison.results
            if not result.solved
        ]
        writer.table("Warnings", WARNING_COLUMNS, warning_rows([*warnings, *failures]))
        writer.close(temporary)


def write_sweep_workbook(sweep: Sweep, target: Path, summary: dict[str, object]) -> None:
    """Risk (percentiles), Suppliers (how often used), Samples (one row per draw)."""
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book)
        writer.frame("Risk", sweep.risk)
        write_summary(writer, summary)
        writer.frame("Suppliers", sweep.suppliers)
        writer.frame("Samples", sweep.samples)
        writer.close(temporary)
