"""The words of the planning domain that rules and sites are written in."""

ELEMENTS = (
    "Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu",
    "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu",
)  # fmt: skip
"""The 17 rare-earth element symbols."""

BASE = "base"
ANY = "*"
DEFENSE = "defense"
