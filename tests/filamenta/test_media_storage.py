"""Media storage: the variables that choose it, and both stores doing the real thing.

The S3 tests run against a real SeaweedFS (tests/fixtures.py ``seaweed``),
never a mock: objects are stored and read back, a signed URL is fetched over
HTTP, a document comes back as an attachment, and with the store killed URLs
are still built (no round trip) while a write fails with a clear message.
"""

from __future__ import annotations

import http.client
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile

from filamenta import file_modes
from filamenta.media_storage import (
    MediaFileSystemStorage,
    MediaStoreUnavailable,
    disk_usage,
    media_storage_from_env,
    s3_from_url,
)

JPEG = b"\xff\xd8\xff\xe0" + b"not really a picture, the store does not look" * 10
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def configured(monkeypatch: pytest.MonkeyPatch, **variables: str):
    """media_storage_from_env as settings call it, with only ``variables`` set."""
    for name in list(os.environ):
        if name.startswith(("MEDIA_", "AWS_")):
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return environ.Env()


# -- which store, from the variables ---------------------------------------------
def test_nothing_set_is_the_filesystem_with_a_relative_media_url(monkeypatch):
    chosen = media_storage_from_env(configured(monkeypatch))
    assert chosen.backend == "filesystem"
    assert chosen.media_url == "media/"
    assert (chosen.file_mode, chosen.directory_mode) == (None, None)  # the umask: private


def test_each_host_gets_the_modes_its_web_server_needs(monkeypatch):
    env = configured(monkeypatch)
    assert media_storage_from_env(env, modes="public").file_mode == 0o644
    assert media_storage_from_env(env, modes="public").directory_mode == 0o711
    assert media_storage_from_env(env, modes="group").file_mode == 0o640
    env = configured(monkeypatch, MEDIA_FILE_MODE="0600", MEDIA_DIRECTORY_MODE="2750")
    chosen = media_storage_from_env(env, modes="public")
    assert (chosen.file_mode, chosen.directory_mode) == (0o600, 0o2750)


@pytest.mark.parametrize(
    ("name", "value"),
    [("MEDIA_FILE_MODE", "0666"), ("MEDIA_FILE_MODE", "rw"), ("MEDIA_DIRECTORY_MODE", "0600")],
)
def test_a_mode_that_shares_writing_or_locks_the_site_out_is_refused(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        media_storage_from_env(configured(monkeypatch, **{name: value}))


def test_the_url_form_with_signed_urls_on_a_custom_endpoint(monkeypatch):
    url = "s3://KEY:se%2Fcr%2Bet@media-bucket/site/uploads?endpoint=https://s3.example.net:9000"
    chosen = media_storage_from_env(configured(monkeypatch, MEDIA_STORAGE_URL=url))
    options = chosen.storage["OPTIONS"]
    assert chosen.backend == "s3"
    assert options["secret_key"] == "se/cr+et"
    assert options["location"] == "site/uploads"
    assert options["querystring_auth"] is True
    assert options["addressing_style"] == "path"
    # The CSP's img-src takes this origin: the endpoint that signed URLs point at.
    assert chosen.media_url == "https://s3.example.net:9000/media-bucket/site/uploads/"


def test_a_public_base_url_is_the_media_url_and_unsigned(monkeypatch):
    url = "s3://K:S@media?endpoint=https://s3.example.net&public_url=https://cdn.example.com/m"
    chosen = media_storage_from_env(configured(monkeypatch, MEDIA_STORAGE_URL=url))
    assert chosen.media_url == "https://cdn.example.com/m/"
    assert chosen.storage["OPTIONS"]["querystring_auth"] is False
    assert chosen.storage["OPTIONS"]["custom_domain"] == "cdn.example.com/m"


def test_the_aws_variables_describe_the_same_bucket(monkeypatch):
    env = configured(
        monkeypatch,
        AWS_STORAGE_BUCKET_NAME="fleet-media",
        AWS_S3_REGION_NAME="eu-central-1",
        AWS_ACCESS_KEY_ID="AKIA",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_S3_CUSTOM_DOMAIN="media.example.com",
    )
    chosen = media_storage_from_env(env)
    assert chosen.backend == "s3"
    assert chosen.media_url == "https://media.example.com/"
    assert chosen.storage["OPTIONS"]["region_name"] == "eu-central-1"


def test_a_signed_aws_bucket_has_its_own_virtual_host_as_media_url(monkeypatch, settings):
    env = configured(
        monkeypatch, AWS_STORAGE_BUCKET_NAME="fleet-media", AWS_S3_REGION_NAME="eu-west-1"
    )
    chosen = media_storage_from_env(env)
    assert chosen.media_url == "https://fleet-media.s3.eu-west-1.amazonaws.com/"
    from filamenta.media_s3 import MediaS3Storage

    store = MediaS3Storage(**chosen.storage["OPTIONS"], access_key="k", secret_key="s")
    assert store.url("images/ab/photo.jpg").startswith(chosen.media_url)


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE"),
        ({"MEDIA_STORAGE": "s3"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "https://bucket.example.com"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "s3://Bad_Bucket?endpoint=http://h"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "s3://media?endpoint=ftp://h"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "s3://media?endpoint=http://h:port"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "s3://media?endpont=http://h"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "s3://media?expire=10"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "s3://media?signed=maybe"}, "MEDIA_STORAGE_URL"),
        ({"MEDIA_STORAGE_URL": "s3://KEY@media"}, "MEDIA_STORAGE_URL"),
        (
            {"MEDIA_STORAGE_URL": "s3://media?public_url=https://cdn.example&signed=true"},
            "MEDIA_STORAGE_URL",
        ),
        ({"MEDIA_STORAGE": "filesystem", "MEDIA_STORAGE_URL": "s3://media"}, "MEDIA_STORAGE"),
        ({"AWS_STORAGE_BUCKET_NAME": "x"}, "AWS_STORAGE_BUCKET_NAME"),
        ({"AWS_STORAGE_BUCKET_NAME": "media", "AWS_ACCESS_KEY_ID": "k"}, "AWS_ACCESS_KEY_ID"),
        (
            {"AWS_STORAGE_BUCKET_NAME": "media", "AWS_S3_ENDPOINT_URL": "localhost:9000"},
            "AWS_S3_ENDPOINT_URL",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "media", "AWS_QUERYSTRING_EXPIRE": "forever"},
            "AWS_QUERYSTRING_EXPIRE",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "media", "AWS_S3_CUSTOM_DOMAIN": "https://cdn.example"},
            "AWS_S3_CUSTOM_DOMAIN",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "media", "MEDIA_STORAGE_URL": "s3://media"},
            "AWS_STORAGE_BUCKET_NAME",
        ),
    ],
)
def test_a_missing_or_malformed_variable_stops_start_up_naming_it(monkeypatch, variables, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        media_storage_from_env(configured(monkeypatch, **variables))


def test_a_fleet_without_a_bucket_stops_naming_the_variable(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE_URL is not set"):
        media_storage_from_env(configured(monkeypatch), shared_required=True)


def test_the_secret_is_never_echoed_in_an_error():
    with pytest.raises(ImproperlyConfigured) as refused:
        s3_from_url("s3://KEY:hunter2-secret@Bad_Bucket?endpoint=http://h")
    assert "hunter2" not in str(refused.value)


# -- the S3 store, for real -------------------------------------------------------
def s3_store(seaweed, **options: str):
    from filamenta.media_s3 import MediaS3Storage

    prefix = f"t{secrets.token_hex(3)}"
    return MediaS3Storage(**s3_from_url(seaweed.url("media", prefix, **options)).options())


def fetch(url: str) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_an_image_is_stored_read_back_and_served_by_a_signed_url(seaweed):
    store = s3_store(seaweed)
    name = store.save("images/0a1b/photo.jpg", ContentFile(JPEG))
    assert name == "images/0a1b/photo.jpg"
    with store.open(name) as stored:
        assert stored.read() == JPEG
    head = seaweed.client().head_object(Bucket="media", Key=f"{store.location}/{name}")
    assert head["ContentType"] == "image/jpeg"
    assert "ContentDisposition" not in head  # images are shown inline

    url = store.url(name)
    assert "X-Amz-Signature=" in url
    answer = fetch(url)
    assert answer.status == 200
    assert answer.body == JPEG
    unsigned = fetch(url.split("?", 1)[0])
    assert unsigned.status == 403  # the bucket is private: only the signature opens it


def test_a_document_is_an_attachment_with_its_detected_type(seaweed):
    store = s3_store(seaweed)
    # The browser's claim rides on the upload; the stored name's type wins.
    upload = ContentFile(PDF)
    upload.content_type = "text/html"
    name = store.save("documents/0c0d/report.pdf", upload)
    answer = fetch(store.url(name))
    assert answer.status == 200
    assert answer.getheader("Content-Type") == "application/pdf"
    assert answer.getheader("Content-Disposition") == "attachment"


def test_a_name_in_use_is_never_overwritten(seaweed):
    store = s3_store(seaweed)
    first = store.save("images/0e0f/a.png", ContentFile(b"first"))
    second = store.save("images/0e0f/a.png", ContentFile(b"second"))
    assert first != second
    with store.open(first) as stored:
        assert stored.read() == b"first"


def test_a_store_that_is_down_fails_the_write_clearly_but_urls_still_come(tmp_path):
    from devtools.local_servers import SeaweedS3
    from filamenta.media_s3 import MediaS3Storage

    store = SeaweedS3(tmp_path / "gone")
    if not Path(store.binary).exists():
        pytest.skip("SeaweedFS is missing")
    store.start()
    store.create_bucket("media")
    media = MediaS3Storage(**s3_from_url(store.url("media")).options())
    media.save("images/0101/before.jpg", ContentFile(JPEG))
    store.kill()

    url = media.url("images/0101/before.jpg")  # a local HMAC: no request to the store
    assert url.startswith(store.endpoint)
    assert "X-Amz-Signature=" in url
    with pytest.raises(MediaStoreUnavailable, match="did not take the file") as refused:
        media.save("images/0202/after.jpg", ContentFile(JPEG))
    message = refused.value.messages[0]
    assert "bucket 'media'" in message
    assert store.secret_key not in message


# -- the filesystem store ----------------------------------------------------------
def test_group_modes_make_files_the_web_servers_through_a_set_group_id_root(tmp_path, settings):
    root = tmp_path / "media"
    root.mkdir()
    root.chmod(0o2750)
    previous = os.umask(0o077)  # as every entry point sets it
    try:
        store = MediaFileSystemStorage(
            location=root, file_permissions_mode=0o640, directory_permissions_mode=0o2750
        )
        name = store.save("images/abcd/photo.jpg", ContentFile(JPEG))
    finally:
        os.umask(previous)
    folder, saved = root / "images" / "abcd", root / name
    assert stat.S_IMODE(saved.stat().st_mode) == 0o640
    assert stat.S_IMODE(folder.stat().st_mode) == 0o2750
    assert folder.stat().st_mode & stat.S_ISGID  # the web server's group, handed down
    assert saved.stat().st_gid == root.stat().st_gid


def test_public_modes_under_instance_open_the_way_and_nothing_else(tmp_path, settings):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    (instance / "db.sqlite3").write_bytes(b"secret")
    (instance / "db.sqlite3").chmod(0o600)
    settings.INSTANCE_DIR = instance
    previous = os.umask(0o077)
    try:
        store = MediaFileSystemStorage(
            location=instance / "media",
            file_permissions_mode=0o644,
            directory_permissions_mode=0o711,
        )
        name = store.save("images/abcd/photo.jpg", ContentFile(JPEG))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o711  # traverse, never list
    assert stat.S_IMODE((instance / "media").stat().st_mode) == 0o711
    assert stat.S_IMODE((instance / "media" / name).stat().st_mode) == 0o644
    # The start-up pass keeps it so, and keeps everything else private.
    file_modes.tighten(instance, published=instance / "media")
    assert stat.S_IMODE(instance.stat().st_mode) == 0o711
    assert stat.S_IMODE((instance / "media" / name).stat().st_mode) == 0o644
    assert stat.S_IMODE((instance / "db.sqlite3").stat().st_mode) == 0o600


def test_a_disk_that_refuses_the_file_is_a_clear_error(tmp_path):
    blocked = tmp_path / "media"
    blocked.write_text("a file where the folder should be")
    store = MediaFileSystemStorage(location=blocked)
    with pytest.raises(MediaStoreUnavailable, match="MEDIA_ROOT="):
        store.save("images/abcd/photo.jpg", ContentFile(JPEG))


def test_disk_usage_counts_the_media_and_the_free_space(tmp_path):
    root = tmp_path / "media"
    (root / "images" / "a").mkdir(parents=True)
    (root / "images" / "a" / "x.jpg").write_bytes(b"x" * 1000)
    (root / "documents").mkdir()
    (root / "documents" / "y.pdf").write_bytes(b"y" * 24)
    usage = disk_usage(root)
    assert (usage["media_bytes"], usage["media_files"], usage["complete"]) == (1024, 2, True)
    assert 0 < usage["disk_free"] <= usage["disk_total"]
    (root / "documents" / "z.pdf").write_bytes(b"z")
    assert disk_usage(root)["media_files"] == 2  # counted once a minute, not per view
