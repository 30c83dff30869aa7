"""``python -m deploy.rehearsal NAME``: run one rehearsal, exit non-zero on failure."""

import importlib
import sys

REHEARSALS = ("cpanel", "vps", "docker", "cluster")

if __name__ == "__main__":
    names = sys.argv[1:] or list(REHEARSALS)
    unknown = [n for n in names if n not in REHEARSALS]
    if unknown:
        sys.exit(f"unknown rehearsal {unknown}; choose from: {', '.join(REHEARSALS)}")
    codes = [importlib.import_module(f"deploy.rehearsal.{n}").main() for n in names]
    sys.exit(max(codes))
