# ruff: noqa: RUF001 -- French text with its typographic apostrophe, as the site writes it.
"""The site's pages in French for a French reader, and unchanged in English for an English one.

Each page is asked for once per test, in one language (parametrised): the page
cache starts empty in every test (tests/fixtures.py), so a page is never the
other language's cached copy. A French page must show the French text and none
of the English it replaces; the English page the English text as before.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.content.services import section_create
from apps.siteadmin.services import site_settings_update
from apps.users.outbox import mail_queue_join
from tests.fixtures import PASSWORD, authenticator_for, force_login_verified

pytestmark = pytest.mark.django_db

LANGUAGES = pytest.mark.parametrize("language", ["en", "fr"])
# Noon UTC: the same day wherever TIME_ZONE puts it within twelve hours.
MARCH_5 = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def get(client, url: str, language: str, **extra):
    return client.get(url, headers={"accept-language": language}, **extra)


def post(client, url: str, data: dict, language: str, **extra):
    return client.post(url, data, headers={"accept-language": language}, **extra)


def assert_speaks(response, language: str, *, en: list[str], fr: list[str]) -> None:
    """The page shows the texts of its language and none of the other's."""
    page = response.content.decode()
    shown, replaced = (fr, en) if language == "fr" else (en, fr)
    for text in shown:
        assert text in page, f"{text!r} missing from the {language} page"
    for text in replaced:
        assert text not in page, f"{text!r} still on the {language} page"


# Public pages ------------------------------------------------------------------------


@LANGUAGES
def test_the_home_page_with_nothing_published(client, language):
    assert_speaks(
        get(client, "/", language),
        language,
        en=["<h1>Latest</h1>", "<p>Nothing is published yet.</p>"],
        fr=["<h1>Dernières publications</h1>", "<p>Rien n’est encore publié.</p>"],
    )


@LANGUAGES
def test_the_home_page_s_summaries_and_their_dates(client, make_article, language):
    make_article("Brass lamps", published_at=MARCH_5)

    assert_speaks(
        get(client, "/", language),
        language,
        en=[">5 March 2026</time>", ">All articles</a>"],
        fr=[">5 mars 2026</time>", ">Tous les articles</a>"],
    )


@LANGUAGES
def test_the_article_list_its_pages_and_description(client, make_article, editor, language):
    site_settings_update(by=editor, items_per_page=1)
    for title in ("One", "Two", "Three"):
        make_article(title)

    assert_speaks(
        get(client, "/articles/?page=2", language),
        language,
        en=[
            "newest first: page 2 of 3.",
            ">Newer</a>",
            ">Older</a>",
            "Page 2 of 3</span>",
            ', newest first.">',  # the share description
        ],
        fr=[
            "du plus récent au plus ancien : page 2 sur 3.",
            ">Plus récents</a>",
            ">Plus anciens</a>",
            "Page 2 sur 3</span>",
            ', du plus récent au plus ancien.">',
        ],
    )


@LANGUAGES
def test_an_empty_article_list(client, language):
    assert_speaks(
        get(client, "/articles/", language),
        language,
        en=["Nothing is published yet."],
        fr=["Rien n’est encore publié."],
    )


@LANGUAGES
def test_a_section_page(client, make_article, editor, language):
    section = section_create(name="Lamps", by=editor)
    make_article("Brass lamps", section=section, tags=["brass"])
    section_create(name="Empty", by=editor)

    assert_speaks(
        get(client, "/sections/lamps/", language),
        language,
        en=[">RSS feed of Lamps</a>"],
        fr=[">Flux RSS de Lamps</a>"],
    )
    assert_speaks(
        get(client, "/sections/empty/", language),
        language,
        en=["Nothing is published here yet."],
        fr=["Rien n’est encore publié ici."],
    )


@LANGUAGES
def test_a_tag_page(client, make_article, language):
    make_article("Brass lamps", tags=["brass"])

    assert_speaks(
        get(client, "/tags/brass/", language),
        language,
        en=["<h1>Tagged “brass”</h1>", "Tagged “brass” · ", ">RSS feed of “brass”</a>"],
        fr=["<h1>Mot-clé « brass »</h1>", "Mot-clé « brass » · ", ">Flux RSS de « brass »</a>"],
    )


@LANGUAGES
def test_an_article_s_tags_and_related_items(client, make_article, language):
    make_article("Brass lamps", tags=["brass"], published_at=MARCH_5)
    article = make_article("Copper lamps", tags=["brass"])

    assert_speaks(
        get(client, article.get_absolute_url(), language),
        language,
        en=['<p class="tags">Tags:', '<h2 id="related-heading">Related</h2>', "5 March 2026"],
        fr=[
            '<p class="tags">Mots-clés :',
            '<h2 id="related-heading">Voir aussi</h2>',
            "5 mars 2026",
        ],
    )


@LANGUAGES
def test_search_with_a_result(client, make_article, language):
    make_article("Brass lamps", body="<p>A lamp of brass.</p>", published_at=MARCH_5)

    assert_speaks(
        get(client, "/search/?q=brass", language),
        language,
        en=[
            "<title>Search: brass ·",
            "<h1>Search</h1>",
            ">Words to find</label>",
            "1 result for “brass”",
            ">5 March 2026</time>",
        ],
        fr=[
            "<title>Recherche : brass ·",
            "<h1>Recherche</h1>",
            ">Mots à chercher</label>",
            "1 résultat pour « brass »",
            ">5 mars 2026</time>",
        ],
    )


@LANGUAGES
def test_search_without_a_result(client, make_article, language):
    make_article("Brass lamps")

    assert_speaks(
        get(client, "/search/?q=zeppelin", language),
        language,
        en=["0 results for “zeppelin”", "Nothing published matches these words."],
        fr=["0 résultat pour « zeppelin »", "Rien de publié ne correspond à ces mots."],
    )


@LANGUAGES
def test_the_404_page(client, language):
    response = get(client, "/no-such-page/", language)

    assert response.status_code == 404
    assert_speaks(
        response,
        language,
        en=["<h1>Not found</h1>", "There is nothing at this address.", ">home page</a>"],
        fr=["<h1>Page introuvable</h1>", "Il n’y a rien à cette adresse.", ">page d’accueil</a>"],
    )


# Account pages -----------------------------------------------------------------------


@LANGUAGES
def test_the_password_reset_form_and_done_pages(client, language):
    assert_speaks(
        get(client, "/accounts/password_reset/", language),
        language,
        en=["<h1>Reset your password</h1>", ">Send the link</button>"],
        fr=["<h1>Réinitialisez votre mot de passe</h1>", ">Envoyer le lien</button>"],
    )
    assert_speaks(
        get(client, "/accounts/password_reset/done/", language),
        language,
        en=["<h1>Check your e-mail</h1>"],
        fr=["<h1>Consultez vos courriels</h1>"],
    )
    assert_speaks(
        get(client, "/accounts/reset/done/", language),
        language,
        en=["<h1>Password set</h1>", ">Sign in</a>."],
        fr=["<h1>Mot de passe défini</h1>", ">Se connecter</a>."],
    )


@LANGUAGES
def test_the_password_reset_confirm_page_good_and_bad_link(client, make_user, language):
    user = make_user("marie")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)

    good = get(client, f"/accounts/reset/{uid}/{token}/", language, follow=True)
    bad = get(client, "/accounts/reset/MQ/bad-token/", language)

    assert_speaks(
        good,
        language,
        en=["<h1>Choose a new password</h1>", ">Set password</button>"],
        fr=["<h1>Choisissez un nouveau mot de passe</h1>", ">Définir le mot de passe</button>"],
    )
    assert_speaks(
        bad,
        language,
        en=["<h1>This link has expired</h1>", ">Ask for a new one</a>"],
        fr=["<h1>Ce lien a expiré</h1>", ">En demander un nouveau</a>"],
    )


@LANGUAGES
def test_the_password_change_pages(client, make_user, language):
    client.force_login(make_user("marie"))

    assert_speaks(
        get(client, "/accounts/password_change/", language),
        language,
        en=["<h1>Change your password</h1>", ">Change password</button>"],
        fr=["<h1>Changer votre mot de passe</h1>", ">Changer de mot de passe</button>"],
    )
    assert_speaks(
        get(client, "/accounts/password_change/done/", language),
        language,
        en=["<h1>Password changed</h1>", ">Back to your profile</a>"],
        fr=["<h1>Mot de passe modifié</h1>", ">Retour à votre profil</a>"],
    )


@LANGUAGES
def test_the_profile_page(client, make_user, language):
    client.force_login(make_user("marie"))

    assert_speaks(
        get(client, "/accounts/profile/", language),
        language,
        en=["<h1>Your profile</h1>", "<dt>Last sign-in</dt>", "<dd>none</dd>", ">Save</button>"],
        fr=[
            "<h1>Votre profil</h1>",
            "<dt>Dernière connexion</dt>",
            "<dd>aucun</dd>",
            ">Enregistrer</button>",
        ],
    )


@LANGUAGES
def test_the_two_factor_set_up_page(client, make_user, language):
    client.force_login(make_user("marie"))

    assert_speaks(
        get(client, "/accounts/two-factor/setup/", language),
        language,
        en=["<h1>Set up two-factor sign-in</h1>", "or by typing this key:"],
        fr=["<h1>Configurer la connexion à deux facteurs</h1>", "ou en saisissant cette clé :"],
    )


@LANGUAGES
def test_the_two_factor_settings_and_backup_codes_pages(client, make_user, language):
    user = make_user("marie")
    device, _ = authenticator_for(user)
    force_login_verified(client, user, device)

    assert_speaks(
        get(client, "/accounts/two-factor/", language),
        language,
        en=["<h1>Two-factor sign-in</h1>", "Backup codes left: 10.", ">New backup codes</button>"],
        fr=[
            "<h1>Connexion à deux facteurs</h1>",
            "Codes de secours restants : 10.",
            ">Nouveaux codes de secours</button>",
        ],
    )
    assert_speaks(
        post(client, "/accounts/two-factor/", {"action": "renew"}, language),
        language,
        en=["<h1>Your backup codes</h1>", "I have kept them: continue"],
        fr=["<h1>Vos codes de secours</h1>", "Je les ai gardés : continuer"],
    )


@LANGUAGES
def test_the_two_factor_code_page(client, make_user, language):
    user = make_user("marie")
    authenticator_for(user)
    signed = post(client, "/accounts/login/", {"username": "marie", "password": PASSWORD}, language)
    assert signed["Location"] == "/accounts/two-factor/code/"

    assert_speaks(
        get(client, "/accounts/two-factor/code/", language),
        language,
        en=["<h1>Your two-factor code</h1>", "type one of your backup codes instead"],
        fr=["<h1>Votre code à deux facteurs</h1>", "saisissez plutôt l’un de vos codes de secours"],
    )


# The reset mail: looked up and sent by the mail thread after the commit
# (apps/users/outbox.py), so the thread must see the committed account.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("language", "subject", "line", "other_line"),
    [
        (
            "fr",
            "Réinitialisez votre mot de passe sur ",
            "Pour choisir un nouveau mot de passe, ouvrez ce lien :",
            "To choose a new password",
        ),
        (
            "en",
            "Reset your password on ",
            "To choose a new password, open this link:",
            "Pour choisir",
        ),
    ],
)
def test_the_reset_mail_is_in_the_reader_s_language(
    client, make_user, language, subject, line, other_line
):
    make_user("marie", email="marie@example.com")

    response = post(client, "/accounts/password_reset/", {"email": "marie@example.com"}, language)
    mail_queue_join(timeout=30)

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith(subject)
    assert line in mail.outbox[0].body
    assert other_line not in mail.outbox[0].body


# Our additions to the admin (Django's own words come translated by Django) -----------


@pytest.fixture
def story(editor):
    from apps.content.services import article_create, article_update

    article = article_create(title="First", body="<p>One</p>", author=editor, by=editor)
    article_update(article=article, by=editor, title="Second", body="<p>Two</p>")
    return article


@LANGUAGES
def test_the_admin_index_s_operations_module(client, administrator, language):
    client.force_login(administrator)

    assert_speaks(
        get(client, "/admin/", language),
        language,
        en=["<caption>Operations</caption>", ">Backends, database and health</a>"],
        fr=["<caption>Exploitation</caption>", ">Services, base de données et santé</a>"],
    )


@LANGUAGES
def test_the_article_form_s_revisions_link_and_editor_words(client, editor, story, language):
    client.force_login(editor)

    assert_speaks(
        get(client, f"/admin/content/article/{story.pk}/change/", language),
        language,
        en=['/revisions/">Revisions</a>', 'data-lang-bold="Bold"', 'data-text-cancel="Cancel"'],
        fr=['/revisions/">Révisions</a>', 'data-lang-bold="Gras"', 'data-text-cancel="Annuler"'],
    )


@LANGUAGES
def test_the_revision_pages(client, editor, story, language):
    client.force_login(editor)
    revisions = f"/admin/content/article/{story.pk}/revisions/"

    assert_speaks(
        get(client, revisions, language),
        language,
        en=["2 revisions", "(current)", 'value="Compare the two chosen"'],
        fr=["2 révisions", "(actuelle)", 'value="Comparer les deux choisies"'],
    )
    assert_speaks(
        get(client, f"{revisions}1/", language),
        language,
        en=["Revision 1: ", ">Restore this revision</a>", '<th scope="col">Field</th>'],
        fr=["Révision 1 : ", ">Restaurer cette révision</a>", '<th scope="col">Champ</th>'],
    )
    assert_speaks(
        get(client, f"{revisions}1/restore/", language),
        language,
        en=['value="Yes, restore revision 1"', "After the restore"],
        fr=['value="Oui, restaurer la révision 1"', "Après la restauration"],
    )
