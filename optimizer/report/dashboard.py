"""The plan Dashboard: a plan at a glance, on one printed page.

The plan Dashboard shows cash spend apart from the modelled costs that are not paid
(risk cost, holding, penalties; every cost term of `COST_TERMS`, so new terms appear
without edits here), tonnes bought and short with what expected licence denials mean,
the largest shipping country per material, the five limits whose stated relaxation
saves most (exact, by re-solving), a stacked chart of purchases by shipping country per
period (one colour per country), and for the materials bought most a chart of stock
against its floor and licence cover. Chart series come from the `Chart data` sheet, so
every number drawn can be read. Labels are words with units; the data sheets keep the
column names of SPEC §4.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.chart import Chart
from xlsxwriter.worksheet import Worksheet

from optimizer.plan import spend
from optimizer.plan.orders import due_now, orders, periods_of
from optimizer.plan.savings import RESOLVED
from optimizer.plan.summary import PlanSummary
from optimizer.plan.tables import PlanTables
from optimizer.plan.values import NOISE
from optimizer.report.writer import FOOTER, Column, Writer, print_setup, safe_text

CHART_DATA = "Chart data"
STOCK_CHARTS = 6
"""Materials with a stock chart (the most bought ones)."""
TOP_SAVINGS = 5
COUNTRY_COLOURS = (
    "#4E79A7",
    "#F28E2B",
    "#E15759",
    "#76B7B2",
    "#59A14F",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
    "#BAB0AC",
    "#17BECF",
    "#8C564B",
    "#000000",
    "#BCBD22",
)
"""Distinct colours (Tableau 10 and more), one per country in the order of the input's
Countries sheet, so a country has the same colour in every plan of the same input."""
CHARTS_WIDTH = 960
"""Pixels: about the width of the Dashboard's columns A–D."""
STOCK_LINES = (
    ("stock at period end (t)", "closing", "#4E79A7"),
    ("stock floor, sum of min (t)", "min", "#E15759"),
    ("licence cover needed (t)", "cover_needed", "#F28E2B"),
)
WRAP_AT = 60
"""Dashboard text longer than this wraps in its cell."""
DASHBOARD_FORMATS = {"money": "#,##0", "t": "#,##0.0", "share": "0.0%", "text": "@", "int": "#,##0"}


def chart_series(sheet: str, header: int, first: int, last: int, col: int) -> dict[str, object]:
    """A chart series over rows first..last of a column, named by its header, with the
    labels of column A as categories."""
    return {
        "name": [sheet, header, col],
        "categories": [sheet, first, 0, last, 0],
        "values": [sheet, first, col, last, col],
    }


def one_page(sheet: Worksheet, portrait: bool = False) -> None:
    """One page (landscape unless `portrait`): everything on the sheet scaled to fit."""
    if portrait:
        sheet.set_portrait()
    else:
        sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 1)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.hide_gridlines(2)
    sheet.set_footer(FOOTER)


class Board:
    """Writes labelled blocks down the left of a dashboard and tracks column widths."""

    def __init__(self, writer: Writer, sheet: Worksheet) -> None:
        self.writer, self.sheet = writer, sheet
        self.widths: dict[int, int] = {}
        book = writer.book
        self.bold = book.add_format({"bold": True, "font_size": 11})
        # valign top keeps these formats distinct from the data sheets' (see Writer.numbers)
        self.formats = {
            kind: book.add_format({"num_format": fmt, "valign": "top"})
            for kind, fmt in DASHBOARD_FORMATS.items()
        }
        self.strong = {
            kind: book.add_format({"num_format": fmt, "bold": True, "top": 1})
            for kind, fmt in DASHBOARD_FORMATS.items()
        }
        self.wrap = book.add_format({"text_wrap": True, "valign": "top", "italic": True})
        self.long = book.add_format({"text_wrap": True, "valign": "top"})
        self.short = book.add_format({"valign": "top"})
        self.centred = book.add_format({"valign": "top", "align": "center"})
        """a short word (yes, no) beside numbers: kind `flag`"""

    def note(self, col: int, text: str) -> None:
        self.widths[col] = max(self.widths.get(col, 0), min(len(text), 60) + 2)

    def write(self, row: int, col: int, value: object, kind: str, strong: bool = False) -> None:
        """One cell: numbers in the dashboard format of their kind, text as safe text."""
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            number = kind if kind in DASHBOARD_FORMATS and kind != "text" else "t"
            fmt = (self.strong if strong else self.formats)[number]
            self.sheet.write_number(row, col, float(value), fmt)
            self.note(col, f"{float(value):,.1f}")
            return
        if value is None or value != value:
            return
        text = str(value)
        if len(text) > WRAP_AT:
            self.sheet.write_string(row, col, text, self.long)
            self.sheet.set_row(row, 15 * min(-(-len(text) // (WRAP_AT - 4)), 4))
        else:
            shown, quoted = safe_text(text)
            plain = self.centred if kind == "flag" else self.short
            self.sheet.write_string(row, col, shown, self.writer.quoted if quoted else plain)
        self.note(col, text[:WRAP_AT])

    def heading(self, row: int, text: str) -> int:
        self.sheet.write_string(row, 0, text, self.bold)
        return row + 1

    def table(self, row: int, columns: list[Column], rows: list[tuple]) -> int:
        """A header and its rows; returns the row after a blank line."""
        for col, column in enumerate(columns):
            self.sheet.write_string(row, col, column.name, self.writer.header)
            self.note(col, column.name)
        for offset, values in enumerate(rows, start=1):
            for col, (value, column) in enumerate(zip(values, columns, strict=True)):
                self.write(row + offset, col, value, column.kind)
        return row + len(rows) + 2

    def fit(self, last_col: int) -> None:
        for col in range(last_col + 1):
            self.sheet.set_column(col, col, max(self.widths.get(col, 8), 8))


def money_lines(summary: PlanSummary) -> list[tuple[str, float, bool]]:
    """(label, amount, is a total) for the money block: cash terms, their total, the
    modelled costs that are not paid, and the objective they add up to."""
    currency, terms = summary.currency, summary.terms
    cash = [term for term in terms if term in spend.CASH_TERMS]
    other = [term for term in terms if term not in spend.CASH_TERMS]
    lines = [(f"  {spend.words(term)}", terms[term], False) for term in cash]
    lines.append((f"Cash spend ({currency})", summary.cash_spend, True))
    lines += [(f"  {spend.words(term)}", terms[term], False) for term in other]
    modelled = summary.objective - summary.cash_spend
    lines.append((f"Modelled costs, not cash ({currency})", modelled, True))
    lines.append((f"Objective = cash + modelled ({currency})", summary.objective, True))
    return lines


def denial_note(tables: PlanTables) -> str:
    """What the expected licence denials mean next to the shortfall."""
    denied = float(tables.exposure["expected_denied_t"].sum()) if len(tables.exposure) else 0.0
    needed = float(tables.stock["cover_needed"].sum())
    gap = float(tables.stock["cover_gap"].sum())
    if denied <= 0:
        return "No licensed purchases: no tonnes are expected to be denied."
    return (
        f"Shortfall counts only demand this plan leaves unmet when every licence is granted. "
        f"Of the licensed tonnes, {denied:,.1f} t are expected to be denied "
        f"(Σ (1 − approval) × tonnes). The plan holds stock at the start of each period "
        f"against that period's expected denials ({needed:,.1f} t over the horizon; "
        f"{gap:,.1f} t of it uncovered, priced as safety penalty). A bad licence draw can "
        f"still leave demand unmet: `reopt whatif --samples 200` shows the spread of "
        f"shortfall over random licence outcomes (the Risk sheet of the sweep workbook it "
        f"writes)."
    )


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


def element_lines(tables: PlanTables) -> list[str]:
    """One sentence per element a plan buys: t bought and the share through chains touching
    the country it depends on most among those that license it or are covered, e.g.
    "Dy: 6.1 t bought, 71 % through chains touching China"."""
    lines = []
    bought = tables.elements.groupby("element", sort=False)["bought_t"].sum()
    countries = tables.element_countries
    for element, total in bought.items():
        if total <= NOISE:
            continue
        exposed = (countries["licensing"] == "yes") | (countries["covered"] == "yes")
        mine = countries[(countries["element"] == element) & exposed]
        line = f"{element}: {total:,.1f} t bought"
        if len(mine):
            top = mine.sort_values("bought_t", ascending=False).iloc[0]
            line += f", {top['bought_t'] / total:.0%} through chains touching {top['country']}"
        lines.append(line)
    return lines


def _make_or_buy(board: Board, row: int, tables: PlanTables) -> int:
    """Buy versus make per material and the element exposure, when the plan has them."""
    if not tables.make_or_buy.empty:
        row = board.heading(row, "Bought or made at own sites (t over the horizon)")
        row = board.table(
            row,
            [Column("material"), Column("bought (t)", "t"), Column("made (t)", "t"),
             Column("share made", "share")],
            list(tables.make_or_buy.itertuples(index=False, name=None)),
        )  # fmt: skip
    lines = element_lines(tables) if not tables.elements.empty else []
    if lines:
        row = board.heading(row, "Rare-earth elements bought (t of element, over the horizon)")
        for line in lines:
            board.sheet.write_string(row, 0, line)
            row += 1
        row += 1
    return row


def _orders_now(board: Board, row: int, tables: PlanTables) -> int:
    """The orders due in the first period (supplier, material, t, cash, licensed) and
    their total: what the buyer signs now."""
    periods = periods_of(tables)
    key = ["supplier", "material", "licensed"]
    lines = due_now(orders(tables.plan, periods), periods)
    due = lines.groupby(key, sort=False)[["quantity", "total_cost"]].sum().reset_index()
    currency = tables.summary.currency
    row = board.heading(
        row,
        f"Orders to place now, in {periods[0]}: {len(due)} supplier and material line(s) of "
        f"{len(lines)} order(s) by site and delivery period (Orders sheet)",
    )
    rows = [
        (r.supplier, r.material, r.quantity, r.total_cost, r.licensed)
        for r in due.itertuples(index=False)
    ]
    rows.append(("Total", "", float(due["quantity"].sum()), float(due["total_cost"].sum()), ""))
    columns = [
        Column("supplier"), Column("material"), Column("quantity (t)", "t"),
        Column(f"cash ({currency})", "money"), Column("export licence", "flag"),
    ]  # fmt: skip
    return board.table(row, columns, rows)


def write_plan_dashboard(writer: Writer, sheet: Worksheet, tables: PlanTables) -> None:
    """Fill the plan workbook's first sheet; add the chart data sheet it draws from."""
    summary = tables.summary
    currency = summary.currency
    board = Board(writer, sheet)
    one_page(sheet, portrait=True)
    title = writer.book.add_format({"bold": True, "font_size": 14})
    sheet.write_string(0, 0, f"Sourcing plan: scenario {summary.scenario}", title)
    sheet.write_string(
        1, 0, f"{summary.input_file}, {summary.periods}, created {summary.created_utc} UTC"
    )
    row = _orders_now(board, 3, tables)
    row = board.heading(row, "Money")
    for label, amount, total in money_lines(summary):
        sheet.write_string(row, 0, label, board.bold if total else writer.text)
        board.write(row, 2, amount, "money", strong=total)
        row += 1
    row = board.heading(row + 1, "Tonnes")
    denied = float(tables.exposure["expected_denied_t"].sum()) if len(tables.exposure) else 0.0
    for label, value, kind in (
        ("Bought (t)", summary.purchased_t, "t"),
        ("Demand not met, shortfall (t)", summary.shortfall_t, "t"),
        ("Bought under export licence (share)", summary.licensed_share, "share"),
        ("Expected to be denied a licence (t)", denied, "t"),
        ("Suppliers that deliver (count)", summary.suppliers_used, "int"),
        ("Offers that deliver, supplier and material (count)", summary.offers_used, "int"),
    ):
        sheet.write_string(row, 0, label)
        board.write(row, 2, value, kind)
        row += 1
    sheet.merge_range(row, 0, row + 3, 3, denial_note(tables), board.wrap)
    row = board.heading(row + 5, "Largest shipping country per material")
    shares = top_shares(tables)
    row = board.table(
        row,
        [
            Column("material"),
            Column("shipping country"),
            Column("share of tonnes", "share"),
            Column("HHI (0–10,000)", "int"),
        ],
        list(shares.itertuples(index=False, name=None)),
    )
    row = _make_or_buy(board, row, tables)
    best = tables.savings.head(TOP_SAVINGS) if len(tables.savings) else pd.DataFrame()
    estimated = len(best) and (best["basis"] != RESOLVED).any()
    how = "re-solved unless marked estimate" if estimated else "re-solved"
    row = board.heading(row, f"Five limits whose relaxation saves most ({how}, {currency})")
    row = board.table(
        row,
        [
            Column("limit"),
            Column("subject"),
            Column("relaxation"),
            Column(f"saving ({currency})", "money"),
        ],
        [(r["limit"], r["subject"], _relaxation(r), r["saving"]) for _, r in best.iterrows()],
    )
    board.widths[3] = max(board.widths.get(3, 0), 16)
    board.fit(4)
    _charts(writer, sheet, tables, row)


def _relaxation(saving: pd.Series) -> str:
    """A saving's relaxation, marked when its saving is estimated, not re-solved."""
    return saving["relaxation"] + ("" if saving["basis"] == RESOLVED else " (estimate)")


def _purchases_by_country(tables: PlanTables, periods: list[str]) -> pd.DataFrame:
    order = list(dict.fromkeys(tables.mix["country"])) if len(tables.mix) else []
    pivot = tables.plan.pivot_table(
        index="period", columns="country", values="quantity", aggfunc="sum", fill_value=0.0
    )
    pivot = pivot[[country for country in order if country in pivot.columns]]
    return pivot.reindex(periods, fill_value=0.0).reset_index()


def _stock_lines(tables: PlanTables) -> dict[str, pd.DataFrame]:
    bought = tables.plan.groupby("material")["quantity"].sum().sort_values(ascending=False)
    lines = {}
    for material in bought.index[:STOCK_CHARTS]:
        rows = tables.stock[tables.stock["material"] == material]
        sums = rows.groupby("period", sort=False)[[column for _, column, _ in STOCK_LINES]].sum()
        sums.columns = [label for label, _, _ in STOCK_LINES]
        lines[material] = sums.reset_index()
    return lines


def _axes(chart: Chart, y_title: str, y_format: str, x_title: str = "period") -> None:
    chart.set_x_axis({"name": x_title, "num_font": {"rotation": -45, "size": 7}})
    chart.set_y_axis(
        {
            "name": y_title,
            "num_format": y_format,
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
        }
    )
    chart.set_legend({"position": "bottom", "font": {"size": 8}})


def _block(writer: Writer, sheet: Worksheet, row: int, frame: pd.DataFrame, kind: str) -> int:
    columns = [Column(str(frame.columns[0]))] + [Column(str(c), kind) for c in frame.columns[1:]]
    return writer.block(sheet, row, columns, list(frame.itertuples(index=False, name=None)))


def _charts(writer: Writer, sheet: Worksheet, tables: PlanTables, row: int) -> None:
    """The purchases chart from `row`, the stock charts below it, three a row."""
    data = writer.book.add_worksheet(CHART_DATA)
    data.set_column(0, 0, 30)
    purchases = _purchases_by_country(tables, list(tables.stock["period"].unique()))
    end = _block(writer, data, 0, purchases, "t")
    data.set_column(1, max(len(purchases.columns), 4), 16)
    if len(purchases.columns) > 1:  # a plan that buys nothing has no series to draw
        chart = writer.book.add_chart({"type": "column", "subtype": "stacked"})
        position = {country: index for index, country in enumerate(tables.countries)}
        for col in range(1, len(purchases.columns)):
            country = str(purchases.columns[col])
            colour = COUNTRY_COLOURS[position.get(country, col) % len(COUNTRY_COLOURS)]
            chart.add_series(
                {
                    **chart_series(CHART_DATA, 0, 1, len(purchases), col),
                    "fill": {"color": colour},
                    "border": {"none": True},
                    "gap": 40,
                }
            )
        chart.set_title(
            {"name": "Tonnes bought per period, by shipping country", "name_font": {"size": 11}}
        )
        _axes(chart, "tonnes (t)", "#,##0")
        chart.set_size({"width": CHARTS_WIDTH, "height": 330})
        sheet.insert_chart(row, 0, chart)
    top, row = row + 17, end + 1
    for index, (material, lines) in enumerate(_stock_lines(tables).items()):
        data.write_string(row, 0, material, writer.header)
        first = row + 1
        last = _block(writer, data, first, lines, "t") - 1
        stock = writer.book.add_chart({"type": "line"})
        for col, (_, _, colour) in enumerate(STOCK_LINES, start=1):
            stock.add_series(
                {
                    **chart_series(CHART_DATA, first, first + 1, last, col),
                    "line": {"color": colour, "width": 1.75},
                }
            )
        stock.set_title(
            {"name": f"{material}: stock, floor and licence cover (t)", "name_font": {"size": 10}}
        )
        _axes(stock, "tonnes (t)", "#,##0.0", "")
        stock.set_size({"width": CHARTS_WIDTH // 3, "height": 290})
        sheet.insert_chart(
            top + 15 * (index // 3), 0, stock, {"x_offset": (CHARTS_WIDTH // 3) * (index % 3)}
        )
        row = last + 2
    print_setup(data, row, max(len(purchases.columns), len(STOCK_LINES) + 1))
