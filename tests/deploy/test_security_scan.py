"""deploy/rehearsal/security_scan.py's checks that need no server: they can fail."""

from __future__ import annotations

from pathlib import Path

from deploy.rehearsal.security_scan import CHECKS, ScannedSite, file_modes


def site_at(instance: Path) -> ScannedSite:
    return ScannedSite(
        env={}, instance_dir=instance, http_url="", https_url="", connect=None, app=None
    )


def test_file_modes_pass_only_when_nothing_is_shared(tmp_path):
    instance = tmp_path / "instance"
    (instance / "logs").mkdir(parents=True)
    for folder in (instance, instance / "logs"):
        folder.chmod(0o700)
    log = instance / "logs" / "filamenta.log"
    log.write_text("private\n")
    log.chmod(0o600)
    assert file_modes(None, site_at(instance))[0]

    log.chmod(0o640)
    ok, detail = file_modes(None, site_at(instance))
    assert not ok
    assert "instance/logs/filamenta.log -rw-r-----" in detail

    log.chmod(0o600)
    (instance / "logs").chmod(0o755)
    assert not file_modes(None, site_at(instance))[0]


def test_a_missing_instance_folder_fails(tmp_path):
    ok, detail = file_modes(None, site_at(tmp_path / "absent"))
    assert not ok
    assert "does not exist" in detail


def test_each_finding_is_one_named_check():
    names = [name for name, _ in CHECKS]
    assert len(names) == len(set(names)) == 5
