"""A normal, non-editable install works: the wheel holds every module (issue 21).

The wheel is built from the checkout (`pip wheel --no-deps`), installed with the lock
into a fresh virtual environment, and run from a folder outside the checkout, so that
nothing can be imported from the source tree: what a server, a Docker image or a Dask
worker told to `pip install reopt[dask]` gets.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example.xlsx"


def _run(*command: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(the wheel, the fresh environment's bin folder, a folder outside the checkout)."""
    where = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", where / "dist", ROOT)
    (wheel,) = (where / "dist").glob("reopt-*.whl")
    base = getattr(sys, "_base_executable", sys.executable)
    _run(base, "-m", "venv", where / "env")
    bin_dir = where / "env" / "bin"
    _run(bin_dir / "pip", "install", "-q", "-c", ROOT / "requirements.lock", wheel)
    outside = where / "elsewhere"
    outside.mkdir()
    return wheel, bin_dir, outside


def test_the_wheel_holds_every_module_of_the_checkout(installed):
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        packed = {name for name in archive.namelist() if name.endswith(".py")}
    sources = {
        str(path.relative_to(ROOT))
        for top in ("optimizer", "models")
        for path in (ROOT / top).rglob("*.py")
    }
    assert sources - packed == set()


def test_the_installed_reopt_runs_from_outside_the_checkout(installed, tmp_path):
    _, bin_dir, outside = installed
    reopt = bin_dir / "reopt"
    where = _run(
        bin_dir / "python", "-c", "import optimizer; print(optimizer.__file__)", cwd=outside
    )
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout
    assert "validate" in _run(reopt, "--help", cwd=outside).stdout
    assert "no problems found" in _run(reopt, "validate", EXAMPLE, cwd=outside).stdout
    plan = tmp_path / "plan.xlsx"
    record = json.loads(_run(reopt, "solve", EXAMPLE, "-o", plan, "--json", cwd=outside).stdout)
    assert record["status"] == "optimal" and plan.exists()
    compared = tmp_path / "whatif.xlsx"
    _run(reopt, "whatif", EXAMPLE, "--workers", "2", "-o", compared, cwd=outside)
    assert compared.exists()
