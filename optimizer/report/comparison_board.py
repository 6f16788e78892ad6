"""The what-if Dashboard: the compared scenarios as a board (`scenario_board`), with a
chart of cash spend by scenario stacked by cash term and one of the demand each leaves
unmet; the charts' series come from the Comparison sheet.

Money is split as on the plan Dashboard: cash spend, then the modelled costs (risk,
holding, penalties) that are not paid.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from optimizer.plan import spend
from optimizer.plan.summary import COST_TERMS
from optimizer.plan.values import NOISE
from optimizer.report.dashboard import COUNTRY_COLOURS, chart_series
from optimizer.report.scenario_board import DESCRIPTION, Measure, keyed, write_board
from optimizer.report.writer import Writer
from optimizer.solver.options import PLAN_STATUSES

COMPARISON = "Comparison"


def _modelled(row: pd.Series) -> object:
    objective, cash = row.get("objective"), row.get("cash_spend")
    if isinstance(objective, int | float) and isinstance(cash, int | float):
        return objective - cash
    return None


def _no_plan(row: pd.Series) -> object:
    """Why a scenario has no plan (the Comparison sheet says why any other figure is
    blank, such as the shipped share of a material only made at own sites)."""
    return None if row.get("status") in PLAN_STATUSES else row.get("blank_because")


def _top_country(material: str) -> Callable[[pd.Series], object]:
    def shown(row: pd.Series) -> object:
        country = row.get(f"{material}: top shipping country")
        share = row.get(f"{material}: shipped share")
        if not isinstance(country, str) or not isinstance(share, int | float):
            return None
        return f"{country}, {share:.0%}"

    return shown


def measures(currency: str, materials: list[str]) -> list[Measure]:
    """The Dashboard's rows, top to bottom."""
    return [
        Measure(DESCRIPTION, lambda row: row.get("description")),
        keyed("status", currency),
        keyed("cash_spend", currency),
        Measure(f"Modelled costs, not cash ({currency})", _modelled, "money"),
        keyed("objective", currency, "Objective = cash + modelled"),
        keyed("change_vs_base_pct", currency, "Objective against base"),
        keyed("purchased_t", currency),
        keyed("shortfall_t", currency, "Demand not met, shortfall"),
        keyed("expected_denied_t", currency, "Expected to be denied a licence"),
        keyed("licensed_share", currency, "Bought under export licence"),
        keyed("top_limit", currency, "Limit whose relaxation saves most"),
        keyed("top_limit_saving", currency),
        *[
            Measure(f"{material}: largest shipping country, share", _top_country(material))
            for material in materials
        ],
        Measure("Why there is no plan", _no_plan),
    ]


def write_comparison_dashboard(
    writer: Writer, sheet: Worksheet, table: pd.DataFrame, extra: pd.DataFrame
) -> None:
    """Fill the comparison workbook's first sheet: `table` (the Comparison sheet) and
    `extra` (per scenario: description, expected denials, the top limit) as a board,
    and the two charts below."""
    materials = [str(c).split(":")[0] for c in table.columns if str(c).endswith(": shipped share")]
    rows = table.merge(extra, on="scenario", how="left")
    end = write_board(
        writer, sheet, "Scenarios compared", rows, measures(writer.currency, materials)
    )
    _charts(writer, sheet, table, end + 1)


def _charts(writer: Writer, sheet: Worksheet, table: pd.DataFrame, row: int) -> None:
    """Below the board: cash spend by scenario stacked by cash term, and the demand each
    scenario leaves unmet (a sentence when none leaves any)."""
    count, currency = len(table), writer.currency
    cost = writer.book.add_chart({"type": "bar", "subtype": "stacked"})
    cash = [term for term in COST_TERMS if term in spend.CASH_TERMS and term in table]
    for index, term in enumerate(cash):
        series = chart_series(COMPARISON, 0, 1, count, table.columns.get_loc(term))
        cost.add_series(
            {**series, "name": spend.words(term), "fill": {"color": COUNTRY_COLOURS[index]}}
        )
    cost.set_title({"name": f"Cash spend by scenario (M {currency})", "name_font": {"size": 11}})
    cost.set_x_axis({"name": f"M {currency}", "num_format": "#,##0,,"})
    cost.set_y_axis({"reverse": True})
    cost.set_legend({"position": "bottom"})
    height = 90 + 30 * count
    cost.set_size({"width": 640, "height": height})
    sheet.insert_chart(row, 0, cost)
    shortfall = pd.to_numeric(table["shortfall_t"], errors="coerce").fillna(0.0)
    if (shortfall.abs() <= NOISE).all():
        sheet.write_string(row + 1, 5, "No scenario leaves demand unmet (shortfall 0 t in each).")
        return
    short = writer.book.add_chart({"type": "bar"})
    short.add_series(
        {
            **chart_series(COMPARISON, 0, 1, count, table.columns.get_loc("shortfall_t")),
            "name": "shortfall (t)",
            "fill": {"color": COUNTRY_COLOURS[2]},
        }
    )
    short.set_title({"name": "Demand not met by scenario (t)", "name_font": {"size": 11}})
    short.set_x_axis({"name": "tonnes (t)", "num_format": "#,##0"})
    short.set_y_axis({"reverse": True})
    short.set_legend({"none": True})
    short.set_size({"width": 460, "height": height})
    sheet.insert_chart(row, 0, short, {"x_offset": 660})
