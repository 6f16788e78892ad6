"""Who can deliver what, where, at what price: Suppliers, Lanes and the material penalties."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Settings
from optimizer.domain.names import Names, Row, canonical, hint
from optimizer.problems import Problems
from optimizer.workbook.rules.common import Periods, first_time, frame, given, ref
from optimizer.workbook.tables import Table

DEFAULT_SHORTAGE_PENALTY = 1_000_000.0

OFFER_COLUMNS = [
    "supplier", "material", "country", "refined_in", "mined_in", "capacity", "unit_cost",
    "freight", "lead_time", "first", "last", "fixed_cost", "min_order", "origin_content",
    "min_total", "take_or_pay_price", "row",
]  # fmt: skip
LANE_COLUMNS = ["supplier", "material", "site", "freight", "allowed", "row"]
MATERIAL_COLUMNS = [
    "material", "elements", "holding_cost", "shortage_penalty", "safety_penalty",
    "disruption_cost", "salvage_value", "max_suppliers", "content", "row",
]  # fmt: skip


def offers_from(
    table: Table, materials: Names, countries: Names, periods: Periods, problems: Problems
) -> tuple[pd.DataFrame, Names]:
    """One row per (supplier, material) offer, blanks filled; the supplier names."""
    suppliers = Names(table.sheet)
    records = []
    seen: dict[tuple[str, str], object] = {}
    for row in table.rows:
        supplier = row.get("supplier")
        material = ref(materials, table, row, "material", problems)
        country = ref(countries, table, row, "country", problems)
        refined = ref(countries, table, row, "refined_in", problems) or country
        mined = ref(countries, table, row, "mined_in", problems) or refined
        first = periods.index(table, row, "available_from", problems)
        last = periods.index(table, row, "available_to", problems)
        if supplier is None:
            continue
        known = suppliers.get(str(supplier))
        if known is None:
            suppliers.display[canonical(supplier)] = str(supplier)
            known = str(supplier)
        if first is not None and last is not None and first > last:
            problems.add(
                f"is after available_to {periods.labels[last]!r}: the offer can never deliver",
                value=row.get("available_from"),
                **table.where(row, "available_from"),
            )
        _min_order_above_capacity(table, row, problems)
        origin = _origin_content(table, row, countries, problems)
        if material is None or country is None:
            continue
        key = (canonical(known), canonical(material))
        what = f"offers {material!r} twice; (supplier, material) must be unique"
        if not first_time(seen, key, what, table, row, "supplier", problems):
            continue
        records.append(
            _offer_record(row, known, material, (country, refined, mined), (first, last),
                          len(periods.labels), origin)
        )  # fmt: skip
        _take_or_pay_above_supply(table, row, records[-1], problems)
    return frame(records, OFFER_COLUMNS), suppliers


def _offer_record(
    row: Row,
    supplier: str,
    material: str,
    chain: tuple[str, str, str],
    window: tuple[int | None, int | None],
    periods: int,
    origin: dict[str, float],
) -> dict:
    """One offer with SPEC §1's defaults filled in."""
    country, refined, mined = chain
    return {
        "supplier": supplier,
        "material": material,
        "country": country,
        "refined_in": refined,
        "mined_in": mined,
        "capacity": row.get("capacity") or 0.0,
        "unit_cost": row.get("unit_cost") or 0.0,
        "freight": given(row.get("freight"), 0.0),
        "lead_time": int(row.get("lead_time") or 0),
        "first": given(window[0], 0),
        "last": given(window[1], periods - 1),
        "fixed_cost": given(row.get("fixed_cost"), 0.0),
        "min_order": given(row.get("min_order"), 0.0),
        "origin_content": origin,
        "min_total": given(row.get("min_total"), 0.0),
        "take_or_pay_price": given(row.get("take_or_pay_price"), row.get("unit_cost"), 0.0),
        "row": row["_row"],
    }


def _origin_content(
    table: Table, row: Row, countries: Names, problems: Problems
) -> dict[str, float]:
    """Suppliers.origin_content: declared value share by country (SPEC §1), each country
    one of the Countries sheet's."""
    found: dict[str, float] = {}
    for name, share in row.get("origin_content") or []:
        known = countries.get(name)
        if known is None:
            problems.add(
                f"names the country {name!r}, which is not in {countries.sheet}"
                f"{hint(name, countries.display.values())}",
                **table.where(row, "origin_content"),
            )
        else:
            found[known] = share
    return found


def _take_or_pay_above_supply(table: Table, row: Row, offer: dict, problems: Problems) -> None:
    """Warn when a take-or-pay volume is above what the offer can deliver over its window
    at its capacity: the rest is paid for nothing in every scenario."""
    periods = offer["last"] - offer["first"] + 1
    most = offer["capacity"] * max(periods, 0)
    if offer["min_total"] > most:
        problems.warn(
            f"is above what the offer can ever deliver ({offer['capacity']:g} t a period × "
            f"{periods} period(s) = {most:g} t): at least {offer['min_total'] - most:g} t "
            "is paid for without being delivered",
            value=offer["min_total"],
            **table.where(row, "min_total"),
        )


def _min_order_above_capacity(table: Table, row: Row, problems: Problems) -> None:
    """Warn when an offer's minimum lot is above its capacity (SPEC §7): it can then
    never deliver."""
    lot, capacity = row.get("min_order"), row.get("capacity")
    if lot is not None and capacity is not None and lot > capacity:
        problems.warn(
            f"is above capacity {capacity:g}: the offer can never deliver a full lot",
            value=lot,
            **table.where(row, "min_order"),
        )


def lanes_from(
    table: Table, offers: pd.DataFrame, suppliers: Names, sites: Names, problems: Problems
) -> pd.DataFrame:
    """Lanes per (supplier, material, site); a lane without material covers all offered."""
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
        supplier = ref(suppliers, table, row, "supplier", problems)
        site = ref(sites, table, row, "site", problems)
        material = None
        if row.get("material") is not None and supplier is not None:
            names = offered_names.get(supplier, Names(f"the materials {supplier} offers"))
            material = ref(names, table, row, "material", problems)
            if material is None:
                continue
        if supplier is None or site is None:
            continue
        key = (canonical(supplier), canonical(material or ""), canonical(site))
        what = f"repeats the lane {supplier} / {material or 'all materials'} / {site}"
        if not first_time(seen, key, what, table, row, "supplier", problems):
            continue
        record = {
            "supplier": supplier,
            "material": material,
            "site": site,
            "freight": given(row.get("freight"), np.nan),
            "allowed": bool(given(row.get("allowed"), True)),
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
    return frame(specific + expanded, LANE_COLUMNS)


def priced_materials(
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
        shortage = given(row.get("shortage_penalty"), settings.shortage_penalty)
        if shortage is None:
            shortage = 10 * worst.get(name, 0.0) or DEFAULT_SHORTAGE_PENALTY
        safety = given(row.get("safety_penalty"), settings.safety_penalty, 0.1 * shortage)
        records.append(
            {
                "material": name,
                "elements": row["elements"],
                "holding_cost": given(row.get("holding_cost"), settings.holding_cost, 0.0),
                "shortage_penalty": shortage,
                "safety_penalty": safety,
                "disruption_cost": given(row.get("disruption_cost"), settings.disruption_cost, 0.0),
                "salvage_value": given(row.get("salvage_value"), settings.salvage_value, 0.0),
                "max_suppliers": given(row.get("max_suppliers"), np.nan),
                "content": row["content"],
                "row": row["_row"],
            }
        )
    return frame(records, MATERIAL_COLUMNS, "material")
