"""seed_demo fills a demo site once; running it again adds only what is missing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.content.management.commands.seed_demo import DEMO_SECTIONS
from apps.content.models import Article
from apps.media.models import MediaItem
from apps.siteadmin.models import AuditEntry
from filamenta.caching import versions_get
from tests.media.conftest import media_root  # noqa: F401

pytestmark = [pytest.mark.database, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def demo_media(media_root):  # noqa: F811
    """The demo pictures land in the test's own MEDIA_ROOT."""
    return media_root


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
    # Per bulk write (the articles, then their sections and tags), not per batch or row:
    # one bump as it writes and one at its commit (filamenta.caching's commit hook).
    assert versions_get(names=["content.article"])[0] == before + 4


def test_seed_records_one_history_entry_per_bulk_write():
    seed(users=2, articles=3)
    seed(users=2, articles=3)  # nothing missing: nothing recorded

    assert sorted(AuditEntry.objects.values_list("action", "summary")) == sorted([
        ("added", "2 user(s) added in bulk as author."),
        ("added", "3 article(s) added in bulk."),
        ("changed", "3 article(s) given sections and tags in bulk."),
        *(("added", f"section “{name}”: Added.") for name in DEMO_SECTIONS),
        # demo-article-0002's picture and the other two, uploaded once.
        *(("added", f"media item “Demo picture {n}”: Uploaded.") for n in (1, 2, 3)),
    ])  # fmt: skip


def test_seed_bodies_are_sanitised_by_the_service():
    seed(users=1, articles=2)

    assert all(body.startswith("<p>") for body in Article.objects.values_list("body", flat=True))


def test_seed_gives_every_fifth_article_a_generated_picture_once(client, demo_media):
    seed(users=2, articles=12)

    featured = Article.objects.exclude(featured_image=None).order_by("slug")
    assert [a.slug for a in featured] == [
        "demo-article-0002",
        "demo-article-0007",
        "demo-article-0012",
    ]
    pictures = MediaItem.objects.filter(title__startswith="Demo picture")
    assert pictures.count() == 3
    assert all(p.width == 2400 and p.alt_text for p in pictures)
    assert all(p.renditions.count() == 8 for p in pictures)
    html = client.get("/articles/demo-article-0002/").content.decode()
    assert '<source type="image/webp"' in html
    assert "og:image" in html
    files = sorted(p.name for p in demo_media.rglob("*") if p.is_file())

    seed(users=2, articles=12)

    assert MediaItem.objects.count() == 3
    assert sorted(p.name for p in demo_media.rglob("*") if p.is_file()) == files
    assert Article.objects.exclude(featured_image=None).count() == 3


def test_seed_gives_older_demo_articles_their_picture(demo_media):
    seed(users=1, articles=3)
    Article.objects.update(featured_image=None)

    seed(users=1, articles=3)

    assert Article.objects.get(slug="demo-article-0002").featured_image is not None
    assert MediaItem.objects.count() == 3


def test_seed_puts_every_article_in_a_section_with_three_tags_once(client):
    from taggit.models import Tag

    from apps.content.models import Section, TaggedArticle

    seed(users=1, articles=12)
    TaggedArticle.objects.filter(content_object__slug="demo-article-0003").delete()
    Article.objects.filter(slug="demo-article-0004").update(section=None)
    seed(users=1, articles=12)

    assert Section.objects.count() == 5
    assert not Article.objects.filter(section=None).exists()
    assert all(article.tags.count() == 3 for article in Article.objects.all())
    assert TaggedArticle.objects.count() == 36
    tag = Tag.objects.order_by("slug").first()
    assert client.get(f"/tags/{tag.slug}/").status_code == 200
    assert client.get("/sections/lamps/").status_code == 200
