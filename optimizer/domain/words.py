"""The words of the planning domain that rules and sites are written in."""

ELEMENTS = (
    "Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu",
    "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu",
)  # fmt: skip
"""The 17 rare-earth element symbols."""

SYMBOLS = {symbol.casefold(): symbol for symbol in ELEMENTS}
"""Each element symbol by its case-folded spelling (`nd` → `Nd`)."""

BASE = "base"
ANY = "*"
DEFENSE = "defense"

CHAIN = ("country", "refined_in", "mined_in")
"""The Suppliers columns of an offer's chain: where it ships from, was refined, was mined."""
