"""The what-if workbooks: scenarios compared side by side, or a licence sweep."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from optimizer.plan.outcomes import Comparison, Sweep
from optimizer.report.comparison_board import COMPARISON, write_comparison_dashboard
from optimizer.report.plan_book import WARNING_COLUMNS, warning_rows, write_summary
from optimizer.report.targets import atomic_file
from optimizer.report.writer import WORKBOOK_OPTIONS, Writer, not_printed, page_header


def scenario_highlights(comparison: Comparison) -> pd.DataFrame:
    """Per scenario: its description, expected denied tonnes and the limit whose stated
    relaxation saves most (exact, re-solved; see `plan.savings`)."""
    rows = []
    for result in comparison.results:
        row: dict[str, object] = {
            "scenario": result.scenario,
            "description": comparison.descriptions.get(result.scenario),
        }
        if result.tables is not None:
            exposure, savings = result.tables.exposure, result.tables.savings
            row["expected_denied_t"] = float(exposure["expected_denied_t"].sum())
            if len(savings):
                top = savings.iloc[0]
                row["top_limit"] = f"{top['limit']}: {top['subject']}, {top['relaxation']}"
                row["top_limit_saving"] = float(top["saving"])
        rows.append(row)
    columns = ["scenario", "description", "expected_denied_t", "top_limit", "top_limit_saving"]
    return pd.DataFrame(rows).reindex(columns=columns)


def write_comparison_workbook(
    comparison: Comparison, target: Path, summary: dict[str, object]
) -> None:
    """Dashboard (the scenarios side by side, charts), Comparison (one row per scenario),
    Summary, Plan and Mix with a scenario column, Warnings. The printed pack is the
    Dashboard, the Summary, the first page of Plan and Mix and the Warnings."""
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book, str(summary.get("currency", "USD")))
        dashboard = book.add_worksheet("Dashboard")
        table = writer.frame(COMPARISON, comparison.table)
        line = f"{COMPARISON}: one row per scenario; printed as the Dashboard."
        page_header(table, [not_printed(table, line)])
        write_comparison_dashboard(
            writer, dashboard, comparison.table, scenario_highlights(comparison)
        )
        write_summary(writer, summary)
        writer.reference("Plan", comparison.plan)
        writer.reference("Mix", comparison.mix)
        writer.table("Warnings", WARNING_COLUMNS, warning_rows(comparison.warnings))
        writer.close(temporary)


def write_sweep_workbook(sweep: Sweep, target: Path, summary: dict[str, object]) -> None:
    """Risk (percentiles), Suppliers (how often used), Samples (one row per draw)."""
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book, str(summary.get("currency", "USD")))
        writer.frame("Risk", sweep.risk)
        write_summary(writer, summary)
        writer.reference("Suppliers", sweep.suppliers)
        writer.reference("Samples", sweep.samples)
        writer.close(temporary)
