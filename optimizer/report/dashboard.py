"""The Dashboard sheets: a plan, or a set of scenarios, at a glance.

The plan Dashboard shows the headline cost and its terms, tonnes short and licensed,
the largest country share per material, the five limits whose relaxation would save
most, a stacked chart of purchases by shipping country per period, and for the
materials bought most a chart of stock against its floor and licence cover. Chart series
come from the `Chart data` sheet, so every number drawn can be read.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from optimizer.plan.tables import COST_TERMS, PlanTables
from optimizer.report.writer import Column, Writer, columns_of, kind_of

CHART_DATA = "Chart data"
STOCK_CHARTS = 6
"""Materials with a stock chart (the most bought ones)."""


def _series(sheet: str, header: int, first: int, last: int, col: int) -> dict[str, list]:
    """A chart series over rows first..last of a column, named by its header, with the
    labels of column A as categories."""
    return {
        "name": [sheet, header, col],
        "categories": [sheet, first, 0, last, 0],
        "values": [sheet, first, col, last, col],
    }


def _title(writer: Writer, sheet: Worksheet, text: str, note: str) -> None:
    """Title and note, and a print layout of one landscape page wide."""
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    big = writer.book.add_format({"bold": True, "font_size": 14})
    sheet.write_string(0, 0, text, big)
    sheet.write_string(1, 0, note)


def _metrics(writer: Writer, sheet: Worksheet, row: int, pairs: list[tuple[str, object]]) -> int:
    row = writer.block(sheet, row, [Column("metric"), Column("value")], [])
    for metric, value in pairs:
        sheet.write_string(row, 0, metric)
        writer.cell(sheet, row, 1, value, kind_of(metric))
        row += 1
    return row + 1


def _section(writer: Writer, sheet: Worksheet, row: int, heading: str, frame: pd.DataFrame) -> int:
    bold = writer.book.add_format({"bold": True})
    sheet.write_string(row, 0, heading, bold)
    rows = list(frame.itertuples(index=False, name=None))
    return writer.block(sheet, row + 1, columns_of(frame), rows) + 1


def top_shares(tables: PlanTables) -> pd.DataFrame:
    """Per material: the country most tonnes ship from, its share, and the HHI."""
    mix = tables.mix
    if mix.empty:
        return pd.DataFrame(columns=["material", "country", "shipped_share", "hhi"])
    totals = mix.groupby("material")["shipped_from_t"].transform("sum")
    mix = mix.assign(shipped_share=mix["shipped_from_t"] / totals)
    top = mix.sort_values("shipped_share", ascending=False).drop_duplicates("material")
    hhi = tables.exposure.set_index("material")["hhi"]
    top = top.assign(hhi=top["material"].map(hhi))[["material", "country", "shipped_share", "hhi"]]
    order = {name: i for i, name in enumerate(tables.exposure["material"])}
    return top.sort_values("material", key=lambda names: names.map(order)).reset_index(drop=True)


def top_limits(limits: pd.DataFrame, count: int) -> pd.DataFrame:
    """The limits whose relaxation saves most, each summed over the periods it binds in."""
    columns = ["limit", "subject", "binding_periods", "saving_if_relaxed", "relax_by"]
    if limits.empty:
        return pd.DataFrame(columns=columns)
    grouped = limits.groupby(["limit", "subject", "relax_by"], sort=False).agg(
        binding_periods=("period", "count"), saving_if_relaxed=("saving_if_relaxed", "sum")
    )
    grouped = grouped.reset_index().sort_values("saving_if_relaxed", ascending=False)
    return grouped.head(count)[columns].reset_index(drop=True)


def _purchases_by_country(tables: PlanTables, periods: list[str]) -> pd.DataFrame:
    pivot = tables.plan.pivot_table(
        index="period", columns="country", values="quantity", aggfunc="sum", fill_value=0.0
    )
    return pivot.reindex(periods, fill_value=0.0).reset_index()


def _stock_lines(tables: PlanTables) -> dict[str, pd.DataFrame]:
    bought = tables.plan.groupby("material")["quantity"].sum().sort_values(ascending=False)
    lines = {}
    for material in bought.index[:STOCK_CHARTS]:
        rows = tables.stock[tables.stock["material"] == material]
        lines[material] = (
            rows.groupby("period", sort=False)
            .agg(
                stock_t=("closing", "sum"),
                floor_t=("min", "sum"),
                cover_needed_t=("cover_needed", "sum"),
            )
            .reset_index()
        )
    return lines


def write_plan_dashboard(writer: Writer, sheet: Worksheet, tables: PlanTables) -> None:
    """Fill the plan workbook's first sheet; add the chart data sheet it draws from."""
    summary = tables.summary
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 4, 18)
    note = f"{summary['input_file']}, {summary['periods']}, created {summary['created_utc']} UTC"
    _title(writer, sheet, f"Sourcing plan: scenario {summary['scenario']}", note)
    names = ("objective", *COST_TERMS, "shortfall_t", "purchased_t", "licensed_share")
    headline = [(name, summary[name]) for name in names]
    denied = tables.exposure["expected_denied_t"].sum() if len(tables.exposure) else 0.0
    headline.append(("expected_denied_t", float(denied)))
    row = _metrics(writer, sheet, 3, headline)
    row = _section(writer, sheet, row, "Largest shipping country per material", top_shares(tables))
    limits = top_limits(tables.limits, 5)
    _section(writer, sheet, row, "Five limits whose relaxation would save most", limits)
    _charts(writer, sheet, tables)


def _charts(writer: Writer, sheet: Worksheet, tables: PlanTables) -> None:
    data = writer.book.add_worksheet(CHART_DATA)
    purchases = _purchases_by_country(tables, list(tables.stock["period"].unique()))
    end = writer.block(
        data, 0, columns_of(purchases), list(purchases.itertuples(index=False, name=None))
    )
    if len(purchases.columns) > 1:  # a plan that buys nothing has no series to draw
        chart = writer.book.add_chart({"type": "column", "subtype": "stacked"})
        for col in range(1, len(purchases.columns)):
            chart.add_series(_series(CHART_DATA, 0, 1, len(purchases), col))
        chart.set_title({"name": "Purchases by shipping country (t)"})
        chart.set_size({"width": 760, "height": 320})
        sheet.insert_chart(0, 6, chart)
    row = end + 1
    for index, (material, lines) in enumerate(_stock_lines(tables).items()):
        data.write_string(row, 0, material, writer.header)
        first = row + 1
        rows = list(lines.itertuples(index=False, name=None))
        last = writer.block(data, first, columns_of(lines), rows) - 1
        stock = writer.book.add_chart({"type": "line"})
        for col in range(1, 4):
            stock.add_series(_series(CHART_DATA, first, first + 1, last, col))
        stock.set_title({"name": f"{material}: stock, floor and licence cover (t)"})
        stock.set_size({"width": 380, "height": 240})
        sheet.insert_chart(17 + 12 * (index // 2), 6 + 6 * (index % 2), stock)
        row = last + 2


def write_comparison_dashboard(
    writer: Writer, sheet: Worksheet, table: pd.DataFrame, tops: pd.DataFrame
) -> None:
    """Fill the comparison workbook's first sheet: scenarios side by side, two charts."""
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 8, 18)
    _title(writer, sheet, "Scenarios compared", "costs, shortfalls and exposure per scenario")
    headline = table[["scenario", "status", "objective", "change_vs_base_pct", "shortfall_t",
                      "licensed_share"]].merge(tops, on="scenario", how="left")  # fmt: skip
    _section(writer, sheet, 3, "Scenarios", headline)
    rows = len(table)
    cost = writer.book.add_chart({"type": "column", "subtype": "stacked"})
    for term in COST_TERMS:
        cost.add_series(_series("Comparison", 0, 1, rows, table.columns.get_loc(term)))
    cost.set_title({"name": "Cost by scenario"})
    cost.set_size({"width": 760, "height": 360})
    sheet.insert_chart(rows + 7, 0, cost)
    short = writer.book.add_chart({"type": "column"})
    short.add_series(_series("Comparison", 0, 1, rows, table.columns.get_loc("shortfall_t")))
    short.set_title({"name": "Shortfall by scenario (t)"})
    short.set_size({"width": 520, "height": 360})
    sheet.insert_chart(rows + 7, 6, short)
