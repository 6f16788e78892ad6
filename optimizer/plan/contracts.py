"""Take-or-pay contracts of a plan (SPEC §2, constraint 11): committed, excused, taken
and paid for nothing, one row per offer with a `min_total`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain.derive import Instance
from optimizer.plan.values import Values, offer_tonnes
from optimizer.problems import Problem

CONTRACT_COLUMNS = [
    "supplier", "material", "committed_t", "excused_t", "owed_t", "taken_t", "not_taken_t",
    "price_per_t", "paid_for_nothing",
]  # fmt: skip


def contracts(instance: Instance, values: Values) -> pd.DataFrame:
    """Per take-or-pay offer: t committed (min_total), t excused because the scenario
    cannot deliver them (a ban, a capacity cut), t owed, t taken, t not taken (g) and what
    that costs (take_or_pay_price × g)."""
    data = instance.data
    offer = data.contract_offer
    if not len(offer):
        return pd.DataFrame(columns=CONTRACT_COLUMNS)
    rows = instance.offers.iloc[offer]
    committed = rows["min_total"].to_numpy(float)
    return pd.DataFrame(
        {
            "supplier": rows["supplier"].to_numpy(),
            "material": rows["material"].to_numpy(),
            "committed_t": committed,
            "excused_t": committed - data.contract_total_t,
            "owed_t": data.contract_total_t,
            "taken_t": offer_tonnes(data, values.buy)[offer],
            "not_taken_t": values.unpaid,
            "price_per_t": data.contract_price,
            "paid_for_nothing": data.contract_price * values.unpaid,
        }
    )


def contract_warnings(table: pd.DataFrame, currency: str) -> list[Problem]:
    """A take-or-pay gap names the offer, the tonnes and what they cost (SPEC §4); an
    excused volume says so."""
    found = []
    for row in table.itertuples():
        name = f"{row.supplier} / {row.material}"
        if row.not_taken_t > 0:
            found.append(Problem(
                f"take-or-pay: {row.not_taken_t:,.3f} t of {name}'s {row.owed_t:,.3f} t owed "
                f"are not taken and cost {row.paid_for_nothing:,.0f} {currency} for nothing",
                warning=True,
            ))  # fmt: skip
        if row.excused_t > 0 and np.isfinite(row.excused_t):
            found.append(Problem(
                f"take-or-pay: {row.excused_t:,.3f} t of {name}'s {row.committed_t:,.3f} t "
                "committed are excused: this scenario cannot deliver them",
                warning=True,
            ))  # fmt: skip
    return found
