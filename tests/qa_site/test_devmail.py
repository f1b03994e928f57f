"""The development mailbox: one .eml file and one console line per e-mail, and the coordinators' screens."""

import io
import json
import re
from email import policy
from email.parser import BytesParser

import pytest
from django.contrib.auth.models import Permission
from django.core.mail import EmailMultiAlternatives

from qa_site.devmail import MailboxBackend
from tests.factories import UserFactory
from tests.manage_cli import manage

BACKEND = "qa_site.devmail.MailboxBackend"


@pytest.fixture
def mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = BACKEND
    settings.DEV_MAILBOX_DIR = tmp_path / "mail"
    return tmp_path / "mail"


def send(subject="Answered: Can our trustees meet online?", to=("alice@example.test",), stream=None, html=None):
    message = EmailMultiAlternatives(subject=subject, body="Read it at http://127.0.0.1:8000/questions/7/", to=to)
    if html is not None:
        message.attach_alternative(html, "text/html")
    return MailboxBackend(stream=stream or io.StringIO()).send_messages([message])


def test_the_mailbox_backend_writes_one_file_per_mail_with_its_headers(mailbox):
    stream = io.StringIO()
    backend = MailboxBackend(stream=stream)
    sent = backend.send_messages(
        [
            EmailMultiAlternatives(subject="Answered: members' vote?", body="One", to=["alice@example.test"]),
            EmailMultiAlternatives(subject="Invoice AE-000001", body="Two", to=["nadia@example.test"]),
        ]
    )
    files = sorted(mailbox.iterdir())
    assert sent == 2
    assert [re.sub(r"^\d{8}-\d{6}-\d{6}-", "", path.name) for path in files] == [
        "answered-members-vote.eml",
        "invoice-ae-000001.eml",
    ]
    first = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert (first["To"], first["Subject"], first["From"]) == (
        "alice@example.test",
        "Answered: members' vote?",
        "Ask an Expert <noreply@ask-an-expert.test>",
    )
    assert first.get_content().strip() == "One"


def test_the_mailbox_backend_prints_one_line_per_mail(mailbox):
    stream = io.StringIO()
    send(to=["alice@example.test", "bob@example.test"], stream=stream, html="<p>Hello</p>")
    lines = stream.getvalue().splitlines()
    (path,) = mailbox.iterdir()
    assert len(lines) == 1
    assert re.fullmatch(
        rf"\[mail \d\d:\d\d:\d\d\] to alice@example.test, bob@example.test: "
        rf"Answered: Can our trustees meet online\? → {re.escape(str(path))}",
        lines[0],
    )


def test_the_console_line_names_the_file_from_the_current_folder(mailbox, monkeypatch):
    monkeypatch.chdir(mailbox.parent)  # as make run does: the file is var/mail/… from where the site runs
    stream = io.StringIO()
    send(stream=stream)
    (path,) = mailbox.iterdir()
    assert stream.getvalue().endswith(f" → mail/{path.name}\n")


def test_mails_in_the_same_moment_get_files_of_their_own(mailbox, monkeypatch):
    monkeypatch.setattr("qa_site.devmail.file_name", lambda subject, when: "20261207-091500-000001-same.eml")
    send(stream=io.StringIO())
    send(stream=io.StringIO())
    assert sorted(path.name for path in mailbox.iterdir()) == [
        "20261207-091500-000001-same.eml",
        "20261207-091500-000001-same~2.eml",
    ]


def test_a_subject_without_letters_still_names_the_file(mailbox):
    send(subject="!!!")
    (path,) = mailbox.iterdir()
    assert path.name.endswith("-no-subject.eml")


def test_development_keeps_mail_in_var_mail_and_tests_and_production_do_not():
    code = "from django.conf import settings; import json; print(json.dumps([settings.EMAIL_BACKEND]))"
    found = {}
    for module, env in [
        ("dev", {}),
        ("dev", {"EMAIL_URL": "console://"}),
        ("test", {}),
    ]:
        result = manage(
            "shell",
            "-c",
            code,
            env={"DJANGO_SETTINGS_MODULE": f"qa_site.settings.{module}", **env},
            forget=["EMAIL_URL"],
        )
        assert result.returncode == 0, result.stderr
        found[(module, "EMAIL_URL" in env)] = json.loads(result.stdout.strip().splitlines()[-1])[0]
    assert found == {
        ("dev", False): BACKEND,
        ("dev", True): "django.core.mail.backends.console.EmailBackend",
        ("test", False): "django.core.mail.backends.locmem.EmailBackend",
    }


# --- The screens --------------------------------------------------------------------------------------------------


def test_the_mailbox_lists_mails_newest_first(client, colin, mailbox):
    send(subject="First: welcome", to=["alice@example.test"])
    send(subject="Second: your answer", to=["bob@example.test"])
    client.force_login(colin)
    body = client.get("/admin/mail/").content.decode()
    rows = re.findall(r"<td>([^<]*)</td>\s*<td><a href=\"/admin/mail/([^/]+)/\">([^<]*)</a>", body)
    assert [(to, subject) for to, _, subject in rows] == [
        ("bob@example.test", "Second: your answer"),
        ("alice@example.test", "First: welcome"),
    ]


def test_the_mailbox_shows_a_mail_with_its_text_and_html_parts(client, colin, mailbox):
    send(html='<p>Hello <a href="http://127.0.0.1:8000/questions/7/">your answer</a></p><script>alert(1)</script>')
    (path,) = mailbox.iterdir()
    client.force_login(colin)
    body = client.get(f"/admin/mail/{path.name}/").content.decode()
    assert "<title>Answered: Can our trustees meet online?" in body
    assert "<dt>To</dt><dd>alice@example.test</dd>" in body
    assert (
        'Read it at <a href="http://127.0.0.1:8000/questions/7/" rel="nofollow">http://127.0.0.1:8000/questions/7/</a>'
        in body
    )
    frame = re.search(r'<iframe id="html-part"[^>]*>', body).group(0)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame
    assert (
        'srcdoc="&lt;base target=&quot;_blank&quot;&gt;&lt;p&gt;Hello &lt;a href=&quot;http://127.0.0.1:8000/questions/7/'
        in frame
    )
    assert "<script>alert(1)</script>" not in body


def test_the_mailbox_gives_the_raw_file(client, colin, mailbox):
    send()
    (path,) = mailbox.iterdir()
    client.force_login(colin)
    response = client.get(f"/admin/mail/{path.name}/raw/")
    assert response["Content-Type"] == "message/rfc822"
    assert b"".join(response.streaming_content) == path.read_bytes()


def test_the_mailbox_says_when_there_is_no_mail(client, colin, mailbox):
    client.force_login(colin)
    body = client.get("/admin/mail/").content.decode()
    assert '<p id="no-mails">No e-mail yet.</p>' in body


def test_the_mailbox_is_in_the_menu_only_while_it_is_in_use(client, colin, mailbox, settings):
    client.force_login(colin)
    shown = '"Mailbox"' in client.get("/admin/").content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    hidden = '"Mailbox"' not in client.get("/admin/").content.decode()
    assert (shown, hidden) == (True, True)


def test_the_mailbox_is_missing_while_another_backend_is_in_use(client, colin, mailbox, settings):
    send()
    (path,) = mailbox.iterdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(colin)
    statuses = [client.get(url).status_code for url in ("/admin/mail/", f"/admin/mail/{path.name}/")]
    assert statuses == [404, 404]


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fdb.sqlite3",
        "..",
        "%2E%2E",
        "20261207-091500-000001-missing.eml",
        "notes.txt",
        "20261207-091500-000001-x.eml%00",
        "..%5C..%5Csettings.py",
        "a" * 5000,
    ],
)
def test_a_bad_mail_name_is_404(client, colin, mailbox, name):
    send()
    client.force_login(colin)
    assert client.get(f"/admin/mail/{name}/").status_code == 404
    assert client.get(f"/admin/mail/{name}/raw/").status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "alice", "erin", "editor"])
def test_only_coordinators_read_the_mailbox(client, mailbox, alice, erin, role):
    send()
    (path,) = mailbox.iterdir()
    editor = UserFactory(email="editor@example.test")  # may use the admin, but is not a coordinator
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    users = {"alice": alice, "erin": erin, "editor": editor}
    if role != "anonymous":
        client.force_login(users[role])
    for url in ("/admin/mail/", f"/admin/mail/{path.name}/", f"/admin/mail/{path.name}/raw/"):
        response = client.get(url)
        assert response.status_code == 302, url
        if role == "editor":
            assert response["Location"] == "/admin/", url
        else:
            assert response["Location"].startswith("/accounts/login/"), url
