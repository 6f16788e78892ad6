"""The repository keeps its promises: lint clean, docs in step with the schema."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.workbook.schema import SETTINGS, SHEETS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_inputs_readme_documents_every_sheet_and_column():
    text = (ROOT / "inputs" / "README.md").read_text()
    sections = dict(re.findall(r"^## (\w+)[^\n]*\n(.*?)(?=^## |\Z)", text, re.S | re.M))
    for spec in SHEETS.values():
        assert spec.name in sections, spec.name
        for column in spec.column_names:
            assert f"`{column}`" in sections[spec.name], (spec.name, column)
    for key in SETTINGS:
        assert f"`{key}`" in sections["Settings"], key


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^    (python3 -m venv .*)$", readme, re.M)
    assert len(commands) == 2
    assert "reopt solve inputs/example.xlsx" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_formulation_names_every_constraint_family():
    text = (ROOT / "docs" / "formulation.md").read_text()
    build = (ROOT / "models" / "build.py").read_text()
    for family in re.findall(r"^    (add_\w+)\(model, data", build, re.M):
        assert f"`{family}`" in text, family
