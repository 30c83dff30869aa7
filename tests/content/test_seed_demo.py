"""seed_demo fills a demo site once; running it again adds only what is missing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.content.models import Article
from apps.siteadmin.models import AuditEntry
from filamenta.caching import versions_get

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def seed(**options):
    call_command("seed_demo", no_progress=True, stdout=open("/dev/null", "w"), **options)  # noqa: SIM115


def test_seed_creates_authors_and_published_articles(client):
    seed(users=3, articles=25)

    authors = get_user_model().objects.filter(username__startswith="demo-author-")
    assert authors.count() == 3
    assert all(not user.has_usable_password() for user in authors)
    assert all(user.groups.filter(name="author").exists() for user in authors)
    assert Article.objects.filter(status="published").count() == 25
    assert client.get("/articles/demo-article-0001/").status_code == 200
    assert "demo-article-0002" in client.get("/").content.decode()


def test_seed_is_idempotent_and_grows():
    seed(users=2, articles=10)
    first = set(Article.objects.values_list("slug", "title"))

    seed(users=2, articles=10)
    assert set(Article.objects.values_list("slug", "title")) == first

    seed(users=4, articles=30)
    assert Article.objects.count() == 30
    assert get_user_model().objects.filter(username__startswith="demo-author-").count() == 4
    assert first <= set(Article.objects.values_list("slug", "title"))


def test_seed_makes_the_new_articles_visible_through_the_cache(
    client, django_capture_on_commit_callbacks
):
    seed(users=1, articles=1)
    assert client.get("/articles/demo-article-0002/").status_code == 404

    # The caches are told when the command's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        seed(users=1, articles=2)

    assert client.get("/articles/demo-article-0002/").status_code == 200


@pytest.mark.parametrize("options", [{"users": -1, "articles": 1}, {"users": 0, "articles": 5}])
def test_bad_counts_are_refused(options):
    with pytest.raises(CommandError):
        seed(**options)


def test_seed_refreshes_the_cached_home_page(client, django_capture_on_commit_callbacks):
    """bulk_create sends no post_save: the service itself must make the cached page stale."""
    seed(users=1, articles=1)
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    before = versions_get(names=["content.article"])[0]

    with django_capture_on_commit_callbacks(execute=True):
        seed(users=2, articles=3)

    response = client.get("/")
    assert response["X-Page-Cache"] == "miss"
    assert "demo-article-0003" in response.content.decode()
    # One bump for the whole bulk write, not one per batch or row.
    assert versions_get(names=["content.article"])[0] == before + 1


def test_seed_records_one_history_entry_per_bulk_write():
    seed(users=2, articles=3)
    seed(users=2, articles=3)  # nothing missing: nothing recorded

    assert sorted(AuditEntry.objects.values_list("action", "summary")) == [
        ("added", "2 user(s) added in bulk as author."),
        ("added", "3 article(s) added in bulk."),
    ]


def test_seed_bodies_are_sanitised_by_the_service():
    seed(users=1, articles=2)

    assert all(body.startswith("<p>") for body in Article.objects.values_list("body", flat=True))
