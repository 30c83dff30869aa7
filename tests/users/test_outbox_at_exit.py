"""A server process that ends sends the mail it had queued first (apps/users/outbox.py).

gunicorn recycles a worker after ``max_requests`` and Passenger stops idle
processes: both end the interpreter normally, and mail queued by the last
request must not vanish with it. The child below queues a mail whose job
cannot start sending before the main thread is on its way out (a daemon
thread would be stopped there, its mail unwritten), and exits at once.
"""

import textwrap

from devtools.local_servers import run_python

CHILD = textwrap.dedent(
    """
    import sys, threading
    import django
    django.setup()
    from django.conf import settings
    from django.core.mail import EmailMessage
    from apps.users.outbox import mail_after_commit

    leaving = threading.Event()

    def job():
        leaving.wait()
        EmailMessage("Queued", "sent at exit", to=["sam@example.com"]).send()

    mail_after_commit(job, what="the exit test's mail")
    leaving.set()
    sys.exit(0)
    """
)


def test_mail_queued_before_the_process_ends_is_sent(clean_env, tmp_path):
    folder = tmp_path / "mail"
    env = {**clean_env, "DJANGO_SETTINGS_MODULE": "settings.development",
           "EMAIL_URL": f"filemail://{folder}"}  # fmt: skip

    result = run_python("-c", CHILD, env=env, timeout=60)

    assert result.returncode == 0, result.stderr[-2000:]
    sent = list(folder.iterdir())
    assert len(sent) == 1
    assert "sent at exit" in sent[0].read_text()
