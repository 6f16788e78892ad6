"""The column specification of every output table: plain label, unit, number format.

A header cell holds the column's key, the name SPEC §4 gives it (`quantity`,
`landed_cost`: what scripts and `replan`'s read-back rely on), and shows, through its
number format, the label in plain words with the unit: "Quantity (t)", "Landed cost
(USD/t)". The same entry gives the number format of the column's values, so a share is
always a %, money never shows fractions of a cent and a count is a whole number.
A key without an entry is labelled from its name (`bought_t` → "Bought (t)").
"""

from __future__ import annotations

from dataclasses import dataclass

UNIT_KINDS = {
    "t": "t", "money": "money", "money/t": "money", "%": "share", "count": "int",
    "seconds": "seconds", "gap": "gap", "text": "text", "number": "number", "index": "int",
    "factor": "number",
}  # fmt: skip
"""The number format (a `writer.NUMBER_FORMATS` key) of each unit."""

SPECS: dict[str, tuple[str, str]] = {
    # keys and names
    "scenario": ("Scenario", "text"), "supplier": ("Supplier", "text"),
    "material": ("Material", "text"), "country": ("Shipping country", "text"),
    "refined_in": ("Refined in", "text"), "mined_in": ("Mined in", "text"),
    "site": ("Site", "text"), "period": ("Period", "text"),
    "order_by": ("Order by (period)", "text"), "delivery_period": ("Delivery period", "text"),
    "chain": ("Chain: mined → refined → shipped", "text"), "element": ("Element", "text"),
    "jurisdiction": ("Licensing jurisdiction", "text"), "matched_by": ("Matched by", "text"),
    "recipe": ("Recipe", "text"), "start_period": ("Start period", "text"),
    "ready_period": ("Ready in period", "text"), "limit": ("Limit", "text"),
    "subject": ("Applies to", "text"), "relaxation": ("Relaxation", "text"),
    "basis": ("How the saving was found", "text"),
    "unit": ("Unit of the limit", "text"), "status": ("Status", "text"),
    "licensed": ("Export licence", "text"), "licensing": ("Licensing", "text"),
    "covered": ("Covered country", "text"), "binding": ("Binding limit", "text"),
    "explanation": ("Why", "text"), "note": ("Note", "text"), "reason": ("Reason", "text"),
    "top_country": ("Largest shipping country", "text"), "onboarded": ("Onboarded", "text"),
    "severity": ("Severity", "text"), "sheet": ("Sheet", "text"), "cell": ("Cell", "text"),
    "column": ("Column", "text"), "value": ("Value", "text"), "message": ("Message", "text"),
    "blank_because": ("Blank because", "text"),
    "top_limit": ("Limit whose relaxation saves most", "text"),
    "not_on_time_in": ("Scenarios where it is not on time and in full", "text"),
    "what_happens": ("What happens to the order", "text"), "metric": ("Figure", "text"),
    "currency": ("Currency", "text"),
    "input_file": ("Input file", "text"), "input_sha256": ("Input fingerprint, SHA-256", "text"),
    "scenario_chain": ("Scenario chain", "text"),
    "scenario_description": ("Scenario description", "text"),
    "created_utc": ("Created, UTC", "text"), "integer_model": ("Integer plan", "text"),
    "backend": ("Solver", "text"), "scenarios_without_plan": ("Scenarios without a plan", "text"),
    "description": ("Description", "text"), "reference": ("Reference scenario", "text"),
    "eev_reason": ("Why EEV is absent", "text"),
    # tonnes
    "quantity": ("Quantity", "t"), "opening": ("Opening stock", "t"),
    "receipts": ("Received", "t"), "pipeline": ("Arriving from earlier orders", "t"),
    "made": ("Made by recipes", "t"), "consumed": ("Consumed by recipes", "t"),
    "demand": ("Demand", "t"), "shortfall": ("Shortfall", "t"), "closing": ("Closing stock", "t"),
    "min": ("Safety floor", "t"), "max": ("Storage limit", "t"),
    "site_storage": ("Site storage limit", "t"), "site_stock": ("Site stock, all materials", "t"),
    "cover_needed": ("Licence cover needed", "t"), "floor_gap": ("Below safety floor", "t"),
    "cover_gap": ("Below licence cover", "t"), "used": ("Used", "t"),
    "capacity": ("Capacity", "t"), "touching_t": ("Bought with the country in its chain", "t"),
    "shipped_from_t": ("Shipped from the country", "t"),
    "expected_denied_t": ("Expected denied", "t"), "licensed_t": ("Bought under licence", "t"),
    "purchased_t": ("Bought", "t"), "covered_t": ("Bought through covered countries", "t"),
    "content_rule_t": ("Reached by the content rule", "t"), "shortfall_t": ("Shortfall", "t"),
    "committed_t": ("Committed volume", "t"), "excused_t": ("Excused", "t"),
    "owed_t": ("Owed", "t"), "taken_t": ("Taken", "t"), "not_taken_t": ("Not taken, paid for", "t"),
    "delivered_t": ("Delivered", "t"), "min_order": ("Minimum lot", "t"),
    "bought_t": ("Bought", "t"), "made_t": ("Made", "t"), "consumed_t": ("Consumed", "t"),
    "demand_t": ("Demand", "t"), "held_t": ("Held", "t"), "change_t": ("Change", "t"),
    "old_t": ("Last run", "t"), "new_t": ("This run", "t"),
    "element_t": ("Element content", "t"),
    # money
    "objective": ("Objective, cash + modelled", "money"), "purchase": ("Purchase price", "money"),
    "tariff": ("Tariffs", "money"), "freight": ("Freight", "money"),
    "risk": ("Modelled risk cost", "money"), "holding": ("Modelled holding cost", "money"),
    "shortage": ("Modelled shortage penalty", "money"),
    "safety": ("Modelled safety-stock penalty", "money"),
    "salvage": ("Salvage value of closing stock", "money"),
    "fixed": ("Fixed sourcing costs", "money"),
    "conversion": ("Conversion costs", "money"), "take_or_pay": ("Take-or-pay paid", "money"),
    "failed": ("Modelled cost of failed orders", "money"),
    "cash_spend": ("Cash spend", "money"), "penalties": ("Modelled penalties", "money"),
    "total_cost": ("Total cost", "money"), "risk_cost": ("Modelled risk cost", "money"),
    "cost": ("Cost under the robust plan", "money"),
    "alone": ("Cost of its own best plan", "money"),
    "difference": ("Extra cost of hedging", "money"), "expected_cost": ("Expected cost", "money"),
    "cvar": ("CVaR, mean of the worst outcomes", "money"), "ws": ("Wait and see, WS", "money"),
    "eev": ("Expected cost of the reference's orders, EEV", "money"),
    "vss": ("Value of hedging, VSS", "money"), "evpi": ("Value of perfect information", "money"),
    "change_vs_base": ("Change against base", "money"), "saving": ("Saving", "money"),
    "objective_after": ("Objective after the relaxation", "money"),
    "top_limit_saving": ("Its saving", "money"), "fixed_cost": ("Onboarding cost", "money"),
    "fixed_paid": ("Onboarding paid", "money"), "conversion_cost": ("Conversion cost", "money"),
    "paid_for_nothing": ("Paid for tonnes not taken", "money"),
    "old_cost": ("Last run", "money"), "new_cost": ("This run", "money"),
    "cost_change": ("Cost change", "money"), "optimum": ("Optimum", "money"),
    # money per tonne
    "landed_cost": ("Landed cost", "money/t"), "price_per_t": ("Price", "money/t"),
    "saving_per_extra_t": ("Saving per extra t of capacity", "money/t"),
    "marginal_cost_per_t": ("Cost of one more t needed", "money/t"),
    "cheapest_cost_per_t": ("Cheapest landed cost", "money/t"),
    "price_cut_to_win_per_t": ("Price cut needed to be used", "money/t"),
    # shares
    "approval": ("Expected licence approval", "%"), "utilisation": ("Utilisation", "%"),
    "share": ("Share of the material's tonnes", "%"), "max_share": ("Share cap", "%"),
    "licensed_share": ("Share bought under licence", "%"),
    "covered_share": ("Share through covered countries", "%"),
    "made_share": ("Share made", "%"), "probability": ("Probability", "%"),
    "change_vs_base_pct": ("Change against base", "%"), "mip_gap": ("Gap proved", "gap"),
    # counts and other numbers
    "binding_periods": ("Periods where it binds", "count"), "runs": ("Runs", "number"),
    "run_capacity": ("Run capacity", "number"), "changed_rows": ("Rows changed", "count"),
    "hhi": ("Concentration, HHI (0–10,000)", "index"), "limit_value": ("Limit", "number"),
    "saving_per_unit": ("Saving per unit of the limit", "money"),
    "valid_to": ("Saving holds up to", "number"), "sample": ("Sample", "count"),
    "samples_used": ("Samples used", "count"), "solved_samples": ("Samples solved", "count"),
    "failed_samples": ("Samples without a plan", "count"),
    "delivery_variables": ("Possible deliveries, the model's size", "count"),
    "suppliers_used": ("Suppliers used", "count"), "offers_used": ("Offers used", "count"),
    "commit_periods": ("Periods decided now, K", "count"), "orders": ("Orders", "count"),
    "demand_factor": ("Demand factor", "factor"), "solve_seconds": ("Solve time", "seconds"),
    "periods": ("Periods", "count"), "scenarios": ("Scenarios", "count"),
}  # fmt: skip
"""Key → (label in plain words, unit). Money is in the workbook's currency."""

NOTES = {
    "saving_per_unit": "{currency} per unit of the limit (see its unit; per percentage point "
    "for a cap in %): the marginal value, "
    "valid only while the limit moves up to the next column's value; the Savings sheet "
    "re-solves stated relaxations",
    "valid_to": "the limit value (same unit) up to which the saving per unit holds (HiGHS "
    "ranging); blank: not known (a share cap, or a model of 500,000 columns or more, where "
    "ranging is skipped: it costs a fifth of the solve)",
    "saving": "{currency}: objective minus the re-solved objective with only this relaxation; "
    "where How says estimated, the marginal value × the step (an upper bound but for a share cap)",
    "cash_spend": "{currency}: what is paid out: purchase + tariff + freight + fixed + "
    "conversion + take_or_pay",
    "risk_cost": "{currency}: the modelled price of the licence risk on this delivery, "
    "risk_weight × (1 − expected approval) × the material's disruption cost per t × t; "
    "it steers the plan away from licensed routes and is never paid",
}
"""A header note (a comment on the cell) where the label alone does not say enough."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an output table: the key written, the label shown, its format."""

    key: str
    label: str
    unit: str
    kind: str

    def header(self, currency: str) -> str:
        """The label with its unit in brackets, as the header shows it."""
        unit = {"money": currency, "money/t": f"{currency}/t", "seconds": "s"}.get(
            self.unit, self.unit
        )
        shown = unit if unit in ("t", "%", currency, f"{currency}/t", "s") else ""
        return f"{self.label} ({shown})" if shown else self.label


def spec_of(key: str) -> ColumnSpec:
    """The specification of a column (or Summary metric) by its key."""
    if key in SPECS:
        label, unit = SPECS[key]
        return ColumnSpec(key, label, unit, UNIT_KINDS[unit])
    return ColumnSpec(key, *_from_name(key))


def _from_name(key: str) -> tuple[str, str, str]:
    """(label, unit, kind) of a key without an entry, from its name's conventions."""
    words, unit = key, "number"
    for suffix, found in (("_t", "t"), ("_per_t", "money/t"), ("_seconds", "seconds")):
        if key.endswith(suffix):
            words, unit = key[: -len(suffix)], found
    if unit == "number" and (key.endswith("share") or key.startswith(("share", "arrives"))):
        unit = "%"
    if "_" not in key:
        return words, unit, UNIT_KINDS[unit]
    text = words.replace("_", " ")
    return text[:1].upper() + text[1:], unit, UNIT_KINDS[unit]
