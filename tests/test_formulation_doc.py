"""docs/formulation.md states every constraint family exactly as its docstring in models/.

The section between the two markers is generated from the docstrings of the functions
that `models/build.py` (and `models/robust.py`) call, in their order; this test fails
when the two differ. After changing a docstring run
`pytest tests/test_formulation_doc.py --update-docs` and read the diff.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "formulation.md"
BEGIN = (
    "<!-- families: generated from the docstrings of models/ by tests/test_formulation_doc.py -->"
)
END = "<!-- end of families -->"
TABLES_OF_CONTENTS = ("models.build",)
"""Modules whose functions call the families, in the order the model is built."""
HELPERS = (*TABLES_OF_CONTENTS, "models.expressions")
"""Modules of tables of contents and expression helpers: not families."""
ROBUST = "models.robust"
"""The robust plan's families (SPEC §6), documented after those of one scenario."""


def called_families(module_name: str) -> list[str]:
    """The `add_*` functions a module's functions call, in source order, a call to a
    function of the same module expanded in place (build_model → add_families → …)."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    local = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    names: list[str] = []

    def visit(function: ast.FunctionDef) -> None:
        calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)]
        for call in sorted(calls, key=lambda node: (node.lineno, node.col_offset)):
            name = getattr(call.func, "id", "")
            if name in local and name not in names:
                if name.startswith("add_"):
                    names.append(name)
                visit(local[name])
            elif name.startswith("add_") and name not in names:
                names.append(name)

    for function in local.values():
        visit(function)
    return names


def _stated_by() -> dict:
    """Families whose math lives in a helper's docstring: the objective's in `scenario_cost`."""
    from models.objective import scenario_cost

    return {"add_objective": scenario_cost}


STATED_BY = _stated_by()


def families() -> list[tuple[str, str, str]]:
    """(function, module path, docstring) of every family, in build order."""
    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for module_name in (*TABLES_OF_CONTENTS, ROBUST):
        module = importlib.import_module(module_name)
        for name in called_families(module_name):
            function = getattr(module, name, None)
            if function is None or name in seen or function.__module__ in HELPERS:
                continue
            function = STATED_BY.get(name, function)
            seen.add(name)
            path = Path(inspect.getsourcefile(function)).relative_to(ROOT).as_posix()
            found.append((name, path, inspect.getdoc(function) or ""))
    return found


def generated() -> str:
    """The markdown of the family section."""
    parts = [BEGIN, ""]
    for name, path, doc in families():
        parts += [f"**`{name}`** (`{path}`)", "", textwrap.indent(doc, "    "), ""]
    return "\n".join([*parts, END])


def current() -> str:
    text = DOC.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def test_every_family_has_its_math_in_a_docstring():
    assert [name for name, _, doc in families() if not any(sign in doc for sign in "≤≥=∈Σ")] == []


def test_the_formulation_doc_states_every_family_as_its_docstring(request):
    if request.config.getoption("--update-docs"):
        text = DOC.read_text()
        DOC.write_text(text.replace(current(), generated()))
    assert current() == generated()


def test_a_changed_docstring_is_caught(monkeypatch):
    """The comparison is not vacuous: a docstring edit makes the section differ."""
    stock = importlib.import_module("models.stock")
    monkeypatch.setattr(stock.add_balance, "__doc__", "I[t] = something else")
    with pytest.raises(AssertionError):
        assert current() == generated()
