"""A bounded fuzz of the public URLs and forms: whatever comes in, never a 500."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

# Bounded so that the whole file runs in seconds on two cores.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80
)  # any Unicode but lone surrogates, which no client can send in UTF-8


@FUZZ
@given(segment=text)
def test_article_addresses(client, segment):
    response = client.get(f"/articles/{quote(segment, safe='')}/")
    assert response.status_code < 500


@FUZZ
@given(path=text)
def test_any_path(client, path):
    response = client.get("/" + quote(path, safe="/"))
    assert response.status_code < 500


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["page", "q", "next", "p", "x"]), text, max_size=3))
def test_query_strings(client, params):
    for url in ("/", "/articles/", "/feed/", "/sitemap.xml", "/accounts/login/"):
        assert client.get(url, params).status_code < 500


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(["username", "password", "email", "next", "display_name", "x"]),
        text,
        max_size=4,
    )
)
def test_forms(data):
    client = Client()
    for url in ("/accounts/login/", "/accounts/password_reset/", "/admin/login/"):
        assert client.post(url, data).status_code < 500


@FUZZ
@given(data=st.dictionaries(st.sampled_from(["display_name", "email", "first_name"]), text))
def test_profile_form(client, django_user_model, data):
    user, _ = django_user_model.objects.get_or_create(username="fuzz")
    client.force_login(user)
    assert client.post("/accounts/profile/", data).status_code < 500
