"""Typed tables → `Inputs`: cross-references, uniqueness and the rules of SPEC §1.

Every problem is collected with its location and raised once at the end, so one run
lists everything an analyst has to fix. Identifiers are matched ignoring case and
spacing (`china` finds `China`); an unknown one gets the closest known name as a hint.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Inputs, Settings
from optimizer.domain.names import Names, Row, canonical, hint
from optimizer.domain.words import ANY, BASE, DEFENSE, ELEMENTS
from optimizer.problems import Problems
from optimizer.workbook import cells
from optimizer.workbook.schema import DOCUMENTATION_SHEETS, SETTINGS, SHEETS, Column, Kind
from optimizer.workbook.sheets import RawWorkbook, read_workbook
from optimizer.workbook.tables import Table, cell_reader, check_bounds, period_format, read_table

DEFAULT_SHORTAGE_PENALTY = 1_000_000.0


def load_inputs(path: Path | str) -> Inputs:
    """Read and check a workbook; raise `InputError` listing every problem found."""
    path = Path(path)
    problems = Problems(str(path))
    schema = {key: sheet.column_names for key, sheet in SHEETS.items()}
    raw = read_workbook(path, schema, DOCUMENTATION_SHEETS, problems)
    return assemble_inputs(path, raw, problems)


def assemble_inputs(path: Path, raw: RawWorkbook, problems: Problems) -> Inputs:
    """Type and cross-check the raw sheets; raise `InputError` with every problem."""
    fmt = period_format(raw.sheets.get("periods"))
    tables = {
        key: read_table(raw.sheets.get(key), spec, problems, fmt) for key, spec in SHEETS.items()
    }
    inputs = _Validator(tables, problems).build(str(path), raw.sha256, raw.sheet_names)
    problems.raise_if_errors()
    return inputs


class _Validator:
    """Checks the typed tables against each other and assembles `Inputs`."""

    def __init__(self, tables: dict[str, Table], problems: Problems) -> None:
        self.t = tables
        self.problems = problems
        self.periods = Names(tables["periods"].sheet)
        self.materials = Names(tables["materials"].sheet)
        self.countries = Names(tables["countries"].sheet)
        self.sites = Names(tables["sites"].sheet)
        self.suppliers = Names(tables["suppliers"].sheet)
        self.scenarios = Names(tables["scenarios"].sheet)
        self.end_uses = Names(tables["sites"].sheet + " end_use")

    # -- small helpers -----------------------------------------------------------------
    def first_time(
        self, seen: dict, key: object, what: str, table: Table, row: Row, column: str
    ) -> bool:
        """Record `key`; a repeat is an error naming the first row. True when new."""
        if key in seen:
            self.problems.add(
                f"{what} (first in row {seen[key]})",
                value=row.get(column),
                **table.where(row, column),
            )
            return False
        seen[key] = row["_row"]
        return True

    def ref(self, names: Names, table: Table, row: Row, column: str) -> str | None:
        return names.resolve(row.get(column), table, row, column, self.problems)

    def period_index(self, table: Table, row: Row, column: str) -> int | None:
        label = self.ref(self.periods, table, row, column)
        return None if label is None else self.period_position[label]

    # -- sheets --------------------------------------------------------------------------
    def settings(self) -> Settings:
        table = self.t["settings"]
        values: dict[str, object] = {}
        seen: dict[str, object] = {}
        for row in table.rows:
            key = row.get("key")
            if key is None:
                continue
            name = canonical(key)
            column = SETTINGS.get(name)
            if column is None:
                self.problems.warn(
                    f"unknown setting, ignored{hint(str(key), SETTINGS)}",
                    value=key,
                    **table.where(row, "key"),
                )
                continue
            if not self.first_time(seen, name, "setting is given twice", table, row, "key"):
                continue
            value = self._setting_value(column, row, table)
            if value is not None:
                values[name] = value
        return Settings(**values)  # type: ignore[arg-type]

    def _setting_value(self, column: Column, row: Row, table: Table) -> object:
        raw = row.get("value")
        where = table.where(row, "value")
        try:
            value = cell_reader(column)(raw)
        except cells.CellError as error:
            self.problems.add(f"{error}; expected {column.expected}", value=raw, **where)
            return None
        if isinstance(value, float) and not check_bounds(column, value):
            self.problems.add(f"must be {column.expected}", value=raw, **where)
            return None
        return int(value) if column.kind is Kind.WHOLE and value is not None else value

    def period_rows(self) -> tuple[list[str], list[float | None]]:
        table = self.t["periods"]
        labels, budget = [], []
        for row in table.rows:
            label = row.get("period")
            if label is not None and self.periods.declare(
                str(label), table, row, "period", self.problems
            ):
                labels.append(str(label))
                budget.append(row.get("budget"))  # type: ignore[arg-type]
        if not labels and table.columns:
            self.problems.add("has no periods: list at least one", sheet=table.sheet)
        self.period_position = {label: index for index, label in enumerate(labels)}
        return labels, budget

    def material_rows(self) -> list[Row]:
        table = self.t["materials"]
        symbols = {symbol.casefold(): symbol for symbol in ELEMENTS}
        kept = []
        for row in table.rows:
            name = row.get("material")
            if name is None or not self.materials.declare(
                str(name), table, row, "material", self.problems
            ):
                continue
            elements = []
            listed = row.get("elements") or []
            for item in listed:  # type: ignore[union-attr]
                symbol = symbols.get(item.casefold())
                if symbol is None:
                    self.problems.add(
                        f"lists {item!r}, which is not a rare-earth element symbol "
                        f"(one of {' '.join(ELEMENTS)})",
                        value=", ".join(listed),  # type: ignore[arg-type]
                        **table.where(row, "elements"),
                    )
                elif symbol not in elements:
                    elements.append(symbol)
            kept.append({**row, "elements": tuple(elements)})
        return kept

    def country_rows(self, settings: Settings) -> pd.DataFrame:
        table = self.t["countries"]
        records = []
        for row in table.rows:
            name = row.get("country")
            if name is None or not self.countries.declare(
                str(name), table, row, "country", self.problems
            ):
                continue
            records.append(
                {
                    "country": name,
                    "tariff": _or(row.get("tariff"), 0.0),
                    "covered": bool(_or(row.get("covered"), False)),
                    "max_share": _or(row.get("max_share"), settings.max_country_share),
                    "row": row["_row"],
                }
            )
        return _frame(records, ["country", "tariff", "covered", "max_share", "row"], "country")

    def site_rows(self) -> pd.DataFrame:
        table = self.t["sites"]
        records = []
        for row in table.rows:
            name = row.get("site")
            if name is None or not self.sites.declare(str(name), table, row, "site", self.problems):
                continue
            end_use = str(_or(row.get("end_use"), "commercial"))
            known = self.end_uses.get(end_use)
            if known is None:
                self.end_uses.display[canonical(end_use)] = end_use
                known = end_use
            key = canonical(end_use)
            if key != DEFENSE and ("defen" in key or key == "military"):
                self.problems.warn(
                    "is not the label 'defense': the covered-country exclusion does not apply",
                    value=end_use,
                    **table.where(row, "end_use"),
                )
            records.append({"site": name, "end_use": known, "row": row["_row"]})
        return _frame(records, ["site", "end_use", "row"], "site")

    def offer_rows(self, horizon: int) -> pd.DataFrame:
        table = self.t["suppliers"]
        records = []
        seen: dict[tuple[str, str], object] = {}
        for row in table.rows:
            supplier = row.get("supplier")
            material = self.ref(self.materials, table, row, "material")
            country = self.ref(self.countries, table, row, "country")
            refined = self.ref(self.countries, table, row, "refined_in") or country
            mined = self.ref(self.countries, table, row, "mined_in") or refined
            first = self.period_index(table, row, "available_from")
            last = self.period_index(table, row, "available_to")
            if supplier is None:
                continue
            known = self.suppliers.get(str(supplier))
            if known is None:
                self.suppliers.display[canonical(supplier)] = str(supplier)
                known = str(supplier)
            if first is not None and last is not None and first > last:
                self.problems.add(
                    f"is after available_to {self.periods_list[last]!r}: the offer can never "
                    "deliver",
                    value=row.get("available_from"),
                    **table.where(row, "available_from"),
                )
            self._min_order_above_capacity(table, row)
            if material is None or country is None:
                continue
            key = (canonical(known), canonical(material))
            what = f"offers {material!r} twice; (supplier, material) must be unique"
            if not self.first_time(seen, key, what, table, row, "supplier"):
                continue
            records.append(
                {
                    "supplier": known,
                    "material": material,
                    "country": country,
                    "refined_in": refined,
                    "mined_in": mined,
                    "capacity": row.get("capacity") or 0.0,
                    "unit_cost": row.get("unit_cost") or 0.0,
                    "freight": _or(row.get("freight"), 0.0),
                    "lead_time": int(_or(row.get("lead_time"), 0)),  # type: ignore[call-overload]
                    "first": _or(first, 0),
                    "last": _or(last, horizon - 1),
                    "fixed_cost": _or(row.get("fixed_cost"), 0.0),
                    "min_order": _or(row.get("min_order"), 0.0),
                    "row": row["_row"],
                }
            )
        return _frame(records, OFFER_COLUMNS)

    def _min_order_above_capacity(self, table: Table, row: Row) -> None:
        """Warn when an offer's minimum lot is above its capacity (SPEC §7): it can
        then never deliver."""
        lot, capacity = row.get("min_order"), row.get("capacity")
        if lot is not None and capacity is not None and lot > capacity:  # type: ignore[operator]
            self.problems.warn(
                f"is above capacity {capacity:g}: the offer can never deliver a full lot",
                value=lot,
                **table.where(row, "min_order"),
            )

    def lane_rows(self, offers: pd.DataFrame) -> pd.DataFrame:
        table = self.t["lanes"]
        offered: dict[str, list[str]] = {}
        for supplier, material in zip(offers["supplier"], offers["material"], strict=True):
            offered.setdefault(supplier, []).append(material)
        offered_names: dict[str, Names] = {}
        for supplier, materials in offered.items():
            offered_names[supplier] = names = Names(f"the materials {supplier} offers")
            names.display = {canonical(name): name for name in materials}
        specific, general = [], []
        seen: dict[tuple[str, str, str], object] = {}
        for row in table.rows:
            supplier = self.ref(self.suppliers, table, row, "supplier")
            site = self.ref(self.sites, table, row, "site")
            material = None
            if row.get("material") is not None and supplier is not None:
                names = offered_names.get(supplier, Names(f"the materials {supplier} offers"))
                material = self.ref(names, table, row, "material")
                if material is None:
                    continue
            if supplier is None or site is None:
                continue
            key = (canonical(supplier), canonical(material or ""), canonical(site))
            what = f"repeats the lane {supplier} / {material or 'all materials'} / {site}"
            if not self.first_time(seen, key, what, table, row, "supplier"):
                continue
            record = {
                "supplier": supplier,
                "material": material,
                "site": site,
                "freight": _or(row.get("freight"), np.nan),
                "allowed": bool(_or(row.get("allowed"), True)),
                "row": row["_row"],
            }
            (specific if material else general).append(record)
        named = {(r["supplier"], r["material"], r["site"]) for r in specific}
        expanded = [
            {**record, "material": material}
            for record in general
            for material in offered.get(record["supplier"], [])
            if (record["supplier"], material, record["site"]) not in named
        ]
        return _frame(specific + expanded, LANE_COLUMNS)

    def keyed_rows(
        self, key: str, columns: list[str], unique: bool, period: bool = True
    ) -> list[Row]:
        """Demand, Stock, Pipeline: resolve site, material (and period) of each row.

        Rows with an unusable key or a missing required quantity are dropped; their
        problems are already recorded.
        """
        table = self.t[key]
        kept = []
        seen: dict[tuple, object] = {}
        required = [c.name for c in SHEETS[key].columns if c.required and c.name in columns]
        for row in table.rows:
            site = self.ref(self.sites, table, row, "site")
            material = self.ref(self.materials, table, row, "material")
            when = self.period_index(table, row, "period") if period else -1
            if site is None or material is None or when is None:
                continue
            if any(row.get(column) is None for column in required):
                continue
            ident = (site, material, when)
            if unique:
                what = f"{site} / {material}" + (f" / {self.periods_list[when]}" if period else "")
                what = f"repeats {what}; each combination may appear once"
                if not self.first_time(seen, ident, what, table, row, "site"):
                    continue
            kept.append(
                {"site": site, "material": material, "period": when, "row": row["_row"]}
                | {column: row.get(column) for column in columns}
            )
        return kept

    def stock_rows(self) -> pd.DataFrame:
        table = self.t["stock"]
        rows = self.keyed_rows("stock", ["initial", "min", "max", "target_end"], True, False)
        by_row = {row["_row"]: row for row in table.rows}
        for record in rows:
            limit = record["max"]
            if limit is None:
                continue
            row = by_row[record["row"]]
            for column in ("initial", "min"):
                value = record[column]
                if value is not None and value > limit:  # type: ignore[operator]
                    self.problems.add(
                        f"is above max {limit:g}: storage cannot hold it",
                        value=value,
                        **table.where(row, column),
                    )
            target = record["target_end"]
            if target is not None and target > limit:  # type: ignore[operator]
                self.problems.warn(
                    f"is above max {limit:g}: the end target can never be met",
                    value=target,
                    **table.where(row, "target_end"),
                )
        records = [
            {
                "site": r["site"],
                "material": r["material"],
                "initial": _or(r["initial"], 0.0),
                "min": _or(r["min"], 0.0),
                "max": _or(r["max"], np.inf),
                "target_end": _or(r["target_end"], 0.0),
                "row": r["row"],
            }
            for r in rows
        ]
        return _frame(records, ["site", "material", "initial", "min", "max", "target_end", "row"])

    def scenario_rows(self) -> pd.DataFrame:
        table = self.t["scenarios"]
        base_row = {"_row": None}
        self.scenarios.display[BASE] = BASE
        records = {
            BASE: {
                "parent": None,
                "demand_factor": 1.0,
                "probability": math.nan,
                "description": None,
                "row": None,
            }
        }
        for row in table.rows:
            name = row.get("scenario")
            if name is None:
                continue
            if canonical(name) == BASE:
                if BASE in records and records[BASE]["row"] is not None:
                    self.problems.add(
                        f"is listed twice (first in row {records[BASE]['row']})",
                        value=name,
                        **table.where(row, "scenario"),
                    )
                    continue
                base_row = row
            elif not self.scenarios.declare(str(name), table, row, "scenario", self.problems):
                continue
            records[self.scenarios.get(str(name)) or BASE] = {
                "parent": row.get("parent"),
                "demand_factor": _or(row.get("demand_factor"), 1.0),
                "probability": _or(row.get("probability"), math.nan),
                "description": row.get("description"),
                "row": row["_row"],
            }
        by_row = {row["_row"]: row for row in table.rows}
        for name, record in records.items():
            row = by_row.get(record["row"], base_row)
            parent = record["parent"]
            if name == BASE:
                if parent is not None and canonical(parent) != BASE:
                    self.problems.add(
                        "base is the root scenario and cannot have a parent",
                        value=parent,
                        **table.where(row, "parent"),
                    )
                record["parent"] = None
                continue
            record["parent"] = (
                BASE if parent is None else self.ref(self.scenarios, table, row, "parent")
            )
        self._check_cycles(records, table, by_row)
        frame = pd.DataFrame.from_dict(records, orient="index")
        frame.index.name = "scenario"
        return frame

    def _check_cycles(self, records: dict, table: Table, by_row: dict) -> None:
        reported: set[str] = set()
        for start in records:
            chain, name = [], start
            while name is not None and name not in chain:
                chain.append(name)
                name = records.get(name, {}).get("parent")
            if name is None or name in reported:
                continue
            cycle = chain[chain.index(name) :]
            reported.update(cycle)
            row = by_row[records[name]["row"]]
            self.problems.add(
                "scenario parents form a cycle: " + " → ".join([*cycle, name]),
                value=records[name]["parent"],
                **table.where(row, "parent"),
            )
            for member in cycle:
                records[member]["parent"] = None

    def control_rows(self) -> pd.DataFrame:
        table = self.t["controls"]
        symbols = {symbol.casefold(): symbol for symbol in ELEMENTS}
        records = []
        windows: dict[tuple, list[tuple[int, int, int]]] = {}
        for row in table.rows:
            scenario = BASE
            if row.get("scenario") is not None:
                scenario = self.ref(self.scenarios, table, row, "scenario")
            country = self.ref(self.countries, table, row, "country")
            item = self._item(row, table, symbols)
            end_use = self._rule_end_use(row, table)
            factor = row.get("capacity_factor")
            if factor is not None and factor != 1 and end_use != ANY:
                self.problems.add(
                    "capacity_factor is only allowed on a rule with end_use '*' "
                    "(capacity is not split by end use)",
                    value=factor,
                    **table.where(row, "capacity_factor"),
                )
            window = self._rule_window(row, table)
            if None in (scenario, country, item, end_use, window):
                continue
            earlier = windows.setdefault((scenario, country, item, end_use), [])
            clash = [r for first, last, r in earlier if first <= window[1] and window[0] <= last]
            if clash:
                self.problems.add(
                    f"repeats the rule ({country}, {item}, {end_use}) of scenario {scenario} "
                    f"in overlapping periods (first in row {clash[0]}); rows of one rule need "
                    "disjoint from_period … to_period windows",
                    value=row.get("country"),
                    **table.where(row, "country"),
                )
                continue
            earlier.append((*window, row["_row"]))
            records.append(
                {
                    "scenario": scenario,
                    "country": country,
                    "item": item,
                    "end_use": end_use,
                    "approval": _or(row.get("approval"), 1.0),
                    "delay_days": _or(row.get("delay_days"), 0.0),
                    "capacity_factor": _or(factor, 1.0),
                    "cost_factor": _or(row.get("cost_factor"), 1.0),
                    "extra_tariff": _or(row.get("extra_tariff"), 0.0),
                    "from_t": window[0],  # type: ignore[index]
                    "to_t": window[1],  # type: ignore[index]
                    "row": row["_row"],
                }
            )
        return _frame(records, CONTROL_COLUMNS)

    def _rule_window(self, row: Row, table: Table) -> tuple[int, int] | None:
        """(from_t, to_t): the 0-based periods a rule is in force, open ends filled."""
        start = self.period_index(table, row, "from_period")
        end = self.period_index(table, row, "to_period")
        if (row.get("from_period") is not None and start is None) or (
            row.get("to_period") is not None and end is None
        ):
            return None
        if start is not None and end is not None and start > end:
            self.problems.add(
                f"is after to_period {self.periods_list[end]!r}: the rule is never in force",
                value=row.get("from_period"),
                **table.where(row, "from_period"),
            )
            return None
        return _or(start, 0), _or(end, len(self.periods_list) - 1)  # type: ignore[return-value]

    def _rule_end_use(self, row: Row, table: Table) -> str:
        """The rule's end_use; a label no site carries is kept, with a warning (SPEC v2)."""
        label = row.get("end_use")
        if label is None or label == ANY:
            return ANY
        known = self.end_uses.get(str(label))
        if known is not None:
            return known
        self.problems.warn(
            "is an end_use no site carries: the rule matches no site of this workbook"
            f"{hint(str(label), self.end_uses.display.values())}",
            value=label,
            **table.where(row, "end_use"),
        )
        return str(label)

    def _item(self, row: Row, table: Table, symbols: dict[str, str]) -> str | None:
        item = row.get("item")
        if item is None or item == ANY:
            return ANY
        symbol = symbols.get(str(item).casefold())
        material = self.materials.get(str(item))
        if symbol is None and material is None:
            known = list(ELEMENTS) + list(self.materials.display.values())
            self.problems.add(
                f"is not an element symbol, a material or '*'{hint(str(item), known)}",
                value=item,
                **table.where(row, "item"),
            )
            return None
        return material or symbol

    def default_scenario(self, settings: Settings) -> None:
        """Report a Settings `scenario` that names no scenario."""
        if settings.scenario not in self.scenarios:
            table = self.t["settings"]
            row = next((r for r in table.rows if canonical(r.get("key") or "") == "scenario"), None)
            self.problems.add(
                f"is not a scenario{hint(settings.scenario, self.scenarios.display.values())}",
                value=settings.scenario,
                **table.where(row, "value"),
            )

    # -- assembly ------------------------------------------------------------------------
    def commit_window(self, settings: Settings, horizon: int) -> None:
        """Report a Settings `commit_periods` K beyond the horizon (0 ≤ K ≤ T, SPEC §6)."""
        if settings.commit_periods is None or settings.commit_periods <= horizon:
            return
        table = self.t["settings"]
        row = next(r for r in table.rows if canonical(r.get("key") or "") == "commit_periods")
        self.problems.add(
            f"must be between 0 and the number of periods ({horizon})",
            value=settings.commit_periods,
            **table.where(row, "value"),
        )

    def build(self, file: str, sha256: str, sheet_names: dict[str, str]) -> Inputs:
        settings = self.settings()
        periods, budget = self.period_rows()
        self.periods_list = periods
        material_rows = self.material_rows()
        countries = self.country_rows(settings)
        sites = self.site_rows()
        offers = self.offer_rows(len(periods))
        lanes = self.lane_rows(offers)
        demand = self.keyed_rows("demand", ["quantity"], unique=True)
        stock = self.stock_rows()
        pipeline = self.keyed_rows("pipeline", ["quantity"], unique=False)
        scenarios = self.scenario_rows()
        chosen = self.scenarios.get(settings.scenario)
        if chosen is None:
            self.default_scenario(settings)
        else:
            settings = dataclasses.replace(settings, scenario=chosen)
        controls = self.control_rows()
        self.commit_window(settings, len(periods))
        materials = _materials(material_rows, settings, offers, lanes)
        return Inputs(
            file=file,
            sha256=sha256,
            settings=settings,
            periods=periods,
            budget=budget,
            materials=materials,
            countries=countries,
            sites=sites,
            offers=offers,
            lanes=lanes,
            demand=_frame(demand, ["site", "material", "period", "quantity", "row"]),
            stock=stock,
            pipeline=_frame(pipeline, ["site", "material", "period", "quantity", "row"])
            .groupby(["site", "material", "period"], as_index=False, sort=False)
            .agg(quantity=("quantity", "sum"), row=("row", "first")),
            scenarios=scenarios,
            controls=controls,
            sheet_names=sheet_names,
            warnings=self.problems.warnings,
        )


OFFER_COLUMNS = [
    "supplier", "material", "country", "refined_in", "mined_in", "capacity", "unit_cost",
    "freight", "lead_time", "first", "last", "fixed_cost", "min_order", "row",
]  # fmt: skip
LANE_COLUMNS = ["supplier", "material", "site", "freight", "allowed", "row"]
CONTROL_COLUMNS = [
    "scenario", "country", "item", "end_use", "approval", "delay_days", "capacity_factor",
    "cost_factor", "extra_tariff", "from_t", "to_t", "row",
]  # fmt: skip


def _or(value: object, default: object) -> object:
    return default if value is None else value


EMPTY_DTYPES = {
    "capacity": float, "unit_cost": float, "freight": float, "lead_time": "int64",
    "first": "int64", "last": "int64", "period": "int64", "quantity": float, "tariff": float,
    "covered": bool, "max_share": float, "allowed": bool, "initial": float, "min": float,
    "max": float, "target_end": float, "approval": float, "delay_days": float,
    "capacity_factor": float, "cost_factor": float, "extra_tariff": float, "from_t": "int64",
    "to_t": "int64", "fixed_cost": float,
    "min_order": float,
}  # fmt: skip
"""Column types of a table with no rows (pandas would make every column `object`)."""


def _frame(records: list[dict], columns: list[str], index: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    if not records:
        frame = frame.astype({c: t for c, t in EMPTY_DTYPES.items() if c in frame.columns})
    return frame.set_index(index) if index else frame


def _materials(
    rows: list[Row], settings: Settings, offers: pd.DataFrame, lanes: pd.DataFrame
) -> pd.DataFrame:
    """Materials with every penalty resolved: material column → Settings → built-in."""
    lane_freight = lanes.dropna(subset=["freight"]).groupby(["supplier", "material"])["freight"]
    worst_lane = lane_freight.max()
    worst = {}
    for offer in offers.itertuples():
        freight = max(offer.freight, worst_lane.get((offer.supplier, offer.material), 0.0))
        worst[offer.material] = max(worst.get(offer.material, 0.0), offer.unit_cost + freight)
    records = []
    for row in rows:
        name = row["material"]
        shortage = row.get("shortage_penalty")
        if shortage is None:
            shortage = settings.shortage_penalty
        if shortage is None:
            shortage = 10 * worst.get(name, 0.0) or DEFAULT_SHORTAGE_PENALTY
        safety = row.get("safety_penalty")
        if safety is None:
            safety = settings.safety_penalty
        if safety is None:
            safety = 0.1 * shortage
        records.append(
            {
                "material": name,
                "elements": row["elements"],
                "holding_cost": _first(row.get("holding_cost"), settings.holding_cost, 0.0),
                "shortage_penalty": shortage,
                "safety_penalty": safety,
                "disruption_cost": _first(
                    row.get("disruption_cost"), settings.disruption_cost, 0.0
                ),
                "salvage_value": _first(row.get("salvage_value"), settings.salvage_value, 0.0),
                "max_suppliers": _first(row.get("max_suppliers"), np.nan),
                "row": row["_row"],
            }
        )
    return _frame(
        records,
        [
            "material", "elements", "holding_cost", "shortage_penalty", "safety_penalty",
            "disruption_cost", "salvage_value", "max_suppliers", "row",
        ],
        "material",
    )  # fmt: skip


def _first(*values: object) -> object:
    return next(value for value in values if value is not None)
