"""Typed tables → `Inputs`: cross-references, uniqueness and the rules of SPEC §1.

Every problem is collected with its location and raised once at the end, so one run
lists everything an analyst has to fix. Identifiers are matched ignoring case and
spacing (`china` finds `China`); an unknown one gets the closest known name as a hint.

`assemble_inputs` is the whole flow: one call per sheet or rule group
(`workbook/rules/`), each taking its typed table, the name registries it reads and the
problems collector, and returning its frame with the names it declares. The order of
the calls is the order problems are listed in.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.domain.inputs import Inputs
from optimizer.problems import Problems
from optimizer.workbook.container import Container
from optimizer.workbook.rules.catalogue import (
    countries_from,
    materials_from,
    periods_from,
    sites_from,
)
from optimizer.workbook.rules.prices import prices_from
from optimizer.workbook.rules.recipes import recipe_items_from, recipes_from
from optimizer.workbook.rules.scenarios import controls_from, scenarios_from
from optimizer.workbook.rules.settings import check_commit_window, settings_from, with_scenario
from optimizer.workbook.rules.site_rows import (
    check_site_storage,
    demand_from,
    pipeline_from,
    stock_from,
)
from optimizer.workbook.rules.supply import lanes_from, offers_from, priced_materials
from optimizer.workbook.schema import DOCUMENTATION_SHEETS, SHEETS
from optimizer.workbook.sheets import RawWorkbook, read_workbook
from optimizer.workbook.tables import period_format, read_table


def load_inputs(path: Path | str, container: Container | None = None) -> Inputs:
    """Read and check a workbook (`container`: its bytes, already read and checked);
    raise `InputError` listing every problem found."""
    path = Path(path)
    problems = Problems(str(path))
    schema = {key: sheet.column_names for key, sheet in SHEETS.items()}
    raw = read_workbook(path, schema, DOCUMENTATION_SHEETS, problems, container)
    return assemble_inputs(path, raw, problems)


def assemble_inputs(path: Path, raw: RawWorkbook, problems: Problems) -> Inputs:
    """Type and cross-check the raw sheets; raise `InputError` with every problem."""
    fmt = period_format(raw.sheets.get("periods"))
    t = {key: read_table(raw.sheets.get(key), spec, problems, fmt) for key, spec in SHEETS.items()}
    settings = settings_from(t["settings"], problems)
    periods, budget = periods_from(t["periods"], problems)
    material_rows, materials = materials_from(t["materials"], problems)
    countries, country_names = countries_from(t["countries"], settings, problems)
    sites, site_names, end_uses = sites_from(t["sites"], problems)
    offers, suppliers = offers_from(t["suppliers"], materials, country_names, periods, problems)
    lanes = lanes_from(t["lanes"], offers, suppliers, site_names, problems)
    demand = demand_from(t["demand"], site_names, materials, periods, problems)
    stock = stock_from(t["stock"], site_names, materials, problems)
    check_site_storage(t["sites"], sites, stock, problems)
    prices = prices_from(t["prices"], offers, suppliers, materials, periods, problems)
    pipeline = pipeline_from(t["pipeline"], site_names, materials, periods, problems)
    recipes, recipe_names = recipes_from(t["recipes"], site_names, periods, problems)
    items = recipe_items_from(t["recipeitems"], recipe_names, materials, t["recipes"], problems)
    scenarios, scenario_names = scenarios_from(t["scenarios"], problems)
    settings = with_scenario(settings, scenario_names, t["settings"], problems)
    controls = controls_from(
        t["controls"], scenario_names, country_names, materials, end_uses, periods, problems
    )
    check_commit_window(settings, len(periods.labels), t["settings"], problems)
    inputs = Inputs(
        file=str(path),
        sha256=raw.sha256,
        settings=settings,
        periods=list(periods.labels),
        budget=budget,
        materials=priced_materials(material_rows, settings, offers, lanes),
        countries=countries,
        sites=sites,
        offers=offers,
        prices=prices,
        lanes=lanes,
        demand=demand,
        stock=stock,
        pipeline=pipeline,
        scenarios=scenarios,
        controls=controls,
        recipes=recipes,
        recipe_items=items,
        sheet_names=raw.sheet_names,
        warnings=problems.warnings,
    )
    problems.raise_if_errors()
    return inputs
