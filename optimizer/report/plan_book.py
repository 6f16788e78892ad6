"""Plan tables → the plan workbook of SPEC §4 (plus Dashboard and analyses), atomically."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import xlsxwriter

from optimizer.plan import spend
from optimizer.plan.changes import Changes
from optimizer.plan.onboarding import MARGINALS_NOTE
from optimizer.plan.orders import orders, periods_of
from optimizer.plan.summary import COST_TERMS
from optimizer.plan.tables import PlanTables
from optimizer.problems import Problem, show_value
from optimizer.report.columns import spec_of
from optimizer.report.dashboard import CHART_DATA, write_plan_dashboard
from optimizer.report.targets import atomic_file
from optimizer.report.writer import (
    FOOTER,
    PRINTED_ROWS,
    WORKBOOK_OPTIONS,
    Column,
    Writer,
    columns_of,
    not_printed,
    page_header,
    print_first,
    print_setup,
    safe_text,
)

MARGINAL_SHEETS = ("Capacity", "Savings", "Limits", "Marginal costs", "Unused offers")
"""The review sheets priced on the plan's LP: an integer plan notes where they come from."""
WARNING_COLUMNS = [
    Column(name) for name in ("severity", "scenario", "sheet", "cell", "column", "value", "message")
]


def warning_rows(warnings: Sequence[Problem]) -> list[list[object]]:
    """One row per warning: severity, where, what (a cell only when its column is known)."""
    return [
        [
            "warning" if problem.warning else "error",
            problem.scenario,
            problem.sheet,
            problem.cell if problem.column_index is not None else None,
            problem.column,
            show_value(problem.value) or None,
            problem.message,
        ]
        for problem in warnings
    ]


def write_summary(writer: Writer, summary: Mapping[str, object]) -> None:
    """The Summary sheet (SPEC §4: exactly the columns `metric`, `value`, which scripts
    read as pairs): each metric shown by its label with its unit, explained in words in
    a note on it, its value in the format of its specification; one printed page."""
    sheet = writer.book.add_worksheet("Summary")
    wrap = writer.book.add_format({"text_wrap": True, "valign": "top"})
    labels = [spec_of(metric).header(writer.currency) for metric in summary]
    sheet.set_column(0, 0, max(len(label) for label in labels) + 2)
    sheet.set_column(1, 1, 44)
    for col, name in enumerate(("metric", "value")):
        writer.header_cell(sheet, 0, col, name)
    for row, (metric, value) in enumerate(summary.items(), start=1):
        writer.header_cell(sheet, row, 0, metric, heading=False)
        if isinstance(value, str) and len(value) > 44:
            sheet.write_string(row, 1, safe_text(value)[0], wrap)
            sheet.set_row(row, 15 * min(-(-len(value) // 42), 12))
        else:
            writer.cell(sheet, row, 1, value, spec_of(metric).kind)
        meaning = METRIC_WORDS.get(metric) or (spend.words(metric) if metric in COST_TERMS else "")
        if meaning:
            sheet.write_comment(row, 0, meaning, {"x_scale": 2.2, "y_scale": 0.6})
    sheet.freeze_panes(1, 0)
    sheet.set_paper(9)
    sheet.set_portrait()
    sheet.fit_to_pages(1, 1)
    sheet.print_area(0, 0, len(summary), 1)
    sheet.set_footer(FOOTER)


METRIC_WORDS = {
    "objective": "what the plan minimises: cash spend + modelled costs",
    "cash_spend": "paid out: purchase, tariffs, freight, onboarding, conversion, take-or-pay",
    "penalties": "shortage + safety penalties (prices of unmet needs, not paid)",
    "shortfall_t": "demand left unmet by the plan, every licence granted",
    "purchased_t": "tonnes bought over the horizon",
    "made_t": "tonnes made by recipes at the buyer's sites",
    "licensed_share": "share of the tonnes bought under an export licence",
    "solve_seconds": "time HiGHS took to solve the model",
    "mip_gap": "how far from the best possible plan this one is proved to be at most",
    "input_sha256": "fingerprint of the input workbook",
    "demand_factor": "the scenario's multiplier on demand",
    "delivery_variables": "size of the model: possible deliveries",
    "suppliers_used": "distinct suppliers that deliver anything",
    "offers_used": "distinct (supplier, material) offers that deliver anything",
    "integer_model": "yes: onboarding costs or minimum lots make this an integer plan",
}


def write_changes(writer: Writer, changes: Changes) -> None:
    """The Changes sheet: what moved against the last successful run, and why."""
    sheet = writer.book.add_worksheet("Changes")
    title = writer.book.add_format({"bold": True, "font_size": 12})
    widths = [36] + [14] * 9
    row = 0
    for label, value in changes.heading:
        sheet.write_string(row, 0, label, title if row == 0 else writer.text)
        writer.cell(sheet, row, 1, value, spec_of(label).kind)
        row += 1
    sections = (
        ("Input changes since the last run", changes.inputs),
        ("Plan changes per supplier and material (all sites and periods)", changes.by_supplier),
        ("Suppliers new to the plan or dropped from it", changes.suppliers),
        ("Plan changes per supplier, material, site and period", changes.plan),
        ("Runs of recipes moved per recipe, site and start period", changes.runs),
    )
    for heading, frame in sections:
        if heading.startswith("Runs") and frame.empty:
            continue
        row += 1
        sheet.write_string(row, 0, f"{heading}: {len(frame)} row(s)", title)
        rows = list(frame.itertuples(index=False, name=None))
        for values in [tuple(frame.columns), *rows[:500]]:
            for col, value in enumerate(values):
                widths[col] = max(widths[col], min(len(str(value)) + 2, 50))
        row = writer.block(sheet, row + 1, columns_of(frame), rows)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    print_setup(sheet, row, len(widths))


REFERENCE_SHEETS = {
    "Plan": "plan", "Stock": "stock", "Production": "production", "Limits": "limits",
    "Marginal costs": "marginal_costs", "Elements": "elements",
}  # fmt: skip
"""Long sheets whose first page only is printed (the example plan prints in ≤ 25 pages)."""
LISTS = {
    "Capacity": "capacity", "Shortfalls": "shortfalls", "Unused offers": "unused",
    "Savings": "savings", "Exposure": "exposure", "Licensed": "licensed_by",
}  # fmt: skip
"""Other sheets that may have no rows; an empty one says so on its printed page."""
UNPRINTED = {
    "Capacity": "Capacity: not printed; the binding capacities print on Limits and Savings.",
    CHART_DATA: "Chart data: the numbers behind the Dashboard charts.",
}
"""Sheets whose figures print elsewhere, and the line their page says so in."""


def since_last_run(changes: Changes) -> str:
    """Page 1's line on what changed since the last run (the Changes sheet has it all)."""
    heading = dict(changes.heading)
    against = heading.get("Changes against run")
    if against is None:
        return str(heading.get("Changes", "no earlier run"))
    moves = changes.by_supplier
    tonnes = float(moves["change_t"].abs().sum()) if len(moves) else 0.0
    return (
        f"Since run {str(against).split(' ')[0]}: {len(changes.inputs)} input change(s); "
        f"{len(moves)} supplier and material line(s) moved, {tonnes:,.3f} t in all "
        "(Changes sheet)."
    )


PLAN_NOTE = (
    "Risk cost is modelled, never paid: risk weight × expected share denied × the "
    "material's disruption cost per t × t."
)
"""The Plan sheet's printed line on its one column that is not money paid."""


def _print_pack(book: xlsxwriter.Workbook, tables: PlanTables) -> None:
    """Keep the printed plan short and every caveat on the printed page: the reference
    sheets print their first page, the orders those due in the first three periods,
    Capacity and the chart data only a line on where their figures are; the sheets
    priced on the plan's LP say so when the plan is integer, the Plan sheet what its
    risk cost is, an empty list that it is empty."""
    licensed = float(tables.exposure["licensed_t"].sum()) if len(tables.exposure) else 0.0
    headers: dict[str, list[str]] = {
        "Plan": [PLAN_NOTE],
        "Licensed": [
            "Element view: a material is counted once under each licensed element it holds, "
            f"so the tonnes add up to more than the {licensed:,.1f} t bought under licence "
            "(Exposure: per material)."
        ],
    }
    for name, field in {**REFERENCE_SHEETS, **LISTS}.items():
        if not len(getattr(tables, field)):
            headers.setdefault(name, []).append(f"{name}: nothing to list for this plan.")
    for name, field in REFERENCE_SHEETS.items():
        sheet, frame = book.get_worksheet_by_name(name), getattr(tables, field)
        if sheet is not None and len(frame) > PRINTED_ROWS:
            headers.setdefault(name, []).insert(
                0, print_first(sheet, len(frame), len(frame.columns), name)
            )
    if tables.summary.integer_model == "yes":
        for name in MARGINAL_SHEETS:
            headers.setdefault(name, []).append(MARGINALS_NOTE)
    table = orders(tables.plan, periods_of(tables))
    soon = int(table["order_by"].isin(periods_of(tables)[:3]).sum())
    sheet = book.get_worksheet_by_name("Orders")
    if sheet is not None and len(table) > soon:
        sheet.print_area(0, 0, max(soon, 1), len(table.columns) - 1)
        headers["Orders"] = [
            f"Orders: the {soon} orders due in the first three periods are printed; "
            f"the workbook holds all {len(table)}."
        ]
    for name, line in UNPRINTED.items():
        sheet = book.get_worksheet_by_name(name)
        if sheet is not None:
            headers.setdefault(name, []).insert(0, not_printed(sheet, line))
    for name, lines in headers.items():
        sheet = book.get_worksheet_by_name(name)
        if sheet is not None:
            page_header(sheet, lines)


def write_plan_workbook(tables: PlanTables, target: Path, changes: Changes | None = None) -> None:
    """Write the plan workbook atomically to `target`.

    Dashboard first, then the sheets of SPEC §4 (Summary, Plan, Stock, Mix, Capacity,
    Warnings), Changes for a nightly run, Production and Make or buy when the buyer runs
    recipes (SPEC v3 §8), Contracts for take-or-pay offers (SPEC v3 §2), the analyses
    (Limits, Marginal costs, Unused offers, Exposure,
    Licensed, Elements when materials give their content, Shortfalls), Onboarding for an
    integer plan (SPEC §7), and the chart data last.
    """
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book, tables.summary.currency)
        dashboard = book.add_worksheet("Dashboard")
        write_summary(writer, tables.summary.as_record())
        if changes is not None:
            write_changes(writer, changes)
        writer.frame("Orders", orders(tables.plan, periods_of(tables)))
        writer.frame("Plan", tables.plan)
        short = {"shortfall": "alarm", "floor_gap": "alarm", "cover_gap": "alarm"}
        writer.frame("Stock", tables.stock, short)
        writer.frame("Mix", tables.mix)
        if not tables.production.empty:
            writer.frame("Production", tables.production, {"utilisation": "bar"})
            writer.frame("Make or buy", tables.make_or_buy, {"made_share": "bar"})
        if not tables.contracts.empty:
            writer.frame("Contracts", tables.contracts, {"not_taken_t": "alarm"})
        writer.frame("Capacity", tables.capacity, {"utilisation": "bar"})
        writer.table("Warnings", WARNING_COLUMNS, warning_rows(tables.warnings))
        writer.frame("Savings", tables.savings)
        writer.frame("Limits", tables.limits)
        writer.frame("Marginal costs", tables.marginal_costs)
        writer.frame("Unused offers", tables.unused)
        writer.frame("Exposure", tables.exposure)
        writer.frame("Licensed", tables.licensed_by)
        if not tables.elements.empty:
            writer.frame("Elements", tables.elements)
            writer.frame("Element countries", tables.element_countries)
        writer.frame("Shortfalls", tables.shortfalls, {"shortfall_t": "alarm"})
        if not tables.onboarded.empty:
            writer.frame("Onboarding", tables.onboarded)
        write_plan_dashboard(writer, dashboard, tables)
        if changes is not None:
            dashboard.write_string(2, 0, since_last_run(changes), writer.text)
        _print_pack(book, tables)
        writer.close(temporary)
