"""``@cached``: memoised by arguments, invalidated by model saves and deletes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from filamenta.caching import cached

calls: list[tuple] = []


@cached(timeout=300, depends_on=("users.User",))
def user_count(*, active: bool) -> int:
    calls.append(("user_count", active))
    return get_user_model().objects.filter(is_active=active).count()


@cached(timeout=300)
def nothing(*, n: int) -> None:
    calls.append(("nothing", n))


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


@pytest.mark.django_db
def test_result_is_reused_per_arguments():
    assert user_count(active=True) == 0
    assert user_count(active=True) == 0
    assert user_count(active=False) == 0
    assert calls == [("user_count", True), ("user_count", False)]


@pytest.mark.django_db
def test_saving_or_deleting_a_dependency_invalidates():
    assert user_count(active=True) == 0
    user = get_user_model().objects.create(username="ada")
    assert user_count(active=True) == 1
    user.delete()
    assert user_count(active=True) == 0
    assert len(calls) == 3


@pytest.mark.django_db
def test_invalidate_forgets_every_result_of_the_function():
    user_count(active=True)
    user_count.invalidate()
    user_count(active=True)
    assert calls == [("user_count", True), ("user_count", True)]


@pytest.mark.django_db
def test_none_is_a_result_too():
    nothing(n=1)
    nothing(n=1)
    assert calls == [("nothing", 1)]


@pytest.mark.django_db
def test_unkeyable_argument_is_refused():
    with pytest.raises(TypeError, match="cannot build a key from a object"):
        nothing(n=object())
