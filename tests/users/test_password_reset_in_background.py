"""The reset mail leaves after the answer, so its time tells nothing (issue 11, finding 9).

An address with an account used to cost the whole mail round trip before the
answer; now both answers take the same path and a background thread does the
lookup and the sending. Proven without a clock: a mail backend that holds
every message until the test lets it go. Before the change the request
itself waited on it; now the answer comes first and the mail follows.
"""

import logging
import threading

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.urls import clear_script_prefix, set_script_prefix

from apps.users.outbox import mail_after_commit, mail_queue_join

# The thread needs the committed rows, and on_commit must really fire.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RESET = "/accounts/password_reset/"


class HeldBackend(locmem.EmailBackend):
    """The locmem outbox, behind a gate the test opens (``release``)."""

    release = threading.Event()
    # Generous: only reached when the request waits on the mail (the bug).
    held_for = 10

    def send_messages(self, messages):
        if not self.release.wait(timeout=self.held_for):
            raise RuntimeError("the mail was sent while the test held it back")
        return super().send_messages(messages)


class BrokenBackend(locmem.EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


@pytest.fixture
def held_mail(settings):
    HeldBackend.release = threading.Event()
    settings.EMAIL_BACKEND = f"{__name__}.HeldBackend"
    yield HeldBackend.release
    HeldBackend.release.set()
    mail_queue_join(timeout=30)


def test_the_answer_for_an_account_does_not_wait_for_the_mail(client, make_user, held_mail):
    make_user("sam", email="sam@example.com")

    response = client.post(RESET, {"email": "sam@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []  # answered while the mail is still held back
    held_mail.set()
    mail_queue_join(timeout=30)
    assert [message.to for message in mail.outbox] == [["sam@example.com"]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_an_unknown_address_takes_the_same_path_and_sends_nothing(client, held_mail):
    response = client.post(RESET, {"email": "nobody@example.com"})

    assert response.status_code == 302
    held_mail.set()
    mail_queue_join(timeout=30)
    assert mail.outbox == []


def test_a_mail_server_that_fails_is_logged_and_the_answer_is_the_same(
    client, make_user, settings, caplog
):
    make_user("sam", email="sam@example.com")
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"

    with caplog.at_level(logging.ERROR):
        response = client.post(RESET, {"email": "sam@example.com"})
        mail_queue_join(timeout=30)

    assert response.status_code == 302
    # Django's reset form logs its own failures (the account's id, not the address).
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert failures[0].getMessage().startswith("Failed to send password reset email")
    assert "the mail server is down" in failures[0].exc_text


def test_any_job_that_fails_is_logged_and_the_next_one_still_runs(caplog):
    sent = []

    def failing() -> None:
        raise ConnectionRefusedError("the mail server is down")

    with caplog.at_level(logging.ERROR, logger="apps.users.outbox"):
        mail_after_commit(failing, what="a test notice")
        mail_after_commit(lambda: sent.append("next"), what="another")
        mail_queue_join(timeout=30)

    assert sent == ["next"]
    (failure,) = [r for r in caplog.records if r.name == "apps.users.outbox"]
    assert "a test notice" in failure.getMessage()
    assert "the mail server is down" in failure.exc_text


def test_the_link_keeps_the_sub_path_of_a_mounted_site(client, make_user):
    # The script prefix is per thread in Django: the mail thread must get the request's.
    make_user("sam", email="sam@example.com")

    set_script_prefix("/filamenta/")  # what the WSGI handler does for a mounted site
    try:
        client.post(RESET, {"email": "sam@example.com"})
    finally:
        clear_script_prefix()
    mail_queue_join(timeout=30)

    assert "http://testserver/filamenta/accounts/reset/" in mail.outbox[0].body
