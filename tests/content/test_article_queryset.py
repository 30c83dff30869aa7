"""Article.objects.published() and .public(): the one spelling of what visitors may see."""

import pytest
from django.utils import timezone

from apps.content.models import Article

pytestmark = [pytest.mark.database, pytest.mark.django_db]


@pytest.fixture
def one_of_each():
    for status in Article.Status.values:
        Article.objects.create(
            title=status, slug=status, status=status, published_at=timezone.now()
        )


def test_published_lists_only_published_items(one_of_each):
    assert list(Article.objects.published().values_list("slug", flat=True)) == ["published"]


def test_public_adds_the_archived_items_but_never_drafts(one_of_each):
    slugs = set(Article.objects.public().values_list("slug", flat=True))

    assert slugs == {"published", "archived"}


def test_they_chain_with_other_filters(one_of_each):
    assert not Article.objects.filter(kind=Article.Kind.PAGE).published().exists()
