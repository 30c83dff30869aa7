"""Moving-house figures: site_export and site_import time and peak memory, per size and vendor pair.

``python -m bench.moving --articles 10000,100000 --pairs sqlite:postgresql,mariadb:postgresql``
fills a fresh source database with ``seed_demo`` (its pictures included), runs
``manage.py site_export`` on it and ``manage.py site_import`` into a fresh,
migrated target, each in a child process as an operator would, and prints JSON:
per run the wall time and the child's peak resident memory (``wait4``'s
``ru_maxrss``: the kernel's own high-water mark, no sampling to miss a spike),
the archive's size and whether the target's counts matched the manifest's.

The targets (README, "Moving house"; judged in bench/targets.py): peak memory
that does not grow with the number of articles, under 150 MB at 100,000, and
an import under 2 minutes at 100,000 on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MB = 1_000_000
URLS = {
    "postgresql": "postgres://root@127.0.0.1:5432/filamenta_bench_move_{role}",
    "mariadb": "mysql://root@127.0.0.1:3306/filamenta_bench_move_{role}",
}


def database_url(vendor: str, role: str, workdir: Path) -> str:
    """The benchmark's own database of ``vendor`` for ``role`` ("source" or "target")."""
    if vendor == "sqlite":
        return f"sqlite:///{workdir / f'move-{role}.sqlite3'}"
    return URLS[vendor].format(role=role)


def fresh_database(url: str) -> None:
    """Drop and create the database ``url`` names: every run starts from nothing."""
    import dj_database_url

    config = dj_database_url.parse(url)
    engine, name = config["ENGINE"], config["NAME"]
    if engine.endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    elif engine.endswith("postgresql"):
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 5432),
            user=config["USER"] or None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        ) as connection:
            ident = sql.Identifier(name)
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    else:
        import MySQLdb

        connection = MySQLdb.connect(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 3306),
            user=config["USER"] or "root",
            password=config["PASSWORD"] or "",
            connect_timeout=5,
        )
        try:
            escaped = name.replace("`", "``")
            cursor = connection.cursor()
            cursor.execute(f"DROP DATABASE IF EXISTS `{escaped}`")
            cursor.execute(f"CREATE DATABASE `{escaped}` CHARACTER SET utf8mb4")
        finally:
            connection.close()


def _run_with_peak(args: list[str], *, env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run ``manage.py ARGS``: wall time, and peak RSS from the kernel (reaped with wait4)."""
    from bench.servers import PROJECT_ROOT

    log = Path(env["INSTANCE_DIR"]) / f"{args[0]}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w") as output:
        child = subprocess.Popen(  # noqa: S603 - our own manage.py, a fixed argument list
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                os.wait4(child.pid, 0)
                raise RuntimeError(f"manage.py {args[0]} took over {timeout} s")
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if child.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{text[-3000:]}")
    # ru_maxrss is in kilobytes on Linux.
    return {"seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss * 1024 / MB, 1),
            "output": text}  # fmt: skip


def measure_move(
    *,
    articles: int,
    source: str,
    target: str,
    workdir: Path,
    env: dict[str, str],
    users: int = 20,
    timeout: float = 3600,
) -> dict[str, Any]:
    """One move of a seeded site of ``articles`` articles from vendor ``source`` to ``target``."""
    from bench.site import manage

    run_dir = workdir / f"move-{source}-{target}-{articles}"
    source_env = dict(
        env,
        DATABASE_URL=database_url(source, "source", workdir),
        INSTANCE_DIR=str(run_dir / "source"),
        MEDIA_ROOT=str(run_dir / "source" / "media"),
    )
    target_env = dict(
        env,
        DATABASE_URL=database_url(target, "target", workdir),
        INSTANCE_DIR=str(run_dir / "target"),
        MEDIA_ROOT=str(run_dir / "target" / "media"),
    )
    fresh_database(source_env["DATABASE_URL"])
    manage("migrate", "--no-input", env=source_env, timeout=timeout)
    manage(
        "seed_demo", "--users", str(users), "--articles", str(articles), "--no-progress",
        env=source_env, timeout=timeout,
    )  # fmt: skip
    archive = run_dir / "site.zip"
    exported = _run_with_peak(["site_export", str(archive)], env=source_env, timeout=timeout)
    fresh_database(target_env["DATABASE_URL"])
    manage("migrate", "--no-input", env=target_env, timeout=timeout)
    imported = _run_with_peak(["site_import", str(archive)], env=target_env, timeout=timeout)
    return {
        "articles": articles,
        "source": source,
        "target": target,
        "export_seconds": exported["seconds"],
        "export_peak_mb": exported["peak_mb"],
        "import_seconds": imported["seconds"],
        "import_peak_mb": imported["peak_mb"],
        "archive_bytes": archive.stat().st_size,
        "counts_match": "<- differs" not in imported["output"] and "Imported" in imported["output"],
    }


def run_moves(
    *, sizes: list[int], pairs: list[tuple[str, str]], workdir: Path, env: dict[str, str]
) -> dict[str, Any]:
    runs = []
    for articles in sizes:
        for source, target in pairs:
            print(f"moving {articles:,} articles, {source} -> {target}", flush=True)
            run = measure_move(
                articles=articles, source=source, target=target, workdir=workdir, env=env
            )
            print(json.dumps(run), flush=True)  # each figure survives a later failure
            runs.append(run)
    return {"runs": runs}


def parse_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.split(","):
        source, _, target = item.partition(":")
        for vendor in (source, target):
            if vendor not in ("sqlite", *URLS):
                raise SystemExit(f"unknown vendor {vendor!r}: sqlite, postgresql or mariadb")
        pairs.append((source, target))
    return pairs


def main(argv: list[str] | None = None) -> int:
    import secrets
    import tempfile

    from bench.site import base_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="10000", help="comma-separated sizes")
    parser.add_argument("--pairs", default="sqlite:postgresql,mariadb:postgresql")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="filamenta-move-"))
    env = base_env(workdir=workdir, secret_key=secrets.token_urlsafe(50))
    results = run_moves(
        sizes=[int(n) for n in args.articles.split(",")],
        pairs=parse_pairs(args.pairs),
        workdir=workdir,
        env=env,
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
