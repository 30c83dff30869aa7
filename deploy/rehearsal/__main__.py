"""``python -m deploy.rehearsal NAME``: run one rehearsal, exit non-zero on failure."""

import importlib
import os
import sys

from deploy.rehearsal.harness import Rehearsal

REHEARSALS = ("cpanel", "vps", "docker", "cluster", "move")


def run(name: str) -> int:
    """Run ``deploy.rehearsal.<name>.rehearse`` inside its time limit; 0 when all passed."""
    module = importlib.import_module(f"deploy.rehearsal.{name}")
    budget = int(os.environ.get("REHEARSE_BUDGET", module.BUDGET))
    with Rehearsal(name, budget=budget) as r:
        module.rehearse(r)
    return r.exit_code()


if __name__ == "__main__":
    names = sys.argv[1:] or list(REHEARSALS)
    unknown = [n for n in names if n not in REHEARSALS]
    if unknown:
        sys.exit(f"unknown rehearsal {unknown}; choose from: {', '.join(REHEARSALS)}")
    sys.exit(max(run(n) for n in names))
