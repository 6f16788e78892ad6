"""Cash against modelled cost: which cost terms are paid out, and their names in words.

The objective adds up money of different kinds. Cash spend is what is paid for the
material up to the site: purchase price, tariffs and freight (and, where the model has
them, fixed sourcing costs, the conversion paid for runs at the buyer's sites and what a
take-or-pay contract charges for volume not taken); period
budgets limit the landed cost (SPEC §2, constraint 8). Holding cost is left out of cash
spend: it is a per-period estimate of carrying stock (warehousing and the capital tied
up), not an invoice for material, and budgets do not count it. Risk cost is an expected
loss the model weighs, and the shortage and safety penalties price unmet demand and
unmet stock targets: none of them is paid to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping

CASH_TERMS = ("purchase", "tariff", "freight", "fixed", "conversion", "take_or_pay")
"""Cost terms paid out (those the model has)."""
PENALTY_TERMS = ("shortage", "safety")
"""Penalties: prices of unmet demand and unmet stock targets, never paid."""
TERM_WORDS = {
    "purchase": "purchase price",
    "tariff": "tariffs",
    "freight": "freight",
    "fixed": "fixed sourcing costs",
    "conversion": "conversion and tolling at own sites",
    "take_or_pay": "take-or-pay paid for volume not taken",
    "risk": "supply-risk cost (expected, not paid)",
    "holding": "holding cost of stock",
    "shortage": "shortage penalty (unmet demand, not paid)",
    "safety": "safety-stock penalty (not paid)",
    "salvage": "salvage value of stock left at the end",
}


def cash_spend(terms: Mapping[str, float]) -> float:
    """The cash terms the model has (`CASH_TERMS`): the money paid out."""
    return float(sum(terms[name] for name in CASH_TERMS if name in terms))


def penalties(terms: Mapping[str, float]) -> float:
    """Shortage and safety penalties together."""
    return float(sum(terms[name] for name in PENALTY_TERMS if name in terms))


def words(term: str) -> str:
    """A cost term in plain words (its name with spaces when it has no entry)."""
    return TERM_WORDS.get(term, term.replace("_", " "))
