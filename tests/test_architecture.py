"""The import rules of docs/architecture.md: each layer imports only the layers below it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    "json_text", "problems", "models", "domain", "workbook", "solver", "plan", "pipeline",
    "report", "runs", "commands", "console", "exits", "cli",
]  # fmt: skip
IMPORT = re.compile(r"^\s*(?:from|import) ((?:optimizer|models)(?:\.\w+)*)", re.MULTILINE)


def layer(module: str) -> str | None:
    """The layer of a dotted module name (None for the package roots)."""
    parts = module.split(".")
    if parts[0] == "models":
        return "models"
    return parts[1] if len(parts) > 1 else None


def imports() -> list[tuple[str, str, str, str]]:
    """(file, its layer, imported module, that module's layer) for every import of ours."""
    found = []
    for path in sorted(
        [*ROOT.joinpath("optimizer").rglob("*.py"), *ROOT.joinpath("models").rglob("*.py")]
    ):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for match in IMPORT.finditer(path.read_text()):
            mine, theirs = layer(module), layer(match.group(1))
            if mine and theirs:
                found.append((str(path.relative_to(ROOT)), mine, match.group(1), theirs))
    return found


def test_every_module_belongs_to_a_documented_layer():
    assert {mine for _, mine, _, _ in imports()} <= set(LAYERS)


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{path} ({mine}) imports {module} ({theirs})"
        for path, mine, module, theirs in imports()
        if LAYERS.index(theirs) > LAYERS.index(mine)
    ]
    assert upward == []


def test_models_never_imports_optimizer():
    assert [
        entry for entry in imports() if entry[1] == "models" and entry[2].startswith("optimizer")
    ] == []


def test_the_rule_can_fail():
    """A made-up upward import is caught (the check is not vacuous)."""
    assert LAYERS.index(layer("optimizer.report.writer")) > LAYERS.index(layer("optimizer.plan.x"))


SOLVE_MODULES = ("models.build", "optimizer.solver.kept", "optimizer.solver.standard_form")
SOLVE_NAMES = {"build_model", "build_robust", "KeptModel", "standard_form"}
"""What builds a model or hands one to HiGHS: only the pipeline (and solver/) imports it."""


def solve_path_imports(root: Path = ROOT) -> list[str]:
    """Modules outside pipeline.py and solver/ that import a builder or the kept model."""
    found = []
    for path in sorted(root.joinpath("optimizer").rglob("*.py")):
        relative = str(path.relative_to(root))
        if relative == "optimizer/pipeline.py" or relative.startswith("optimizer/solver/"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {alias.name for alias in node.names}
                if node.module in SOLVE_MODULES or names & SOLVE_NAMES:
                    found.append(f"{relative} imports {node.module}: {sorted(names)}")
    return found


def test_the_pipeline_is_the_only_caller_of_the_solve():
    """Every model is built and solved by `optimizer/pipeline.py` (issue 22)."""
    assert solve_path_imports() == []


def test_the_solve_rule_can_fail(tmp_path):
    """A module of runs/ that imports the kept model is caught (the check is not vacuous)."""
    (tmp_path / "optimizer" / "runs").mkdir(parents=True)
    (tmp_path / "optimizer" / "pipeline.py").write_text("from models.build import build_model\n")
    rogue = tmp_path / "optimizer" / "runs" / "rogue.py"
    rogue.write_text("from optimizer.solver.kept import KeptModel\n")
    assert solve_path_imports(tmp_path) == [
        "optimizer/runs/rogue.py imports optimizer.solver.kept: ['KeptModel']"
    ]
