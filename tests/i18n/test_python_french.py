# ruff: noqa: RUF001 -- French typography, with the typographic apostrophe.
"""What the Python code says to people, in French when they read French (issue 16).

Forms and their errors, admin actions and labels, model names, the operations
and backup pages, the 429 page and the notification mails. History records stay
in English whatever the language of the person acting, and English readers keep
their English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail

from apps.content.models import Article
from apps.siteadmin.models import AuditEntry
from apps.users.outbox import mail_queue_join
from tests.fixtures import PASSWORD, article_form

pytestmark = pytest.mark.django_db

FR = {"accept-language": "fr"}
EN = {"accept-language": "en"}
TWELVE = "Zebra-cloud7"


def page(response) -> str:
    return response.content.decode()


def profile_form(**changes: str) -> dict[str, str]:
    return {"display_name": "", "first_name": "", "last_name": "",
            "email": "sam@example.com", **changes}  # fmt: skip


# -- forms and their errors ----------------------------------------------------


def test_the_profile_form_refuses_in_french(client, make_user):
    client.force_login(make_user("sam"))

    response = client.post(
        "/accounts/profile/", profile_form(email="mallory@example.com"), headers=FR
    )

    assert response.status_code == 400
    html = page(response)
    assert "Saisissez votre mot de passe actuel pour changer votre adresse électronique." in html
    assert "Mot de passe actuel" in html  # the label
    assert "Nom affiché" in html  # the model field's verbose name


def test_a_saved_profile_is_said_in_french(client, make_user):
    client.force_login(make_user("sam"))

    response = client.post(
        "/accounts/profile/", profile_form(display_name="Sam"), headers=FR, follow=True
    )

    assert "Votre profil est enregistré." in page(response)


def test_the_article_admin_form_refuses_in_french(client, editor):
    client.force_login(editor)
    too_many = ", ".join(f"t{n}" for n in range(51))

    response = client.post("/admin/content/article/add/", article_form(tags=too_many), headers=FR)

    assert response.status_code == 200
    assert "Un élément a au plus 50 étiquettes." in page(response)


def test_the_article_form_labels_and_help_are_french(client, editor):
    client.force_login(editor)

    html = page(client.get("/admin/content/article/add/", headers=FR))

    assert "Image à la une" in html
    assert "Moteurs de recherche et partage" in html  # a fieldset
    assert "La dernière partie de l’adresse" in html  # the slug's help text
    assert ">Brouillon</option>" in html  # a choice label


def test_the_media_upload_form_refuses_in_french(client, editor):
    client.force_login(editor)

    response = client.post(
        "/admin/media/mediaitem/add/", {"title": "", "alt_text": "", "caption": ""}, headers=FR
    )

    assert "Choisissez un fichier à envoyer." in page(response)


def test_the_backup_form_refuses_in_french(client, administrator):
    client.force_login(administrator)

    response = client.post("/admin/operations/backup/", {"password": "not mine"}, headers=FR)

    assert response.status_code == 400
    html = page(response)
    assert "Ce n’est pas votre mot de passe." in html
    assert "Télécharger la sauvegarde" in html


# -- the admin: actions, model names, the operations page ------------------------


def test_an_admin_action_says_what_it_did_in_french(client, editor):
    article = Article.objects.create(title="A", slug="a")
    client.force_login(editor)

    response = client.post(
        "/admin/content/article/",
        {"action": "publish_selected", "_selected_action": [article.pk]},
        headers=FR,
        follow=True,
    )

    assert "1 élément publié." in page(response)
    assert "Publier les éléments sélectionnés" in page(response)  # the action's name


def test_the_admin_index_names_the_models_in_french(client, administrator):
    client.force_login(administrator)

    html = page(client.get("/admin/", headers=FR))

    for name in ("Rubriques", "Médiathèque", "Médias", "Entrées d’historique", "Réglages du site"):
        assert name in html


def test_the_operations_page_is_french(client, administrator):
    client.force_login(administrator)

    html = page(client.get("/admin/operations/", headers=FR))

    for said in ("Exploitation", "Déploiement", "Base de données", "Moteur de sessions",
                 "Caches frontaux", "Santé (vérifiée maintenant)"):  # fmt: skip
        assert said in html
    assert "Deployment" not in html


# -- the 429 page and the mails ------------------------------------------------------


def test_the_429_page_is_french(client, make_user, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "1/d"
    make_user("victim")

    client.post("/accounts/login/", {"username": "victim", "password": "x"}, headers=FR)
    response = client.post("/accounts/login/", {"username": "victim", "password": "y"}, headers=FR)

    assert response.status_code == 429
    assert "Trop de tentatives" in page(response)


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """The mail the block queues, once the mail thread has sent it."""

    class Sent:
        def __enter__(self):
            self.capture = django_capture_on_commit_callbacks(execute=True)
            self.capture.__enter__()
            return mail.outbox

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            mail_queue_join(timeout=30)

    return Sent()


def test_the_password_notice_is_french_for_a_french_reader(client, make_user, sent):
    client.force_login(make_user("sam"))

    with sent as outbox:
        client.post(
            "/accounts/password_change/",
            {"old_password": PASSWORD, "new_password1": TWELVE, "new_password2": TWELVE},
            headers=FR,
        )

    [notice] = outbox
    assert notice.subject == "Votre mot de passe sur Filamenta a été modifié"
    assert "Le mot de passe de votre compte sam sur Filamenta a été modifié le" in notice.body
    assert "Si c’était vous, il n’y a rien à faire." in notice.body


def test_the_address_notices_are_french_for_a_french_reader(client, make_user, sent):
    client.force_login(make_user("sam"))

    with sent as outbox:
        client.post(
            "/accounts/profile/",
            profile_form(email="sam@example.org", current_password=PASSWORD),
            headers=FR,
        )

    by_address = {message.to[0]: message for message in outbox}
    old, new = by_address["sam@example.com"], by_address["sam@example.org"]
    assert old.subject == "L’adresse électronique de votre compte sur Filamenta a été modifiée"
    assert "de sam@example.com à sam@example.org" in old.body
    assert new.subject == "Cette adresse reçoit désormais le courrier de votre compte sur Filamenta"


# -- English stays English; records stay in English -----------------------------------


def test_english_readers_keep_their_english(client, editor, make_user, sent):
    article = Article.objects.create(title="A", slug="a")
    client.force_login(editor)

    done = client.post(
        "/admin/content/article/",
        {"action": "publish_selected", "_selected_action": [article.pk]},
        headers=EN,
        follow=True,
    )
    index = page(client.get("/admin/", headers=EN))
    client.force_login(make_user("sam"))
    refused = client.post(
        "/accounts/profile/", profile_form(email="mallory@example.com"), headers=EN
    )
    with sent as outbox:
        client.post(
            "/accounts/password_change/",
            {"old_password": PASSWORD, "new_password1": TWELVE, "new_password2": TWELVE},
            headers=EN,
        )

    assert "Published 1 item." in page(done)
    assert "Sections" in index
    assert "Media library" in index
    assert "Rubriques" not in index
    assert "Enter your current password to change your e-mail address." in page(refused)
    assert outbox[0].subject == "Your password on Filamenta was changed"
    assert "If that was you, there is nothing to do." in outbox[0].body


def test_history_is_recorded_in_english_whatever_the_reader_s_language(client, editor):
    client.force_login(editor)
    form = article_form(title="Bonjour", author=str(editor.pk))
    client.post("/admin/content/article/add/", form, headers=FR)
    article = Article.objects.get(slug="hello")

    client.post(
        f"/admin/content/article/{article.pk}/change/",
        {**form, "title": "Bonjour à tous"},
        headers=FR,
    )

    changed = AuditEntry.objects.get(action=AuditEntry.Action.CHANGED)
    assert changed.message == "Changed Title."
    assert changed.summary.startswith("article “Bonjour à tous”")


# -- the catalogue -------------------------------------------------------------------


def test_every_french_message_is_translated_and_none_is_fuzzy(settings):
    po = (Path(settings.BASE_DIR) / "locale/fr/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]  # the header's msgstr is the metadata

    assert not [entry for entry in entries if "#, fuzzy" in entry]
    empty = re.compile(r'^msgstr(\[\d\])? ""$(?!\n")', re.MULTILINE)
    assert not [entry for entry in entries if empty.search(entry)]


def test_form_errors_carry_a_code_whatever_the_language(make_user):
    from django.utils import translation

    from apps.content.admin import ArticleAdminForm
    from apps.users.forms import ProfileForm

    user = make_user("sam")
    with translation.override("fr"):
        profile = ProfileForm(profile_form(email="new@example.org"), instance=user)
        article = ArticleAdminForm(article_form(tags=", ".join(f"t{n}" for n in range(51))))
        assert not profile.is_valid()
        assert not article.is_valid()

    assert [e.code for e in profile.errors.as_data()["current_password"]] == ["password_required"]
    assert [e.code for e in article.errors.as_data()["tags"]] == ["too_many_tags"]


def test_a_tag_s_feed_is_titled_in_the_reader_s_language(client, make_article):
    make_article("Tagged one", tags=["jardin"])

    french = page(client.get("/tags/jardin/feed/", headers=FR))
    english = page(client.get("/tags/jardin/feed/", headers=EN))

    assert "<title>Mot-clé « jardin » · Filamenta</title>" in french
    assert "<title>Tagged “jardin” · Filamenta</title>" in english
