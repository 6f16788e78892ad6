"""Build inputs/example.xlsx: a US manufacturer's rare-earth sourcing plan for 2027-2028.

Figures come from public sources (USGS MCS 2025/2026, trade measures, company
reports, prices); each is cited on the workbook's Sources sheet, and figures
that are modelling assumptions say so. Run: python inputs/build_example.py
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
MONTHS = [f"{year}-{month:02d}" for year in (2027, 2028) for month in range(1, 13)]

SETTINGS = [
    ["key", "value"],
    ["currency", "USD"],
    ["period_days", 30.4],
    ["risk_weight", 1],
    ["max_country_share", 1],
    ["scenario", "base"],
    ["commit_periods", 2],
    ["mip_gap", 0],
]

MATERIALS = [
    ["material", "elements", "holding_cost", "shortage_penalty", "safety_penalty",
     "disruption_cost"],
    ["NdPr oxide", "Nd, Pr", 350, None, None, 40_000],
    ["Dy oxide", "Dy", 1_200, None, None, 600_000],
    ["Tb oxide", "Tb", 5_000, None, None, 2_000_000],
    ["Sm oxide", "Sm", 15, None, None, 5_000],
    ["Y oxide", "Y", 45, None, None, 340_000],
    ["NdFeB magnet block", "Nd, Pr, Dy, Tb", 250, None, None, 30_000],
    ["NdPr metal", "Nd, Pr", 400, None, None, None],
    ["Dy metal", "Dy", 1_500, None, None, None],
    ["Magnet scrap", "Nd, Pr, Dy", 100, None, None, None],
    ["Recycled alloy", "Nd, Pr, Dy", 150, None, None, None],
]  # fmt: skip

# mass share of each element in a t of the material (SPEC §8): oxides at their metal
# content (Nd2O3/Pr6O11 75:25 → 0.850, Dy2O3 0.871, Tb4O7 0.850, Sm2O3 0.862, Y2O3 0.787);
# a block at 30 % NdPr (75:25) and 4 % Dy; scrap and recycled alloy as mixed swarf.
CONTENT = {
    "NdPr oxide": "Nd 0.637, Pr 0.212",
    "Dy oxide": "Dy 0.871",
    "Tb oxide": "Tb 0.850",
    "Sm oxide": "Sm 0.862",
    "Y oxide": "Y 0.787",
    "NdFeB magnet block": "Nd 0.225, Pr 0.075, Dy 0.04",
    "NdPr metal": "Nd 0.75, Pr 0.25",
    "Dy metal": "Dy 1",
    "Magnet scrap": "Nd 0.2, Pr 0.065, Dy 0.03",
    "Recycled alloy": "Nd 0.2, Pr 0.065, Dy 0.03",
}


def material_rows() -> list[list[object]]:
    """MATERIALS with the element content of each material."""
    header, *materials = MATERIALS
    return [[*header, "content"], *[[*row, CONTENT[row[0]]] for row in materials]]


COUNTRIES = [
    ["country", "tariff", "covered", "max_share"],
    ["China", 0.20, "yes", 0.85],
    ["Burma", 0, "no", None],
    ["Madagascar", 0, "no", None],
    ["Vietnam", 0.20, "no", None],
    ["United States", 0, "no", None],
    ["Malaysia", 0, "no", None],
    ["Australia", 0, "no", None],
    ["France", 0, "no", None],
    ["Brazil", 0, "no", None],
    ["Estonia", 0, "no", None],
    ["Russia", 0, "yes", None],
]

# storage: t of all materials together that the site's warehouse holds (blank: no limit)
SITES = [
    ["site", "end_use", "storage"],
    ["EV motor plant (Michigan)", "ev", None],
    ["Wind generator plant (Colorado)", "wind", None],
    ["Defense program (Arizona)", "defense", None],
    ["Semiconductor fab (Oregon)", "semiconductor", None],
    ["Magnet plant (South Carolina)", "ev", 45],
]

# supplier, material, country, refined_in, mined_in, capacity t/month, unit_cost $/t,
# freight $/t, lead_time months, available_from, available_to
SUPPLIERS = [
    ["supplier", "material", "country", "refined_in", "mined_in", "capacity", "unit_cost",
     "freight", "lead_time", "available_from", "available_to"],
    ["China Northern Rare Earth", "NdPr oxide", "China", None, None, 200, 69_000, 1_500, 2, None, None],
    ["China Rare Earth Group", "Dy oxide", "China", None, None, 5, 239_000, 2_000, 2, None, None],
    ["China Rare Earth Group", "Tb oxide", "China", None, None, 1.5, 1_010_000, 2_000, 2, None, None],
    ["China Rare Earth Group", "Sm oxide", "China", None, None, 5, 2_820, 1_500, 2, None, None],
    ["China Rare Earth Group", "Y oxide", "China", None, None, 10, 9_000, 1_500, 2, None, None],
    ["JL Mag", "NdFeB magnet block", "China", None, None, 120, 50_000, 2_000, 2, None, None],
    ["Ganzhou separator (Burma feed)", "Dy oxide", "China", "China", "Burma", 4, 230_000, 2_000, 2, None, None],
    ["Ganzhou separator (Burma feed)", "Tb oxide", "China", "China", "Burma", 1, 990_000, 2_000, 2, None, None],
    ["Madagascar feed via China", "NdPr oxide", "China", "China", "Madagascar", 20, 68_000, 1_500, 3, None, None],
    ["Vietnam feed via China", "NdPr oxide", "China", "China", "Vietnam", 10, 68_500, 1_500, 3, None, None],
    ["MP Materials (Mountain Pass)", "NdPr oxide", "United States", None, None, 40, 110_000, 300, 1, None, None],
    ["MP Materials (Independence)", "NdFeB magnet block", "United States", None, None, 25, 80_000, 300, 1, None, None],
    ["Energy Fuels (White Mesa)", "NdPr oxide", "United States", None, None, 15, 95_000, 300, 1, None, None],
    ["Energy Fuels (White Mesa)", "Dy oxide", "United States", None, None, 0.3, 700_000, 300, 1, "2027-06", None],
    ["Lynas Malaysia", "NdPr oxide", "Malaysia", "Malaysia", "Australia", 60, 85_000, 2_000, 2, None, None],
    ["Lynas Malaysia", "Dy oxide", "Malaysia", "Malaysia", "Australia", 1.0, 700_000, 2_000, 2, None, None],
    ["Lynas Malaysia", "Tb oxide", "Malaysia", "Malaysia", "Australia", 0.2, 2_000_000, 2_000, 2, None, None],
    ["Lynas Malaysia", "Sm oxide", "Malaysia", "Malaysia", "Australia", 2, 8_000, 2_000, 2, None, None],
    ["Lynas Malaysia", "Y oxide", "Malaysia", "Malaysia", "Australia", 1, 350_000, 2_000, 2, "2027-07", None],
    ["Solvay La Rochelle", "NdPr oxide", "France", None, None, 10, 100_000, 1_000, 2, None, None],
    ["Serra Verde via Solvay", "Dy oxide", "France", "France", "Brazil", 0.5, 800_000, 1_000, 3, "2027-06", None],
    ["Serra Verde via Solvay", "Tb oxide", "France", "France", "Brazil", 0.1, 2_500_000, 1_000, 3, "2027-06", None],
    ["Neo Magnequench (Narva)", "NdFeB magnet block", "Estonia", "Estonia", "United States", 30, 75_000, 2_500, 2, None, None],
    ["Iluka Eneabba", "NdPr oxide", "Australia", None, None, 30, 90_000, 2_000, 2, "2027-10", None],
    ["Iluka Eneabba", "Dy oxide", "Australia", None, None, 0.8, 650_000, 2_000, 2, "2027-10", None],
    ["Iluka Eneabba", "Tb oxide", "Australia", None, None, 0.15, 1_900_000, 2_000, 2, "2027-10", None],
    ["US scrap collector", "Magnet scrap", "United States", None, None, 4, 30_000, 500, 1, None, None],
    ["Noveon Magnetics (San Marcos)", "NdFeB magnet block", "United States", None, None, 20, 125_000, 300, 1, None, None],
    ["Vietnam magnet maker (Hai Phong)", "NdFeB magnet block", "Vietnam", None, None, 15, 62_000, 2_500, 2, None, None],
]  # fmt: skip

# SPEC v3 commercial terms per offer: declared origin content (value share by country),
# take-or-pay volume over the horizon (t) and the price of each t not taken ($/t)
TERMS = {
    ("Vietnam magnet maker (Hai Phong)", "NdFeB magnet block"): ("China 0.03", None, None),
    ("Noveon Magnetics (San Marcos)", "NdFeB magnet block"): (None, 400, 62_500),
}

# SPEC v3 Prices: a price path where the public quotes move ($/t, for deliveries in the period)
PRICE_PATHS = {
    ("China Northern Rare Earth", "NdPr oxide"): {"2027-01": 75_000, "2027-07": 80_000,
                                                  "2028-01": 85_000},
    ("China Rare Earth Group", "Dy oxide"): {"2027-01": 271_000, "2028-01": 291_000},
}  # fmt: skip


def price_rows() -> list[list[object]]:
    """PRICE_PATHS as Prices rows: each step holds until the next one."""
    rows: list[list[object]] = [["supplier", "material", "period", "unit_cost"]]
    for (supplier, material), steps in PRICE_PATHS.items():
        price = None
        for month in MONTHS:
            price = steps.get(month, price)
            if price is not None:
                rows.append([supplier, material, month, price])
    return rows


# SPEC §7 onboarding terms of the suppliers outside China that a US buyer would have to
# qualify: (supplier, material) → (fixed_cost $, min_order t per delivery period)
ONBOARDING = {
    ("MP Materials (Mountain Pass)", "NdPr oxide"): (150_000, 5),
    ("MP Materials (Independence)", "NdFeB magnet block"): (400_000, 2),
    ("Energy Fuels (White Mesa)", "NdPr oxide"): (150_000, 2),
    ("Energy Fuels (White Mesa)", "Dy oxide"): (100_000, 0.05),
    ("Lynas Malaysia", "NdPr oxide"): (200_000, 5),
    ("Lynas Malaysia", "Dy oxide"): (100_000, 0.1),
    ("Lynas Malaysia", "Tb oxide"): (100_000, 0.02),
    ("Lynas Malaysia", "Sm oxide"): (50_000, 0.5),
    ("Lynas Malaysia", "Y oxide"): (50_000, 0.5),
    ("Solvay La Rochelle", "NdPr oxide"): (200_000, 2),
    ("Serra Verde via Solvay", "Dy oxide"): (150_000, 0.05),
    ("Serra Verde via Solvay", "Tb oxide"): (150_000, 0.02),
    ("Neo Magnequench (Narva)", "NdFeB magnet block"): (400_000, 2),
    ("Iluka Eneabba", "NdPr oxide"): (200_000, 5),
    ("Iluka Eneabba", "Dy oxide"): (100_000, 0.1),
    ("Iluka Eneabba", "Tb oxide"): (100_000, 0.02),
    ("Noveon Magnetics (San Marcos)", "NdFeB magnet block"): (250_000, 2),
    ("Vietnam magnet maker (Hai Phong)", "NdFeB magnet block"): (300_000, 2),
}


def supplier_rows() -> list[list[object]]:
    """SUPPLIERS with the onboarding columns fixed_cost and min_order and the commercial
    terms origin_content, min_total and take_or_pay_price (blank: none)."""
    header, *offers = SUPPLIERS
    return [
        [*header, "fixed_cost", "min_order", "origin_content", "min_total", "take_or_pay_price"],
        *[[*row, *ONBOARDING.get((row[0], row[1]), (None, None)),
           *TERMS.get((row[0], row[1]), (None, None, None))] for row in offers],
    ]  # fmt: skip


LANES = [
    ["supplier", "material", "site", "freight", "allowed"],
    ["MP Materials (Independence)", "NdFeB magnet block", "EV motor plant (Michigan)", 150, None],
    ["MP Materials (Independence)", "NdFeB magnet block", "Defense program (Arizona)", 100, None],
    ["Lynas Malaysia", "Y oxide", "Semiconductor fab (Oregon)", 6_000, None],
    ["Neo Magnequench (Narva)", None, "Defense program (Arizona)", None, "no"],
]


def _ramp(start: float, end: float) -> list[float]:
    steps = len(MONTHS) - 1
    return [round(start + (end - start) * i / steps, 3) for i in range(len(MONTHS))]


# site, material → monthly demand (t), ramping linearly over the two years
DEMAND_PROFILES = {
    ("EV motor plant (Michigan)", "NdFeB magnet block"): _ramp(50, 70),
    ("Wind generator plant (Colorado)", "NdFeB magnet block"): _ramp(30, 36),
    ("Wind generator plant (Colorado)", "NdPr oxide"): _ramp(12, 15),
    ("Wind generator plant (Colorado)", "Dy oxide"): _ramp(1.0, 1.2),
    ("Wind generator plant (Colorado)", "Tb oxide"): _ramp(0.15, 0.18),
    ("Defense program (Arizona)", "NdFeB magnet block"): _ramp(4, 5),
    ("Defense program (Arizona)", "Sm oxide"): _ramp(1.5, 1.5),
    ("Defense program (Arizona)", "Tb oxide"): _ramp(0.1, 0.1),
    ("Semiconductor fab (Oregon)", "Y oxide"): _ramp(2.5, 3.0),
    ("Magnet plant (South Carolina)", "NdFeB magnet block"): _ramp(20, 30),
}

STOCK = [
    ["site", "material", "initial", "min", "max", "target_end"],
    ["EV motor plant (Michigan)", "NdFeB magnet block", 60, 30, 400, 60],
    ["Wind generator plant (Colorado)", "NdFeB magnet block", 40, 20, None, 40],
    ["Wind generator plant (Colorado)", "NdPr oxide", 20, 10, None, 20],
    ["Wind generator plant (Colorado)", "Dy oxide", 2, 1, None, 2],
    ["Wind generator plant (Colorado)", "Tb oxide", 0.3, 0.15, None, 0.3],
    ["Defense program (Arizona)", "NdFeB magnet block", 12, 12, None, 12],
    ["Defense program (Arizona)", "Sm oxide", 4, 4.5, None, 4.5],
    ["Defense program (Arizona)", "Tb oxide", 0.3, 0.3, None, 0.3],
    ["Semiconductor fab (Oregon)", "Y oxide", 6, 5, 30, 6],
    ["Magnet plant (South Carolina)", "NdFeB magnet block", 25, 10, None, 10],
    ["Magnet plant (South Carolina)", "NdPr oxide", 15, None, None, None],
    ["Magnet plant (South Carolina)", "Dy oxide", 1.5, None, None, None],
]

# open orders placed in 2026 (site, material) → t arriving per month from 2027-01
OPEN_ORDERS = {
    ("EV motor plant (Michigan)", "NdFeB magnet block"): [50, 50, 50, 50, 40],
    ("Wind generator plant (Colorado)", "NdFeB magnet block"): [30, 30, 30, 25],
    ("Wind generator plant (Colorado)", "NdPr oxide"): [12, 12],
    ("Wind generator plant (Colorado)", "Dy oxide"): [1.0, 1.0, 1.0, 0.8],
    ("Wind generator plant (Colorado)", "Tb oxide"): [0.15, 0.15, 0.15, 0.1],
    ("Defense program (Arizona)", "NdFeB magnet block"): [4],
    ("Defense program (Arizona)", "Tb oxide"): [0.1],
    ("Defense program (Arizona)", "Sm oxide"): [1.5, 1.5],
    ("Semiconductor fab (Oregon)", "Y oxide"): [2.5, 2.5, 2.5, 2.5, 2.0],
    ("Magnet plant (South Carolina)", "NdFeB magnet block"): [20, 20, 15],
}


def pipeline_rows() -> list[list[object]]:
    rows: list[list[object]] = [["site", "material", "period", "quantity"]]
    for (site, material), arrivals in OPEN_ORDERS.items():
        rows += [[site, material, MONTHS[i], qty] for i, qty in enumerate(arrivals)]
    return rows


SCENARIOS = [
    ["scenario", "parent", "demand_factor", "probability", "description"],
    ["base", None, 1, 0.30, "April 2025 licences in force (Ann. 18), October 2025 measures "
     "suspended, IEEPA and Section 301 tariffs, DFARS covered-nation rule"],
    ["oct-2025-reinstated", "base", None, 0.2, "The suspended October 2025 measures (Ann. 57, "
     "61, 62) come back: every rare earth licensed, longer reviews, 0.1 % rule"],
    ["heavy-ban", "oct-2025-reinstated", None, 0.1, "China stops Dy and Tb exports altogether"],
    ["burma-disruption", "base", None, 0.1, "Kachin ionic-clay belt cut off (KIA seizure, "
     "Oct 2024): no Burma-mined feed"],
    ["truce", "base", None, 0.1, "General licences amount to effective removal of the April "
     "2025 controls for US users (White House fact sheet, 1 Nov 2025)"],
    ["demand-surge", "base", 1.2, 0.05, "EV and wind demand 20 % above plan"],
    ["dy-tb-ban-2028", "base", None, 0.1, "China stops Dy and Tb exports from January 2028 "
     "(the April 2025 licences apply until then): the plan builds stock through 2027"],
    ["no61-reinstated", "base", None, 0.05, "Announcement No. 61 returns after its suspension "
     "ended on 2026-11-10: magnets made abroad with 0.1 % or more Chinese-origin Dy or Tb "
     "value need a Chinese licence"],
]  # fmt: skip

APRIL_2025 = ["Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"]
CONTROLS = [
    ["scenario", "country", "item", "end_use", "approval", "delay_days", "capacity_factor",
     "cost_factor", "extra_tariff", "from_period", "to_period", "min_content"],
    *[["base", "China", element, "*", 0.5, 63, None, None, None] for element in APRIL_2025],
    ["base", "China", "*", "defense", 0, None, None, None, None],
    ["base", "China", "NdFeB magnet block", "*", None, None, None, None, 0.271],
    ["oct-2025-reinstated", "China", "*", "*", 0.4, 90, None, None, None, None, None, 0.001],
    ["heavy-ban", "China", "Dy", "*", 0, None, None, None, None],
    ["heavy-ban", "China", "Tb", "*", 0, None, None, None, None],
    ["burma-disruption", "Burma", "*", "*", None, None, 0, None, None],
    *[["truce", "China", element, "*", 1, 0, None, None, None] for element in APRIL_2025],
    *[row for element in ("Dy", "Tb") for row in (
        ["dy-tb-ban-2028", "China", element, "*", 0.5, 63, None, None, None, None, "2027-12"],
        ["dy-tb-ban-2028", "China", element, "*", 0, None, None, None, None, "2028-01", None],
    )],
    *[["no61-reinstated", "China", element, "*", 0.5, 63, None, None, None, None, None, 0.001]
      for element in ("Dy", "Tb")],
]  # fmt: skip

SOURCES = [
    ["sheet", "figure", "value used", "public source", "flag"],
    ["Periods", "horizon", "2027-01 … 2028-12, monthly", "planning choice", "assumption"],
    ["Settings", "period_days", "30.4", "365 / 12 days per monthly period", "derived"],
    ["Settings", "mip_gap", "0", "the example is small enough to solve its integer terms to proven optimality "
     "(about a second for one scenario); at the default 1e-4 of a 2.8e8 objective the robust "
     "plan's VSS and EVPI (a few thousand USD) would be inside the gap", "planning choice"],
    ["Settings", "commit_periods", "2", "orders for the next two months are placed and paid "
     "for now: the suppliers' lead times are 1–3 months, so they cannot be undone when a "
     "measure is announced (planning choice)", "assumption"],
    ["Scenarios", "probability", "base 0.35, oct-2025-reinstated 0.20, heavy-ban 0.10, "
     "burma-disruption 0.10, truce 0.10, demand-surge 0.05, dy-tb-ban-2028 0.10", "judgement for the 2027 horizon: "
     "the October 2025 measures are suspended only until 10 Nov 2026 (Ann. 70; chemradar, "
     "pillsburylaw), so their return is the likeliest change; a total Dy/Tb ban has precedent "
     "in the April 2025 stop of shipments (MCS 2026) but was never formalised; the Kachin "
     "belt was cut once already (CSIS, Oct 2024); the Nov 2025 truce is a one-year deal; "
     "the demand surge is the EV and wind upside; a dated Dy/Tb ban from 2028 is as likely as an immediate one; the rest stays as today", "assumption"],
    ["Countries", "China tariff", "0.20", "IEEPA: fentanyl 10 % from 10 Nov 2025 + reciprocal 10 % "
     "(EOs of 4 Nov 2025; mondaq, strtrade); oxides are MFN-free (HTS 2846.90.20, MCS 2026)", "S"],
    ["Controls", "NdFeB extra_tariff", "0.271", "Section 301 on Chinese permanent magnets 25 % "
     "from 1 Jan 2026 (USTR review, May 2024; fastmarkets) + MFN 2.1 % (adamsmagnetic)", "S/D"],
    ["Countries", "covered", "China, Russia", "10 USC 4872 / DFARS 225.7018: covered nations "
     "North Korea, China, Russia, Iran; from 1 Jan 2027 no mining or refining there "
     "(final rule 30 May 2024; crowell.com)", "S"],
    ["Countries", "China max_share", "0.85", "Company diversification policy (example); "
     "China held 92 % of refining in 2023 (IEA GCMO 2024)", "assumption"],
    ["Controls", "April 2025 licence elements", ", ".join(APRIL_2025),
     "MOFCOM/GAC Ann. No. 18 [2025], 4 Apr 2025 (MCS 2026)", "V"],
    ["Controls", "delay_days", "63", "45 working days statutory review ≈ 63 calendar days "
     "(Reuters via en.ckhq.net)", "S/D"],
    ["Controls", "approval", "0.5", "EU Chamber: < 25 % of applications approved by Sept 2025; "
     "general licences to selected exporters from Dec 2025 (MCS 2026): 50 % assumed for a US "
     "buyer", "assumption"],
    ["Controls", "defense approval", "0", "Denial in principle for military end users "
     "(Ann. 61; jonesday.com)", "S"],
    ["Controls", "oct-2025-reinstated", "approval 0.4, 90 days", "Ann. 57/61/62 of 9 Oct 2025 "
     "suspended by Ann. 70 until 10 Nov 2026 (chemradar, pillsburylaw); values assumed",
     "assumption"],
    ["Controls", "dy-tb-ban-2028", "approval 0 from 2028-01", "Stress case, date assumed: "
     "Dy and Tb are already licensed (Ann. 18, 4 Apr 2025) and Ann. 61 denies military end "
     "users; a full stop is the escalation the October 2025 measures pointed to", "assumption"],
    ["Controls", "dated measures in the horizon", "none before 2028-01", "Every dated "
     "measure of the sources takes effect or lapses before 2027-01 (Section 301 magnets "
     "1 Jan 2026; Ann. 70 suspension and IEEPA truce until 10 Nov 2026; DFARS sourcing rule "
     "1 Jan 2027, the horizon's first period), so base rules need no window", "S"],
    ["Controls", "burma-disruption", "capacity_factor 0", "KIA seized the Kachin belt in Oct "
     "2024; China's imports from Myanmar −89 % y/y in Feb 2025 (CSIS, Reuters)", "S"],
    ["Suppliers", "China prices", "NdPr 69, Dy 239, Tb 1,010, Sm 2.82, Y 9 $/kg",
     "USGS MCS 2026, 2025 annual averages FOB China (Argus, Asian Metal)", "V"],
    ["Suppliers", "MP NdPr price", "110 $/kg", "DoD–MP 10-year NdPr price floor, 10 Jul 2025", "S"],
    ["Suppliers", "Lynas Dy / Tb", "700 / 2,000 $/kg", "Argus Europe May 2025: Dy 700–1,000, "
     "Tb 2,000–4,000 $/kg (gmteight.com); low ends used", "S"],
    ["Suppliers", "Y outside China", "350 $/kg", "Rotterdam asks above $350/kg, Dec 2025 "
     "(adamasintel.com)", "S"],
    ["Suppliers", "NdFeB block China price", "50 $/kg", "≈ 31 % NdPr at 69 $/kg + 1 % Dy at "
     "239 $/kg = 24 $/kg of rare earths (magnet composition: couragemagnet.com; Fastmarkets 27 Jun 2024) plus processing; assumed", "assumption"],
    ["Suppliers", "NdFeB outside China", "75–80 $/kg", "premium over China; IEA Oct 2025 says "
     "European magnet prices up to 6× Chinese domestic; 1.5–1.6× assumed", "assumption"],
    ["Suppliers", "MP Mountain Pass capacity", "40 t/month", "1,294 t NdPr oxide in 2024 "
     "(MP FY2024) ≈ 108 t/month; share available to this buyer assumed", "S/assumption"],
    ["Suppliers", "MP Independence", "25 t/month", "≈ 1,000 t/yr magnets, ramp from late 2025, "
     "GM the main customer (MP 10-K)", "S/assumption"],
    ["Suppliers", "Lynas NdPr / Dy / Tb", "60 / 1.0 / 0.2 t/month", "NdPr 10.5–12 kt/yr; "
     "HRE feed 1.5 kt/yr, first Dy May 2025, Tb June 2025 (magneticsmag.com)", "S/assumption"],
    ["Suppliers", "Lynas Sm / Y", "Sm from 2026, Y from 2027-07", "Sm from about April 2026; "
     "full HRE suite within two years of Oct 2025 (MCS 2026 Heavy)", "S"],
    ["Suppliers", "Energy Fuels", "15 t/month NdPr; Dy from 2027-06", "Phase 1 up to 1,000 t/yr "
     "NdPr; commercial HREE possible from Q4 2026 (metalnomist.com)", "S/assumption"],
    ["Suppliers", "Solvay La Rochelle", "10 t/month", "'several hundred tonnes' in 2025, "
     "scalable to 2–5 kt/yr (automotiveworld.com)", "S"],
    ["Suppliers", "Serra Verde via Solvay", "from 2027-06", "~5 kt/yr REO mixed concentrate by "
     "2026, needs separation outside China (MCS 2026 Heavy; DFC loan Nov 2025)", "S/assumption"],
    ["Suppliers", "Neo Magnequench Narva", "30 t/month", "Phase 1 2,000 t/yr, commercial "
     "ramp-up 2026; feed includes Energy Fuels carbonate (argusmedia)", "S/assumption"],
    ["Suppliers", "Iluka Eneabba", "from 2027-10", "commissioning 2027; 12–18 kt/yr REO "
     "quoted (miningmagazine.com.au)", "S/U"],
    ["Suppliers", "Burma, Madagascar, Vietnam feed", "refined in China", "USGS estimates "
     "their output from China's import data: the concentrate is refined in China "
     "(MCS footnote 12)", "V"],
    ["Suppliers", "fixed_cost (outside China)", "50,000–400,000 $ per offer", "qualifying a "
     "new supplier: site audit, sample lots and their testing, contract; magnet blocks for "
     "EV and wind motors need a full part approval, so the most; no public figure, assumed "
     "to be a few days of the offer's deliveries", "assumption"],
    ["Suppliers", "min_order (outside China)", "NdPr 2–5 t, magnets 2 t, Dy 0.05–0.1 t, "
     "Tb 0.02 t, Sm and Y 0.5 t per month", "smallest lot a new supplier ships: oxides in "
     "1-t bags or drums, heavy rare earths in kilogram drums; about one week to a month of "
     "the offer's capacity; assumed", "assumption"],
    ["Suppliers", "lead times", "1–3 months", "sea freight and customs; assumed", "assumption"],
    ["Suppliers", "freight", "300–2,500 $/t", "assumed logistics costs", "assumption"],
    ["Demand", "EV plant magnets", "50 → 70 t/month", "≈ 1.4 kg NdFeB per EV motor (MP: "
     "1,000 t for 700,000 motors) × 430k–600k motors/yr", "D"],
    ["Demand", "wind plant magnets", "30 → 36 t/month", "0.625–0.85 t NdFeB per MW of "
     "direct-drive PMG (Heim & Vander Wal 2023) × ≈ 0.5–0.6 GW/yr", "D"],
    ["Demand", "wind plant Dy, Tb, NdPr", "1.0, 0.15, 12 t/month", "in-house magnet line; "
     "Dy ≈ 4 % of magnet mass, ≥ 3 % Dy or Tb for H grades (Heim & Vander Wal, Minerals 13(10):1274, 2023; IEEE Electrification Magazine, Mar 2017)", "D/assumption"],
    ["Demand", "defense program", "4–5 t magnets, 1.5 t Sm, 0.1 t Tb per month",
     "F-35 ≈ 417 kg rare earths per aircraft (metaltechnews.com); program size assumed",
     "S/assumption"],
    ["Demand", "semiconductor fab Y oxide", "2.5 → 3 t/month", "US apparent consumption "
     "≈ 300 t Y2O3 in 2025 (MCS 2026 Yttrium); fab share assumed", "assumption"],
    ["Materials", "disruption_cost", "Dy 600k, Tb 2,000k $/t", "spot premium outside China "
     "over FOB China (Argus May 2025; MCS 2026)", "D"],
    ["Materials", "holding_cost", "0.5 % of value per month", "warehousing and capital; "
     "assumed", "assumption"],
    ["Stock", "initial, min, max, target_end", "see sheet", "example inventory policy: "
     "1–3 months of cover", "assumption"],
    ["Pipeline", "orders in transit", "see sheet", "example open orders", "assumption"],
]  # fmt: skip


MAGNET_PLANT = "Magnet plant (South Carolina)"
# SPEC §8: what the magnet plant may make itself. Per run: cost $, capacity runs/month,
# lead_time months, available_from; the items below give t in and out per run.
RECIPES = [
    ["recipe", "site", "cost", "capacity", "lead_time", "available_from", "description"],
    ["NdPr oxide to metal (toll)", MAGNET_PLANT, 5_000, 27.5, 1, None,
     "fused-salt electrolysis by a toller, 1 t of metal per run"],
    ["Dy oxide to metal (toll)", MAGNET_PLANT, 10_000, 2, 1, None,
     "metallothermic reduction by a toller, 1 t of metal per run"],
    ["Sinter block, bulk-Dy grade", MAGNET_PLANT, 36_000, 20, 1, "2027-04",
     "own sintering line, Dy alloyed into the melt (4 % Dy)"],
    ["Sinter block, GBD grade", MAGNET_PLANT, 39_600, 10, 1, "2027-04",
     "grain-boundary diffusion: same coercivity at half the Dy, +10 % processing"],
    ["Hydrogen-process scrap", MAGNET_PLANT, 8_000, 5, 1, None,
     "hydrogen decrepitation of swarf and end-of-life magnets into alloy powder"],
    ["Sinter block from recycled alloy", MAGNET_PLANT, 36_000, 4, 1, "2027-04",
     "short loop: recycled powder re-sintered with a fresh NdPr top-up"],
]  # fmt: skip

RECIPE_ITEMS = [
    ["recipe", "material", "input", "output"],
    ["NdPr oxide to metal (toll)", "NdPr oxide", 1.213, None],
    ["NdPr oxide to metal (toll)", "NdPr metal", None, 1],
    ["Dy oxide to metal (toll)", "Dy oxide", 1.183, None],
    ["Dy oxide to metal (toll)", "Dy metal", None, 1],
    ["Sinter block, bulk-Dy grade", "NdPr metal", 0.33, None],
    ["Sinter block, bulk-Dy grade", "Dy metal", 0.044, None],
    ["Sinter block, bulk-Dy grade", "NdFeB magnet block", None, 1],
    ["Sinter block, bulk-Dy grade", "Magnet scrap", None, 0.1],
    ["Sinter block, GBD grade", "NdPr metal", 0.33, None],
    ["Sinter block, GBD grade", "Dy metal", 0.022, None],
    ["Sinter block, GBD grade", "NdFeB magnet block", None, 1],
    ["Sinter block, GBD grade", "Magnet scrap", None, 0.1],
    ["Hydrogen-process scrap", "Magnet scrap", 1.05, None],
    ["Hydrogen-process scrap", "Recycled alloy", None, 1],
    ["Sinter block from recycled alloy", "Recycled alloy", 1.02, None],
    ["Sinter block from recycled alloy", "NdPr metal", 0.02, None],
    ["Sinter block from recycled alloy", "NdFeB magnet block", None, 1],
]

CONVERSION_SOURCES = [
    ["Materials", "content", "oxides at their metal share; block Nd 22.5 %, Pr 7.5 %, Dy 4 %",
     "atomic masses (Nd2O3 0.857, Pr6O11 0.828, Dy2O3 0.871, Tb4O7 0.850); sintered NdFeB "
     "29–32 % Nd(Pr), 0.8–1.2 % Dy generic, 3–10 % Dy in traction motors (e-magnetsuk.com; "
     "Nikkei techon, Nov 2012)", "D/S"],
    ["RecipeItems", "oxide to metal", "1.213 t NdPr oxide, 1.183 t Dy oxide per t metal",
     "stoichiometric 0.850 (NdPr 75:25) and 0.871 (Dy2O3) kg metal per kg oxide, divided by "
     "an assumed 97 % electrolysis yield (no public figure)", "D/assumption"],
    ["Recipes", "toll reduction cost", "NdPr 5,000, Dy 10,000 $/t metal", "China PrNd alloy "
     "over PrNd oxide, Sep 2025: 33–38 kyuan/t ≈ 4.7–5.4 $/kg of metal over its oxide (SMM, "
     "news.metal.com); Dy reduction assumed at twice", "S/D/assumption"],
    ["Recipes", "toll reduction capacity", "27.5 t/month NdPr metal", "Less Common Metals: "
     "~55 t metal per cell-year, 6 cells = 330 t/yr (mmta.co.uk; mrchub.com)", "S"],
    ["RecipeItems", "bulk-Dy and GBD grades", "0.33 t NdPr metal, 0.044 / 0.022 t Dy metal, "
     "0.1 t swarf per t block", "30 % NdPr and 4 % Dy in the block plus 10 % swarf; GBD "
     "gives the same coercivity with about 50 % less Dy (S. Trout, Magnetics Business & "
     "Technology, Summer 2018; mainrichinternational.com)", "S/D"],
    ["Recipes", "sintering cost", "36,000 $/t; GBD 39,600 $/t", "China block price 50 $/kg "
     "minus ≈ 24 $/kg of rare earths (Suppliers row above) ≈ 26 $/kg of processing, iron "
     "and boron; the diffusion anneal adds 5–15 % to processing (mainrichinternational.com); "
     "assumed for a US line", "assumption"],
    ["Recipes", "sintering capacity", "20 + 10 runs/month from 2027-04", "a 360 t/yr line "
     "commissioned in spring 2027; USA Rare Earth plans 4,800–5,000 t/yr (mrchub.com); "
     "assumed", "assumption"],
    ["Recipes", "recycling", "hydrogen processing 8,000 $/t, 5 t/month; short-loop "
     "sintering 4 t/month", "HyProMag USA: hydrogen-processed scrap to sintered magnets, "
     "750 t/yr from H1 2027 (news.metal.com, 5 Sep 2025); costs assumed", "S/assumption"],
    ["Suppliers", "US scrap collector", "4 t/month at 30,000 $/t", "end-of-life magnets "
     "carry Nd 15–17 %, Pr 5 %, Dy 1.3–2 % (Materials 2025, 18(13), 2946); priced near "
     "their NdPr and Dy content; assumed", "assumption"],
    ["Demand", "magnet plant blocks", "20 → 30 t/month", "a motor maker's own block "
     "needs; assumed", "assumption"],
]  # fmt: skip


TERMS_SOURCES = [
    ["Prices", "NdPr oxide path (China Northern)", "75,000 → 80,000 (2027-07) → 85,000 "
     "(2028-01) $/t", "USGS MCS 2026: NdPr oxide 69 $/kg average in 2025; SMM overseas weekly: "
     "FOB China Nd oxide 116–136 $/kg late Dec 2025 and 128–148 early Jan 2026; the path "
     "from the 2025 average toward the 2026 quotes is assumed", "S/assumption"],
    ["Prices", "Dy oxide path (China Rare Earth Group)", "271,000 (2027) → 291,000 (2028) "
     "$/t", "SMM overseas weekly, FOB China Dy oxide early Jan 2026: 271–311 $/kg (low end, "
     "then midpoint)", "S"],
    ["Suppliers", "Noveon take-or-pay", "at least 400 t over 2027–28, 62,500 $ per t not "
     "taken; 125,000 $/t", "Noveon–Nidec: at least 1,000 t of sintered NdFeB over 5 years "
     "(noveon.co), i.e. 200 t a year; ≈ 125 $/kg implied by Noveon's revenue plan; the "
     "half-price shortfall fee is assumed", "S/D/assumption"],
    ["Sites", "storage", "45 t at the magnet plant", "warehouse space for all "
     "materials together; assumed", "assumption"],
    ["Suppliers", "Vietnam magnet maker", "15 t/month at 62,000 $/t, 3 % Chinese-origin "
     "value declared", "assumed; the declaration is what Announcement No. 61's 0.1 % rule "
     "reads (sscollege.cn/en/news/44800.html; chemradar.com)", "assumption"],
    ["Countries", "Vietnam tariff", "20 %", "US reciprocal tariff on goods from Vietnam "
     "(July 2025 agreement)", "S"],
    ["Controls", "no61-reinstated", "Dy and Tb licences (approval 0.5, 63 days) reach "
     "magnets with ≥ 0.1 % Chinese-origin value (min_content 0.001)", "Announcement No. 61 "
     "(9 Oct 2025), suspended by No. 70 until 10 Nov 2026 (chemradar.com; pillsburylaw.com); "
     "no public source says whether it returned", "S"],
]  # fmt: skip


def demand_rows() -> list[list[object]]:
    rows: list[list[object]] = [["site", "material", "period", "quantity"]]
    for (site, material), profile in DEMAND_PROFILES.items():
        rows += [[site, material, month, qty] for month, qty in zip(MONTHS, profile, strict=True)]
    return rows


def write(path: Path) -> None:
    """Write every sheet with a bold, frozen header and readable widths."""
    sheets = {
        "Settings": SETTINGS,
        "Periods": [["period", "budget"], *[[month, 15_000_000] for month in MONTHS]],
        "Materials": material_rows(),
        "Countries": COUNTRIES,
        "Sites": SITES,
        "Suppliers": supplier_rows(),
        "Prices": price_rows(),
        "Lanes": LANES,
        "Demand": demand_rows(),
        "Stock": STOCK,
        "Pipeline": pipeline_rows(),
        "Recipes": RECIPES,
        "RecipeItems": RECIPE_ITEMS,
        "Scenarios": SCENARIOS,
        "Controls": CONTROLS,
        "Sources": SOURCES + CONVERSION_SOURCES + TERMS_SOURCES,
    }
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for c in range(len(rows[0])):
            width = max(len(str(row[c])) for row in rows if c < len(row) and row[c] is not None)
            sheet.set_column(c, c, min(max(width + 2, 10), 70))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value, bold if r == 0 else None)
                else:
                    sheet.write_number(r, c, value)
        sheet.freeze_panes(1, 0)
    book.close()


if __name__ == "__main__":
    write(HERE / "example.xlsx")
    print(f"wrote {HERE / 'example.xlsx'}")
