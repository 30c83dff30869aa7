"""Where uploads live, per host, from environment variables only: ``STORAGES["default"]``.

Two stores, one contract (every caller uses ``default_storage`` or ``item.file.url``):

- **filesystem** (cpanel, vps, docker, development): files under MEDIA_ROOT,
  served by the web server in front (Apache on cPanel, nginx), never by Python.
  The process umask is 077 (filamenta/file_modes.py), so the web server, another
  user, could read nothing; ``MEDIA_FILE_MODE``/``MEDIA_DIRECTORY_MODE`` (Django's
  FILE_UPLOAD_PERMISSIONS / FILE_UPLOAD_DIRECTORY_PERMISSIONS) give it exactly
  what it needs, per host (README, "Media storage").
- **s3** (production; any host with ``MEDIA_STORAGE=s3``): an S3-compatible
  object store through django-storages (boto3), from ``MEDIA_STORAGE_URL`` or the
  ``AWS_*`` variables django-storages documents. Every server of a fleet sees
  every upload at once.

Settings call :func:`media_settings` once; nothing here imports boto3 until a
storage object is made, so a host on the filesystem never loads it. A bad
variable stops start-up with ImproperlyConfigured naming it and what it accepts.
A store that fails at run time makes a write raise :class:`MediaStoreUnavailable`
(a ValidationError, so the admin's upload form shows it as a form error), while
URLs are built without a round trip (a signed URL is a local HMAC), so public
pages keep rendering.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import re
import shutil
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import FileSystemStorage

BACKENDS = ("filesystem", "s3")
FILESYSTEM_BACKEND = "filamenta.media_storage.MediaFileSystemStorage"
S3_BACKEND = "filamenta.media_s3.MediaS3Storage"

# Modes per host for the filesystem store: (files, folders); None is the umask (077).
# private: only the site's user reads (development, where Django serves media).
# group:   the web server's group reads, through a set-group-ID MEDIA_ROOT (VPS, Docker).
# public:  anyone who knows a name reads a file, nobody but the site lists a
#          folder (names hold a random key): shared hosting, where Apache runs as
#          "nobody" and cannot be put in the account's group.
MODES = {"private": (None, None), "group": (0o640, 0o2750), "public": (0o644, 0o711)}

# Objects in a bucket: the type from the stored name's extension, which the upload
# service chose from the detected content (never the uploader's claim).
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "pdf": "application/pdf",
}
DOCUMENTS = "documents/"
# Stored names never change content (each holds a random key), so caches may keep them.
CACHE_CONTROL = "public, max-age=31536000, immutable"
# A signed URL must outlive the pages that embed it: public pages are cached
# 300 s (apps/content/views.py PAGE_TIMEOUT), and a reader may open one later.
MIN_EXPIRE, MAX_EXPIRE, DEFAULT_EXPIRE = 900, 604_800, 3600
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
URL_OPTIONS = ("endpoint", "region", "public_url", "signed", "expire", "addressing")
URL_FORM = (
    "s3://KEY:SECRET@bucket[/prefix]?endpoint=https://host[:port]&region=…"
    "[&public_url=https://cdn.example.com/media | &signed=true][&expire=3600]"
)


class MediaStoreUnavailable(ValidationError):
    """The media store refused or could not be reached while writing: say which, never a 500."""


@dataclass(frozen=True)
class S3Target:
    """A bucket as the variables describe it; ``source`` names them for every error and report."""

    source: str
    bucket: str
    prefix: str = ""
    endpoint: str = ""
    region: str = "us-east-1"
    access_key: str = ""
    secret_key: str = ""
    public_url: str = ""
    signed: bool = True
    expire: int = DEFAULT_EXPIRE
    addressing: str = "path"

    @property
    def endpoint_url(self) -> str:
        """The endpoint boto3 talks to: the given one, else AWS's for the region."""
        return self.endpoint or f"https://s3.{self.region}.amazonaws.com"

    @property
    def media_url(self) -> str:
        """The absolute URL every object's URL starts with (CSP img-src takes its origin)."""
        prefix = f"{self.prefix}/" if self.prefix else ""
        if self.public_url:
            return f"{self.public_url.rstrip('/')}/{prefix}"
        parts = urlsplit(self.endpoint_url)
        if self.addressing == "virtual":
            return f"{parts.scheme}://{self.bucket}.{parts.netloc}/{prefix}"
        return f"{parts.scheme}://{parts.netloc}/{self.bucket}/{prefix}"

    def options(self) -> dict[str, Any]:
        """django-storages' S3Storage options (STORAGES["default"]["OPTIONS"])."""
        options: dict[str, Any] = {
            "bucket_name": self.bucket,
            "location": self.prefix,
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "addressing_style": self.addressing,
            "signature_version": "s3v4",
            "querystring_auth": self.signed,
            "querystring_expire": self.expire,
            # As on a filesystem: a name in use gets a suffix, never replaced.
            "file_overwrite": False,
            "default_acl": None,
        }
        if self.access_key:
            options["access_key"], options["secret_key"] = self.access_key, self.secret_key
        if self.public_url:
            parts = urlsplit(self.public_url)
            options["custom_domain"] = f"{parts.netloc}{parts.path.rstrip('/')}"
            options["url_protocol"] = f"{parts.scheme}:"
        return options


def _refuse(name: str, value: str, accepts: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not valid: {accepts}")


def _http_url(name: str, value: str, *, path: bool) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(name, value, "give an absolute http:// or https:// URL")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise _refuse(name, value, "the port must be a number") from None
    if parts.query or parts.fragment or parts.username or (parts.path.strip("/") and not path):
        raise _refuse(name, value, "give scheme, host and port only (no path, query or user)")
    return value.rstrip("/")


def _switch(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise _refuse(name, value, "use true or false")


def _expire(name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not MIN_EXPIRE <= int(value) <= MAX_EXPIRE:
        raise _refuse(
            name,
            value,
            f"seconds from {MIN_EXPIRE} (a signed URL must outlive the cached pages that "
            f"hold it) to {MAX_EXPIRE} (S3's limit, 7 days)",
        )
    return int(value)


def s3_target(
    *,
    source: str,
    bucket: str,
    prefix: str = "",
    endpoint: str = "",
    region: str = "",
    access_key: str = "",
    secret_key: str = "",
    public_url: str = "",
    signed: str = "",
    expire: str = "",
    addressing: str = "",
    names: dict[str, str] | None = None,
) -> S3Target:
    """One validation for both forms; ``names`` maps each field to the variable it came from."""
    names = names or {}

    def named(field: str) -> str:
        return names.get(field, source)

    if not BUCKET.fullmatch(bucket) or ".." in bucket:
        raise _refuse(
            named("bucket"),
            bucket,
            "a bucket name is 3 to 63 lower-case letters, digits, dots and hyphens",
        )
    prefix = prefix.strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise _refuse(named("prefix"), prefix, "a prefix is folder names joined by /")
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            f"{named('access_key')}: an access key needs its secret and a secret its key "
            "(or set neither, for boto3's default chain: an instance role, ~/.aws)"
        )
    endpoint = _http_url(named("endpoint"), endpoint, path=False) if endpoint else ""
    region = region.strip() or "us-east-1"
    if not re.fullmatch(r"[a-z0-9-]{2,32}", region):
        raise _refuse(named("region"), region, "a region name such as us-east-1 or eu-central-1")
    public_url = _http_url(named("public_url"), public_url, path=True) if public_url else ""
    is_signed = _switch(named("signed"), signed) if signed else not public_url
    if public_url and is_signed:
        raise ImproperlyConfigured(
            f"{named('public_url')} and {named('signed')}: a public base URL serves unsigned "
            "URLs; set one or the other"
        )
    addressing = addressing.strip().lower() or ("path" if endpoint else "virtual")
    if addressing not in ("path", "virtual"):
        raise _refuse(named("addressing"), addressing, "use path or virtual")
    return S3Target(
        source=source,
        bucket=bucket,
        prefix=prefix,
        endpoint=endpoint,
        region=region,
        access_key=access_key,
        secret_key=secret_key,
        public_url=public_url,
        signed=is_signed,
        expire=_expire(named("expire"), expire) if expire else DEFAULT_EXPIRE,
        addressing=addressing,
    )


def s3_from_url(url: str, *, name: str = "MEDIA_STORAGE_URL") -> S3Target:
    """Parse ``s3://KEY:SECRET@bucket/prefix?endpoint=…&region=…&public_url=…&signed=…``.

    Key and secret are percent-decoded (a secret may hold ``/`` or ``+``). Every
    error names ``name`` and never echoes the secret.
    """
    shown = re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise _refuse(name, shown, f"use the form {URL_FORM}")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(URL_OPTIONS))
    if unknown or any(len(values) > 1 for values in query.values()):
        raise _refuse(
            name, shown, f"unknown or repeated option {unknown}; options: {', '.join(URL_OPTIONS)}"
        )
    options = {key: values[0] for key, values in query.items()}
    # The bucket keeps its case from the URL: urlsplit lowers the hostname.
    bucket = parts.netloc.rsplit("@", 1)[-1]
    return s3_target(
        source=name,
        bucket=bucket,
        prefix=unquote(parts.path),
        access_key=unquote(parts.username or ""),
        secret_key=unquote(parts.password or ""),
        **options,
    )


AWS_NAMES = {
    "bucket": "AWS_STORAGE_BUCKET_NAME",
    "prefix": "AWS_LOCATION",
    "endpoint": "AWS_S3_ENDPOINT_URL",
    "region": "AWS_S3_REGION_NAME",
    "access_key": "AWS_ACCESS_KEY_ID",
    "secret_key": "AWS_SECRET_ACCESS_KEY",
    "signed": "AWS_QUERYSTRING_AUTH",
    "expire": "AWS_QUERYSTRING_EXPIRE",
    "addressing": "AWS_S3_ADDRESSING_STYLE",
}


def s3_from_aws_variables(env: Any) -> S3Target:
    """The AWS_* variables django-storages documents (AWS_S3_CUSTOM_DOMAIN: host[/path])."""
    values = {field: env.str(variable, default="").strip() for field, variable in AWS_NAMES.items()}
    domain = env.str("AWS_S3_CUSTOM_DOMAIN", default="").strip().strip("/")
    if domain and "://" in domain:
        raise _refuse("AWS_S3_CUSTOM_DOMAIN", domain, "give host[/path] without a scheme")
    return s3_target(
        source="AWS_STORAGE_BUCKET_NAME",
        public_url=f"https://{domain}" if domain else "",
        names={**AWS_NAMES, "public_url": "AWS_S3_CUSTOM_DOMAIN"},
        **values,
    )


def _octal_mode(env: Any, name: str, default: int | None, *, folder: bool) -> int | None:
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    if raw == "umask":
        return None
    needed = 0o700 if folder else 0o600
    value = int(raw, 8) if re.fullmatch(r"0?[0-7]{3}|[0-7]{4}", raw) else None
    if value is None or value & 0o022 or value & needed != needed or value > 0o2777:
        raise _refuse(
            name,
            raw,
            f"an octal mode such as {'0750' if folder else '0640'} that lets the site "
            f"{'enter and write' if folder else 'read and write'} and nobody else write, or "
            "umask (private to the site's user)",
        )
    return value


@dataclass(frozen=True)
class MediaStorage:
    """The media settings one environment module gets: STORAGES["default"], MEDIA_URL, modes."""

    backend: str
    storage: dict[str, Any]
    media_url: str
    file_mode: int | None = None
    directory_mode: int | None = None

    def django_settings(self, *, staticfiles: dict[str, Any]) -> dict[str, Any]:
        """STORAGES (``staticfiles`` kept), MEDIA_URL, the upload modes and the CSP that follows.

        The Content-Security-Policy is made here too: its img-src takes an
        absolute MEDIA_URL's origin (a bucket's endpoint for signed URLs, or the
        public base URL), so it must follow every change of store.
        """
        from filamenta import security_headers

        return {
            "STORAGES": {"default": self.storage, "staticfiles": staticfiles},
            "MEDIA_STORAGE_BACKEND": self.backend,
            "MEDIA_URL": self.media_url,
            "FILE_UPLOAD_PERMISSIONS": self.file_mode,
            "FILE_UPLOAD_DIRECTORY_PERMISSIONS": self.directory_mode,
            "CONTENT_SECURITY_POLICY": security_headers.content_security_policy(
                media_url=self.media_url
            ),
        }


def media_storage_from_env(
    env: Any, *, modes: str = "private", shared_required: bool = False
) -> MediaStorage:
    """Choose the store from ``MEDIA_STORAGE``, ``MEDIA_STORAGE_URL`` and the AWS_* variables.

    ``MEDIA_STORAGE`` unset: s3 when MEDIA_STORAGE_URL or AWS_STORAGE_BUCKET_NAME
    is set (or ``shared_required``: a fleet, whose servers see no one else's
    disk), else filesystem. So moving from a VPS to a fleet is setting variables.
    """
    url = env.str("MEDIA_STORAGE_URL", default="").strip()
    bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="").strip()
    chosen = env.str("MEDIA_STORAGE", default="").strip().lower()
    if chosen and chosen not in BACKENDS:
        raise _refuse("MEDIA_STORAGE", chosen, f"use one of: {', '.join(BACKENDS)}")
    backend = chosen or ("s3" if url or bucket or shared_required else "filesystem")
    if url and bucket:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE_URL and AWS_STORAGE_BUCKET_NAME are both set: describe the bucket "
            "one way only"
        )
    if backend == "filesystem":
        if url or bucket:
            which = "MEDIA_STORAGE_URL" if url else AWS_NAMES["bucket"]
            raise ImproperlyConfigured(
                f"MEDIA_STORAGE=filesystem but {which} is set: remove it, or set MEDIA_STORAGE=s3"
            )
        file_default, folder_default = MODES[modes]
        return MediaStorage(
            backend="filesystem",
            storage={"BACKEND": FILESYSTEM_BACKEND},
            media_url="media/",
            file_mode=_octal_mode(env, "MEDIA_FILE_MODE", file_default, folder=False),
            directory_mode=_octal_mode(env, "MEDIA_DIRECTORY_MODE", folder_default, folder=True),
        )
    if not url and not bucket:
        why = (
            "this environment keeps media in an object store"
            if shared_required
            else "MEDIA_STORAGE=s3"
        )
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL is not set ({why}): set it ({URL_FORM}) or the AWS_* "
            "variables (AWS_STORAGE_BUCKET_NAME and its companions); MEDIA_STORAGE=filesystem "
            "keeps media on this server's disk"
        )
    target = s3_from_url(url) if url else s3_from_aws_variables(env)
    return MediaStorage(
        backend="s3",
        storage={"BACKEND": S3_BACKEND, "OPTIONS": target.options()},
        media_url=target.media_url,
    )


# -- the storages --------------------------------------------------------------
def content_type_for(name: str) -> str:
    """The type a stored name is served with; never one a browser would run (HTML, SVG)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in CONTENT_TYPES:
        return CONTENT_TYPES[extension]
    guessed = mimetypes.guess_type(name)[0] or ""
    if guessed.startswith(("text/", "image/svg")) or "html" in guessed or "xml" in guessed:
        return "application/octet-stream"
    return guessed or "application/octet-stream"


def is_document(name: str) -> bool:
    """Documents are downloaded, never shown inline on the store's origin."""
    return name.lstrip("/").startswith(DOCUMENTS)


def _reach(media_root: Path, instance_dir: Path) -> None:
    """Let the web server walk from INSTANCE_DIR down to MEDIA_ROOT: x, never r, on the way.

    Only for a MEDIA_ROOT inside INSTANCE_DIR (0700 by the umask): each folder
    between gets execute for group and others, so a web server can reach the
    media by name and list nothing; everything else in instance/ stays 0600/0700
    (filamenta/file_modes.py keeps these x bits and leaves MEDIA_ROOT's tree alone).
    """
    try:
        relative = media_root.resolve().relative_to(instance_dir.resolve())
    except (ValueError, OSError):
        return
    folder = instance_dir.resolve()
    for part in ("", *relative.parts[:-1]):
        folder = folder / part if part else folder
        try:
            info = folder.stat()
            if info.st_uid == os.geteuid():
                folder.chmod(stat.S_IMODE(info.st_mode) | 0o011)
        except OSError:
            return


def open_media_root(storage: FileSystemStorage) -> None:
    """Make MEDIA_ROOT (and the way to it inside INSTANCE_DIR) what the host's modes say.

    Once per process and location, before the first upload (and by
    deploy/cpanel/setup_site.py before any): a MEDIA_ROOT made private earlier
    gets the folder mode's bits; a set-group-ID bit already there is kept.
    Nothing happens with private modes (the umask's 0700).
    """
    from django.conf import settings

    mode = storage.directory_permissions_mode
    if mode is None or not mode & 0o011:
        return
    root = Path(storage.location)
    MediaFileSystemStorage._make_folders(root, root, mode)
    _reach(root, Path(settings.INSTANCE_DIR))
    info = root.stat()
    lacking = mode & 0o777 & ~info.st_mode
    if lacking and info.st_uid == os.geteuid():
        root.chmod(stat.S_IMODE(info.st_mode) | lacking)
    MediaFileSystemStorage._opened.add(storage.location)


class MediaFileSystemStorage(FileSystemStorage):
    """MEDIA_ROOT with the host's modes, reachable by the web server, and clear errors.

    FILE_UPLOAD_PERMISSIONS / FILE_UPLOAD_DIRECTORY_PERMISSIONS come from
    MEDIA_FILE_MODE / MEDIA_DIRECTORY_MODE (Django applies them). A set-group-ID
    MEDIA_ROOT hands its group (the web server's) to every folder and file below.
    """

    # MEDIA_ROOTs this process opened to the web server already: once each, not per file.
    _opened: ClassVar[set[str]] = set()

    def _save(self, name: str, content: Any) -> str:
        mode = self.directory_permissions_mode
        if mode is not None:
            self._make_folders(Path(self.location), Path(self.path(name)).parent, mode)
            if self.location not in self._opened:
                open_media_root(self)
        return super()._save(name, content)

    @staticmethod
    def _make_folders(root: Path, folder: Path, mode: int) -> None:
        """Create ``folder`` (and MEDIA_ROOT) with ``mode`` by the umask alone, never chmod.

        Django's own makedirs chmods each new folder, and a chmod by a user who
        is not in the folder's group clears its set-group-ID bit: the next
        folder down would then get the site's group, not the web server's. A
        mkdir under a matching umask keeps the bit the kernel hands down. The
        umask is the process's: only the one-thread servers we ship (gunicorn
        sync workers, Passenger's processes) save media.
        """
        missing = []
        for candidate in (folder, *folder.parents):
            if candidate.is_dir():
                break
            missing.append(candidate)
            if candidate == root:
                break
        if not missing:
            return
        previous = os.umask(0o777 & ~mode)
        try:
            for candidate in reversed(missing):
                with contextlib.suppress(FileExistsError):
                    candidate.mkdir(mode & 0o777)
        finally:
            os.umask(previous)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        try:
            return super().save(name, content, max_length=max_length)
        except OSError as error:
            raise MediaStoreUnavailable(
                f"The media folder (MEDIA_ROOT={self.location}) did not take the file: "
                f"{error.strerror or error}. Nothing was stored; ask whoever runs the site "
                "to check its disk space and permissions.",
                code="media_store_unavailable",
            ) from error


# -- reports (manage.py backends, the operations page) --------------------------
_usage_lock = threading.Lock()
_usage: dict[str, Any] = {}
USAGE_TTL = 60
USAGE_MAX_ENTRIES = 200_000


def _tree_size(root: Path) -> tuple[int, int, bool]:
    """(bytes, files, complete): a lazy walk that stops after USAGE_MAX_ENTRIES entries."""
    total = files = seen = 0
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > USAGE_MAX_ENTRIES:
                        return total, files, False
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(Path(entry.path))
                        elif entry.is_file(follow_symlinks=False):
                            total += entry.stat(follow_symlinks=False).st_size
                            files += 1
                    except OSError:
                        continue
        except OSError:
            continue
    return total, files, True


def disk_usage(root: Path) -> dict[str, Any]:
    """MEDIA_ROOT's size and its disk's free space, counted at most once a minute per process.

    A shared host's quota is what fills first: the size of the media is what
    the operator compares with it. Bounded: a walk of at most
    USAGE_MAX_ENTRIES entries (``complete`` False past that), cached USAGE_TTL s.
    """
    key = str(root)
    with _usage_lock:
        cached = _usage.get(key)
        if cached and time.monotonic() - cached["_at"] < USAGE_TTL:
            return {k: v for k, v in cached.items() if k != "_at"}
    if not root.is_dir():
        result: dict[str, Any] = {"exists": False}
    else:
        disk = shutil.disk_usage(root)
        size, files, complete = _tree_size(root)
        result = {
            "exists": True,
            "media_bytes": size,
            "media_files": files,
            "complete": complete,
            "disk_total": disk.total,
            "disk_free": disk.free,
        }
    with _usage_lock:
        _usage[key] = {**result, "_at": time.monotonic()}
    return result


def media_storage_status() -> dict[str, Any]:
    """The media store as configured (secrets redacted), and on a filesystem its disk."""
    from django.conf import settings

    config = settings.STORAGES["default"]
    if config.get("BACKEND") == S3_BACKEND:
        options = config.get("OPTIONS", {})
        public = options.get("custom_domain")
        report = {
            "backend": "s3",
            "bucket": options.get("bucket_name"),
            "prefix": options.get("location", ""),
            "endpoint": options.get("endpoint_url"),
            "region": options.get("region_name"),
            "credentials": "set" if options.get("access_key") else "boto3's default chain",
            "urls": (
                f"public at {options.get('url_protocol', 'https:')}//{public}"
                if public
                else (
                    f"signed, valid {options.get('querystring_expire')} s"
                    if options.get("querystring_auth")
                    else "unsigned bucket URLs"
                )
            ),
        }
    else:
        root = Path(settings.MEDIA_ROOT)
        modes = (settings.FILE_UPLOAD_PERMISSIONS, settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS)
        report = {
            "backend": "filesystem",
            "location": str(root),
            "modes": "umask (private)"
            if modes == (None, None)
            else f"files {modes[0]:04o}, folders {modes[1]:04o}"
            if None not in modes
            else f"files {modes[0]}, folders {modes[1]}",
            "disk": disk_usage(root),
        }
    return {"class": config.get("BACKEND"), "media_url": settings.MEDIA_URL, **report}
