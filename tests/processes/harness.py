"""Run the production process set for real: the Procfile's lines against a scratch database, a private Redis and
an SMTP sink, so tests can break things (kill Redis, kill a worker, start a second scheduler) and watch what
happens through HTTP, the database and the e-mails that arrive.

The pieces, each usable on its own:

- ``skip_reason()``: why these tests cannot run here (no PostgreSQL URL, PostgreSQL not answering, no
  ``redis-server``), or None.
- ``ScratchDatabase``: a ``qa_proc_<hex>`` database on the server ``DATABASE_URL`` names, dropped at the end.
- ``RedisServer``: a private ``redis-server`` on a free port, without persistence, that can be SIGKILLed and
  started again (empty, as after a crash) on the same port.
- ``SmtpSink``: a tiny SMTP server (asyncio, in a thread) that keeps every message; ``stall()`` makes it accept
  new connections and answer nothing, so a send stays in progress until ``flow()``.
- ``parse_procfile()`` and ``Process``: the Procfile's ``name: command`` lines, each run with ``bash -c`` in its own
  session (the venv's bin first on ``PATH``, a clean environment from ``process_env()``), output to a log file;
  killed by process group, rq's work-horses (which make groups of their own) included.
- ``Stack``: all of the above wired together the way a deployment wires them (``release``, ``load_demo``, then
  ``web``, ``worker`` and ``scheduler``).
- ``Visitor``: a person with a browser's cookie jar (requests), who reads forms the way a browser submits them.

Nothing is assumed to be up or fast: every wait polls against a deadline, and a wait that runs out fails naming
what did not happen, with the tail of the log of the process concerned.
"""

import asyncio
import contextlib
import email
import email.policy
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
NEEDS_POSTGRES = "needs PostgreSQL: set DATABASE_URL=postgres://… (CI's second pass does)"
DEMO_PASSWORD = "demo-password"


class HarnessError(AssertionError):
    """Something the tests depend on did not come up or did not happen in time (an assertion: the test fails)."""


# --- Can these tests run here?


def redis_server_binary():
    """Debian's redis-server (``apt-get install redis-server``), or None."""
    debian = "/usr/bin/redis-server"
    return shutil.which("redis-server") or (debian if os.access(debian, os.X_OK) else None)


def postgres_server_url(database_url):
    """``database_url`` with its database name swapped for ``postgres`` (the maintenance database)."""
    return with_database(database_url, "postgres")


def with_database(database_url, name):
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def skip_reason(environ=os.environ):
    """Why the process tests cannot run here, or None when they can."""
    url = environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        return NEEDS_POSTGRES
    try:
        with psycopg.connect(postgres_server_url(url), connect_timeout=5):
            pass
    except psycopg.Error as exc:
        parts = urlsplit(url)
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not reachable ({type(exc).__name__}: {exc})"
    if not redis_server_binary():
        return "redis-server is not installed (apt-get install redis-server; .ci/run installs it when it can)"
    return None


# --- Waiting


def wait_for(what, check, *, timeout, interval=0.5, log=None):
    """Call ``check()`` until it returns something truthy, and return that; fail after ``timeout`` seconds naming
    ``what`` (and the tail of ``log``: a ``Process``, or a callable returning text)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = check()
        except HarnessError:
            raise  # the check found something that waiting will not mend (e.g. the process exited)
        except Exception as exc:  # e.g. a refused connection while a process starts
            result, last_error = None, exc
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
            message = f"{what} did not happen within {timeout:.0f} s{detail}"
            if log is not None:
                message += "\n" + (log.describe() if isinstance(log, Process) else log())
            raise HarnessError(message)
        time.sleep(interval)


class Stopwatch:
    """Prints how long the key waits took (``pytest -s`` shows them)."""

    def __init__(self, label):
        self.label = label
        self.started = time.monotonic()

    def lap(self, what):
        seconds = time.monotonic() - self.started
        print(f"\n[timing] {self.label}: {what} after {seconds:.1f} s", end="", flush=True)
        return seconds


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


# --- The scratch database


class ScratchDatabase:
    """A database of its own on the PostgreSQL server ``database_url`` names, made with psycopg in autocommit and
    dropped by ``drop()`` (its connections terminated first). ``rows``/``row``/``value``/``execute`` query it."""

    def __init__(self, database_url):
        self.name = f"qa_proc_{secrets.token_hex(6)}"
        self.admin_url = postgres_server_url(database_url)
        self.url = with_database(database_url, self.name)
        self._conn = None

    def create(self):
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')

    def connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        return self._conn

    def rows(self, sql, params=()):
        """All rows of a query, as tuples (each query sees what is committed at that moment)."""
        return self.connection().execute(sql, params).fetchall()

    def row(self, sql, params=()):
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def value(self, sql, params=()):
        row = self.row(sql, params)
        return row[0] if row else None

    def execute(self, sql, params=()):
        return self.connection().execute(sql, params).rowcount


# --- Processes


def children(pid):
    """Every process descended from ``pid`` (read from /proc), deepest last."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Process:
    """One command run with ``bash -c`` in its own session (so its process group is its own), stdout and stderr
    appended to ``log_path``."""

    def __init__(self, name, command, *, env, log_path, cwd=ROOT):
        self.name = name
        self.command = command
        self.env = env
        self.log_path = Path(log_path)
        self.cwd = cwd
        self.popen = None
        self.starts = 0

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(
                f"\n===== {time.strftime('%H:%M:%S')} start #{self.starts} of {self.name}: {self.command}\n".encode()
            )
            log.flush()
            self.popen = subprocess.Popen(
                ["bash", "-c", self.command],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self):
        return self.popen.pid

    @property
    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self):
        return None if self.popen is None else self.popen.poll()

    def output(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def describe(self, lines=40):
        state = "running" if self.alive else f"exited with {self.returncode}"
        return f"--- {self.name} ({state}); last lines of {self.log_path}:\n{tail(self.log_path, lines)}"

    def wait(self, timeout):
        """The exit status, waiting up to ``timeout`` seconds; None if it is still running."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal_group(self, signum):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self):
        """SIGKILL the process, its group and every descendant (rq's work-horses make groups of their own)."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            family = children(self.popen.pid)
            self.signal_group(signal.SIGKILL)
            for pid in family:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout=30):
        """SIGTERM the group, then SIGKILL what is left after ``timeout`` seconds. Returns the exit status."""
        if self.popen is None or self.popen.poll() is not None:
            return self.returncode
        self.signal_group(signal.SIGTERM)
        if self.wait(timeout) is None:
            self.kill()
        return self.popen.returncode


def parse_procfile(path=ROOT / "Procfile"):
    """{name: command} from ``name: command`` lines (blank lines and # comments skipped)."""
    commands = {}
    for line in Path(path).read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_-]+", name.strip()):
            raise HarnessError(f"{path}: not a 'name: command' line: {line!r}")
        commands[name.strip()] = command.strip()
    return commands


# --- Redis


class RedisServer:
    """A private redis-server without persistence: ``kill()`` is a crash, ``start()`` again brings it back empty
    on the same port."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            "redis",
            f'exec {redis_server_binary()} --port {self.port} --bind 127.0.0.1 --save "" --appendonly no '
            f"--dir {self.directory} --daemonize no --loglevel notice",
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            log_path=self.directory / "redis.log",
        )

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=2, socket_timeout=5)

    def ping(self):
        client = self.client()
        try:
            return client.ping()
        finally:
            client.close()

    def start(self, timeout=30):
        self.process.start()
        wait_for(f"redis-server answering PING on port {self.port}", self.ping, timeout=timeout, log=self.process)
        return self

    def kill(self):
        self.process.kill()

    def stop(self):
        self.process.stop(timeout=10)


# --- The SMTP sink


@dataclass
class Mail:
    sender: str
    recipients: list
    subject: str
    text: str

    def __str__(self):
        return f"{', '.join(self.recipients)}: {self.subject}"


class SmtpSink:
    """An SMTP server that accepts every message and keeps it (``mails()``), on a free port of 127.0.0.1.

    ``stall()``: new connections are accepted but not greeted, so the client waits inside its SMTP conversation
    (``held`` counts them) until ``flow()``. Connections already greeted carry on.
    """

    def __init__(self):
        self._mails = []
        self._lock = threading.Lock()
        self.held = 0
        self.port = None
        self._loop = None
        self._flowing = None
        self._server = None
        self._thread = None

    def start(self, timeout=10):
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._flowing = asyncio.Event()
            self._flowing.set()
            self._server = self._loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

        self._thread = threading.Thread(target=run, name="smtp-sink", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise HarnessError("the SMTP sink did not start")
        return self

    def stop(self):
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._flowing.set)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def stall(self):
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def flow(self):
        self._loop.call_soon_threadsafe(self._flowing.set)

    def mails(self):
        with self._lock:
            return list(self._mails)

    def matching(self, subject, *, to=None):
        """The messages with exactly this subject (to ``to``, if given)."""
        return [mail for mail in self.mails() if mail.subject == subject and (to is None or to in mail.recipients)]

    def duplicates(self):
        """Messages sent more than once: the same subject and text to the same people."""
        seen, twice = {}, []
        for mail in self.mails():
            key = (tuple(sorted(mail.recipients)), mail.subject, mail.text)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] == 2:
                twice.append(mail)
        return twice

    async def _session(self, reader, writer):
        try:
            if not self._flowing.is_set():
                with self._lock:
                    self.held += 1
                try:
                    await self._flowing.wait()  # accepted, and not a word until flow()
                finally:
                    with self._lock:
                        self.held -= 1
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (e.g. its worker was killed)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _converse(self, reader, writer):
        async def reply(line):
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        await reply("220 sink.test ESMTP test sink")
        sender, recipients = "", []
        while True:
            line = await reader.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                await reply("250-sink.test\r\n250 8BITMIME")
            elif verb == "HELO":
                await reply("250 sink.test")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(), []
                await reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    chunk = await reader.readline()
                    if not chunk:
                        return
                    if chunk in (b".\r\n", b".\n"):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self._keep(sender, recipients, b"".join(lines))
                sender, recipients = "", []
                await reply("250 OK: queued")
            elif verb == "RSET":
                sender, recipients = "", []
                await reply("250 OK")
            elif verb == "NOOP":
                await reply("250 OK")
            elif verb == "QUIT":
                await reply("221 Bye")
                return
            else:
                await reply("502 Command not implemented")

    def _keep(self, sender, recipients, data):
        message = email.message_from_bytes(data, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self._lock:
            self._mails.append(Mail(sender, list(recipients), str(message["subject"] or "").strip(), text))


# --- A visitor with a browser's cookie jar


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "method": attrs.get("method", "get").lower()}
            self._form.update(fields=[], options={})
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                self._form["options"].setdefault(name, []).append((attrs.get("value", "on"), attrs.get("id", "")))
                if "checked" in attrs:
                    self._form["fields"].append((name, attrs.get("value", "on")))
                return
            self._form["fields"].append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "chosen": None, "first": None}
            self._form["options"][name] = []
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select["current"] = value
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"] = value
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._select is not None and "current" in self._select:
            self._form["options"][self._select["name"]].append((self._select.pop("current"), data.strip()))

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            chosen = self._select["chosen"] if self._select["chosen"] is not None else self._select["first"]
            if chosen is not None:
                self._form["fields"].append((self._select["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


@dataclass
class Form:
    action: str
    method: str
    fields: list
    options: dict

    def data(self, **changes):
        """The fields as a browser would send them, with ``changes`` replacing (or adding) values."""
        values = {}
        for name, value in self.fields:
            values.setdefault(name, value)
        values.update(changes)
        return values

    def option(self, name, label):
        """The value of the choice of ``name`` whose label is ``label``."""
        for value, text in self.options.get(name, []):
            if text == label:
                return value
        raise HarnessError(f"no choice {label!r} for {name!r}; choices: {self.options.get(name)}")


def forms_in(html):
    parser = _FormParser()
    parser.feed(html)
    return [Form(**form) for form in parser.forms]


class Visitor:
    """Someone using the site with their own cookies (a requests session), reading and sending real forms."""

    def __init__(self, base_url, *, timeout=30):
        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()

    def close(self):
        self.session.close()

    def get(self, path, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(self.base_url + path, timeout=self.timeout, **kwargs)

    def form(self, path, *, having="csrfmiddlewaretoken", form_action=None):
        """The POST form on ``path`` that has a field named ``having`` (and posts to ``form_action``, if given);
        and the page's response."""
        page = self.get(path, allow_redirects=True)
        if page.status_code != 200:
            raise HarnessError(f"GET {path} answered {page.status_code}, not a page with a form")
        for form in forms_in(page.text):
            if (
                form.method == "post"
                and any(name == having for name, _ in form.fields)
                and (form_action is None or form.action == form_action)
            ):
                return form, page
        wanted = f"a field {having!r}" + (f" posting to {form_action}" if form_action else "")
        raise HarnessError(f"no POST form with {wanted} on {path}:\n{page.text[:3000]}")

    def submit(self, path, *, having="csrfmiddlewaretoken", form_action=None, follow=True, **changes):
        """Fill the form on ``path`` (the one with a field ``having``, posting to ``form_action`` if given) and send
        it as a browser would: its own values, ``changes`` typed over them (a button's name and value among them)."""
        form, page = self.form(path, having=having, form_action=form_action)
        target = page.url if not form.action else requests.compat.urljoin(page.url, form.action)
        return self.session.post(
            target,
            data=form.data(**changes),
            headers={"Referer": page.url},
            timeout=self.timeout,
            allow_redirects=follow,
        )

    def sign_in(self, email_address, password=DEMO_PASSWORD):
        response = self.submit("/accounts/login/", having="login", login=email_address, password=password)
        if "sessionid" not in self.session.cookies or "/accounts/login/" in response.url:
            raise HarnessError(f"{email_address} could not sign in ({response.status_code} at {response.url})")
        return response


# --- The whole stack


def process_env(directory, **values):
    """A clean environment for a process of the stack: nothing leaks in from the test run (pytest's
    DJANGO_SETTINGS_MODULE, a developer's SENTRY_DSN …), so the Procfile's own default, production settings, applies.
    ``values`` are added; a value of None leaves the variable out."""
    home = Path(directory) / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}",
        # A home of its own: gunicorn puts its control socket there (~/.gunicorn), away from other servers'.
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(values)
    return {name: value for name, value in env.items() if value is not None}


class Stack:
    """The production process set against scratch services: ``up()`` runs ``release`` and ``load_demo``, then
    starts ``web``, ``worker`` and ``scheduler`` from the Procfile; ``down()`` stops everything and drops the
    database. ``extra_env`` is added to every process's environment."""

    LONG_RUNNING = ("web", "worker", "scheduler")

    def __init__(self, directory, *, database_url, extra_env=None):
        self.directory = Path(directory)
        self.procfile = parse_procfile()
        missing = [name for name in ("release", *self.LONG_RUNNING) if name not in self.procfile]
        if missing:
            raise HarnessError(f"the Procfile has no {', '.join(missing)} line")
        self.database = ScratchDatabase(database_url)
        self.redis = RedisServer(self.directory / "redis")
        self.sink = SmtpSink()
        self.web_port = free_port()
        self.extra_env = dict(extra_env or {})
        self.secret_key = secrets.token_urlsafe(50)
        self.processes = {}
        self._others = []

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.web_port}"

    def env(self, **changes):
        """The environment of every process of the stack (``changes``: values to set, or None to remove)."""
        defaults = {
            "DATABASE_URL": self.database.url,
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "BASE_URL": self.base_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.sink.port}",
            "EMAIL_USE_TLS": "false",
            "SECURE_SSL_REDIRECT": "false",
            "MFA_REQUIRED_FOR_STAFF_AND_EXPERTS": "false",
            "PORT": str(self.web_port),
            "WEB_CONCURRENCY": "2",
            # collectstatic (the release step) writes here, not into the working tree's var/static: two runs at once
            # must not rewrite each other's files.
            "STATIC_ROOT": str(self.directory / "static"),
        }
        return process_env(self.directory, **{**defaults, **self.extra_env, **changes})

    def process(self, name, *, log_name=None, command=None, **env_changes):
        """A new (not started) ``Process`` for the Procfile line ``name``."""
        return Process(
            name,
            command or self.procfile[name],
            env=self.env(**env_changes),
            log_path=self.directory / "logs" / f"{log_name or name}.log",
        )

    def run_once(self, name, *, command=None, timeout=600):
        """Run a command to completion (the ``release`` line, ``load_demo``), failing with its log if it fails."""
        process = self.process(name, command=command).start()
        status = process.wait(timeout)
        if status is None:
            process.kill()
            raise HarnessError(f"{name} did not finish within {timeout} s\n{process.describe()}")
        if status != 0:
            raise HarnessError(f"{name} exited with {status}\n{process.describe(80)}")
        return process

    # --- up and down

    def up(self):
        watch = Stopwatch("stack")
        self.database.create()
        self.sink.start()
        self.redis.start()
        watch.lap("scratch database, SMTP sink and redis-server ready")
        self.run_once("release")
        watch.lap("release (migrate, collectstatic, setup_site) done")
        self.run_once("load_demo", command="python manage.py load_demo --if-empty")
        watch.lap("load_demo done")
        for name in self.LONG_RUNNING:
            self.start(name)
        self.wait_until_serving()
        watch.lap("web answering /healthz")
        self.wait_until_ready()
        watch.lap("/readyz ready")
        return self

    def down(self):
        for process in [*self._others, *self.processes.values()]:
            with contextlib.suppress(Exception):
                process.stop(timeout=20)
        with contextlib.suppress(Exception):
            self.redis.stop()
        self.sink.stop()
        self.database.drop()

    def start(self, name, **env_changes):
        process = self.process(name, **env_changes).start()
        self.processes[name] = process
        return process

    def start_another(self, name, *, log_name, **env_changes):
        """One more process of a Procfile line (a second scheduler), stopped by ``down()`` if the test does not."""
        process = self.process(name, log_name=log_name, **env_changes).start()
        self._others.append(process)
        return process

    def ensure_running(self):
        """Start again any long-running process that died (and say so): each test starts from a whole stack."""
        if not self.redis.process.alive:
            print("[stack] redis-server was not running: starting it again", flush=True)
            self.redis.start()
        for name in self.LONG_RUNNING:
            process = self.processes[name]
            if not process.alive:
                print(f"[stack] {name} had died: starting it again\n{process.describe()}", flush=True)
                self.start(name)
        self.sink.flow()
        self.wait_until_serving()

    def logs(self, *names):
        return "\n".join(self.processes[name].describe() for name in names or self.processes)

    # --- probes

    def http(self, path, timeout=10):
        return requests.get(self.base_url + path, timeout=timeout, allow_redirects=False)

    def wait_until_serving(self, timeout=60):
        def serving():
            if not self.processes["web"].alive:
                raise HarnessError(f"gunicorn exited\n{self.processes['web'].describe()}")
            return self.http("/healthz").status_code == 200

        try:
            wait_for("gunicorn answering /healthz", serving, timeout=timeout, log=self.processes["web"])
        except requests.RequestException as exc:
            raise HarnessError(f"gunicorn did not answer: {exc}\n{self.logs('web')}") from exc

    def readiness(self):
        response = self.http("/readyz")
        return response.status_code, response.json()

    def wait_until_ready(self, timeout=120, *, fresh_within=30):
        """/readyz answers 200 with every check ok, a worker counted and a scheduler run at most ``fresh_within``
        seconds ago. Returns the body."""
        last = {}

        def ready():
            status, body = self.readiness()
            last["body"] = body
            checks = body["checks"]
            return (
                status == 200
                and all(check["ok"] for check in checks.values())
                and checks["queue"].get("workers", 0) >= 1
                and checks["scheduler"].get("seconds_ago", 10**9) <= fresh_within
                and body
            )

        return wait_for(
            "/readyz answering 200 with every check ok",
            ready,
            timeout=timeout,
            log=lambda: f"last /readyz: {last.get('body')}\n{self.logs()}",
        )

    # --- the database, as the tests read it

    def question(self, title):
        """(id, status, assignee's e-mail) of the question asked with ``title``."""
        return self.database.row(
            "SELECT q.id, q.status, u.email FROM knowledge_question q LEFT JOIN accounts_user u ON u.id = q.assignee_id"
            " WHERE q.title = %s",
            [title],
        )

    def outbox(self, job, question_id):
        """(id, state, attempts, handovers, last_error) of the outbox messages running ``job`` for a question."""
        return self.database.rows(
            "SELECT id, state, attempts, handovers, last_error FROM outbox_outboxmessage"
            " WHERE job = %s AND args = %s::jsonb ORDER BY id",
            [job, f"[{question_id}]"],
        )

    def outbox_watermark(self):
        """The id of the latest outbox message: what a test causes comes after it."""
        return self.database.value("SELECT coalesce(max(id), 0) FROM outbox_outboxmessage")

    def wait_outbox_settled(self, after, *, timeout=90):
        """Wait until every outbox message recorded after ``after`` has finished; returns them as
        (id, job, state, attempts, handovers)."""

        def settled():
            rows = self.database.rows(
                "SELECT id, job, state, attempts, handovers FROM outbox_outboxmessage WHERE id > %s ORDER BY id",
                [after],
            )
            return all(row[2] in ("done", "failed") for row in rows) and (rows or [()])

        rows = wait_for(
            f"every outbox message after #{after} finished", settled, timeout=timeout, log=lambda: self.logs("worker")
        )
        return [row for row in rows if row]

    def scheduled_jobs(self):
        """{name: {runs, started, finished, claimed_by, next_run_at}} from ``ScheduledJob``."""
        rows = self.database.rows(
            "SELECT name, runs, last_started_at, last_finished_at, claimed_by, next_run_at FROM scheduling_scheduledjob"
        )
        fields = ("runs", "started", "finished", "claimed_by", "next_run_at")
        return {name: dict(zip(fields, rest, strict=True)) for name, *rest in rows}
