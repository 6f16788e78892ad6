"""Benchmark: write a Plan sheet of N rows (default 200,000) the way `reopt solve` does.

python -m benchmarks.write_plan [--rows 200000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from optimizer.report.writer import WORKBOOK_OPTIONS, Writer


def plan(rows: int) -> pd.DataFrame:
    """A plan table with the columns and kinds of values of a real one."""
    rng = np.random.default_rng(0)
    period = [f"W{i % 52:03d}" for i in range(rows)]
    return pd.DataFrame(
        {
            "supplier": [f"supplier {i % 900:04d}" for i in range(rows)],
            "material": [f"material {i % 25:02d}" for i in range(rows)],
            "country": rng.choice(["China", "Malaysia", "United States"], rows),
            "refined_in": "China",
            "mined_in": "Burma",
            "site": [f"site {i % 60:03d}" for i in range(rows)],
            "period": period,
            "order_by": period,
            "quantity": rng.random(rows) * 50,
            "landed_cost": rng.random(rows) * 1e6,
            "total_cost": rng.random(rows) * 1e7,
            "risk_cost": rng.random(rows) * 1e3,
            "licensed": "yes",
            "approval": 0.6,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    table = plan(args.rows)
    path = Path(tempfile.mkdtemp()) / "plan.xlsx"
    started = time.perf_counter()
    writer = Writer(xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS))
    writer.frame("Plan", table)
    writer.close(path)
    seconds = time.perf_counter() - started
    cells = args.rows * len(table.columns)
    size = path.stat().st_size / 2**20
    print(f"{args.rows:,} rows ({cells:,} cells) written in {seconds:.2f} s, {size:.1f} MiB")


if __name__ == "__main__":
    main()
