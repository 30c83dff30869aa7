"""``python -m deploy.rehearsal NAME``: run one rehearsal, exit non-zero on failure."""

import importlib
import json
import os
import sys
from pathlib import Path

from deploy.rehearsal.harness import Rehearsal

REHEARSALS = ("cpanel", "vps", "docker", "cluster", "move")


def run(name: str) -> int:
    """Run ``deploy.rehearsal.<name>.rehearse`` inside its time limit; 0 when all passed."""
    module = importlib.import_module(f"deploy.rehearsal.{name}")
    budget = int(os.environ.get("REHEARSE_BUDGET", module.BUDGET))
    with Rehearsal(name, budget=budget) as r:
        module.rehearse(r)
    write_figures(name, getattr(module, "FIGURES", None), r)
    return r.exit_code()


def write_figures(name: str, figures: dict | None, r: Rehearsal) -> None:
    """REHEARSE_FIGURES=<path.json>: what the rehearsal measured, for ``make bench``.

    Written after the clean-up whatever happened, with the checks that failed, so a
    rehearsal that stopped half-way still hands over what it had measured.
    """
    path = os.environ.get("REHEARSE_FIGURES")
    if not path or figures is None:
        return
    failed = [f"{c.name}: {c.detail}"[:500] for c in r.checks if not c.ok]
    record = {"rehearsal": name, "figures": figures, "passed": r.exit_code() == 0,
              "failed": failed}  # fmt: skip
    Path(path).write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    names = sys.argv[1:] or list(REHEARSALS)
    unknown = [n for n in names if n not in REHEARSALS]
    if unknown:
        sys.exit(f"unknown rehearsal {unknown}; choose from: {', '.join(REHEARSALS)}")
    sys.exit(max(run(n) for n in names))
