"""Restore a backup on cPanel without a terminal.

1. Upload the backup (the file "Download a backup" on the operations page gave
   you, or one that ``site_export`` wrote) with the File Manager into the
   folder ``instance/restore/`` of the application (make the folder if needed).
2. In "Setup Python App", put ``deploy/cpanel/restore_site.py`` in the
   "Execute python script" field and press Run.

It restores the one archive in ``instance/restore/`` (or the file named by
RESTORE_ARCHIVE) into this site's database and media storage: checked first
(every checksum), then loaded all at once, so a failure leaves the site as it
was. A site that already has content is left alone unless RESTORE_REPLACE=yes
is set in the app's environment variables (then everything the site holds is
replaced by the archive: remove the variable afterwards). A restored archive is
moved to ``instance/restore/done/``, so pressing Run again restores nothing
twice. Each step is printed; the exit status is non-zero on failure.
"""

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _archive(restore_dir: Path) -> Path | str:
    """The archive to restore, or a sentence saying why there is none."""
    named = os.environ.get("RESTORE_ARCHIVE", "").strip()
    if named:
        path = Path(named).expanduser()
        return path if path.is_file() else f"RESTORE_ARCHIVE={named!r} is not a file."
    if not restore_dir.is_dir():
        return (
            f"No backup to restore: make the folder {restore_dir} with the File Manager "
            "and upload the backup into it (or set RESTORE_ARCHIVE to its path)."
        )
    found = sorted(p for p in restore_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    if not found:
        return f"No backup to restore: {restore_dir} is empty. Upload the backup into it."
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        return (
            f"{restore_dir} holds {len(found)} files ({names}): leave only the backup to "
            "restore, or set RESTORE_ARCHIVE to its path."
        )
    return found[0]


def main() -> int:
    os.chdir(PROJECT_ROOT)
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))

    from filamenta.environment import configure, read_env_file

    # Same choice of settings as passenger_wsgi.py: .env first, then cpanel.
    read_env_file()
    os.environ.setdefault("DEPLOYMENT_TARGET", "cpanel")
    print(f"Settings: {configure()}", flush=True)
    # Whatever the script writes (media, the moved archive) is the owner's alone.
    os.umask(0o077)

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    restore_dir = Path(settings.INSTANCE_DIR) / "restore"
    archive = _archive(restore_dir)
    if isinstance(archive, str):
        print(archive, flush=True)
        return 1
    replace = os.environ.get("RESTORE_REPLACE", "").strip().lower() in ("1", "yes", "true")
    print("== migrate", flush=True)
    try:
        call_command("migrate", interactive=False)
    except Exception as error:  # the panel shows only what we print
        print(f"FAILED at migrate: {type(error).__name__}: {error}", flush=True)
        return 1
    print(f"== site_import {archive}", flush=True)
    try:
        call_command("site_import", str(archive), replace=replace, yes=replace)
    except SystemExit as stop:  # CommandError's exit, with its message already printed
        return int(stop.code or 1)
    except Exception as error:
        print(f"FAILED at site_import: {type(error).__name__}: {error}", flush=True)
        if not replace and "--replace" in str(error):  # the site has content
            print("To replace this site's content, set RESTORE_REPLACE=yes and Run again.")
        return 1
    if archive.parent == restore_dir:
        done = restore_dir / "done"
        done.mkdir(mode=0o700, exist_ok=True)
        archive.rename(done / archive.name)
        print(f"Moved the archive to {done}.", flush=True)
    print("Done. Restart the app (Setup Python App > Restart).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
