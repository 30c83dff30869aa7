"""Running the Locust scenarios headless and reading the figures Locust writes as CSV.

Locust runs in a child process: it patches the standard library with gevent
when imported, which must never happen inside the runner (or a test process).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class ScenarioRow:
    """One request name in Locust's stats (or its "Aggregated" line)."""

    name: str
    method: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, str | int | float]:
        return asdict(self)


def _number(value: str) -> float:
    # Locust writes "N/A" for a percentile of a name that saw no request.
    try:
        return float(value)
    except ValueError:
        return 0.0


def parse_locust_stats(path: Path) -> list[ScenarioRow]:
    """Rows of ``<prefix>_stats.csv``, the "Aggregated" line last as Locust writes it."""
    with path.open(newline="") as stats:
        return [
            ScenarioRow(
                name=row["Name"],
                method=row["Type"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=round(_number(row["Requests/s"]), 1),
                p50_ms=_number(row["50%"]),
                p99_ms=_number(row["99%"]),
            )
            for row in csv.DictReader(stats)
        ]


def run_locust(
    *,
    base_url: str,
    users: int,
    seconds: int,
    workdir: Path,
    env: dict[str, str],
    until_each_ran: bool = False,
) -> list[ScenarioRow]:
    """All three scenarios at once for ``seconds``; Locust stops itself, we stop it if it hangs.

    ``until_each_ran`` stops Locust as soon as every scenario has run once, and
    ``seconds`` is then only the time-out (see bench/locustfile.py): a fixed
    length is a measure of load, not a promise that the slowest scenario started.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    prefix = workdir / "locust"
    command = [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base_url,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *(["--until-each-ran"] if until_each_ran else []),
    ]
    with (workdir / "locust.log").open("w") as log:
        completed = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + 120,
            check=False,
        )
    stats = Path(f"{prefix}_stats.csv")
    # Locust exits 1 when any request failed: the failures are in the figures we report.
    if completed.returncode not in (0, 1) or not stats.exists():
        raise RuntimeError(f"locust failed ({completed.returncode}); see {workdir / 'locust.log'}")
    return parse_locust_stats(stats)
