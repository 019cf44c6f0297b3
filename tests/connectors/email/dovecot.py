"""A private Dovecot IMAP server for the tests (Debian's dovecot-imapd).

Everything lives in a temporary folder: the configuration, a passwd-file
with the test users, their Maildirs, the sockets and the log. Dovecot runs
in the foreground as the current user (``dovecot -F -c <conf>``), listens
on 127.0.0.1 on a free port and allows plain-text logins there, so no root
and no system paths are involved. When the ``dovecot`` binary is missing the
tests that need it are skipped, unless TISKI_REQUIRE_DOVECOT=1 (CI), where a
missing server is a failure.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from imapclient import IMAPClient

PASSWORD = "salasana-123"
# Dovecot notices changes to the passwd-file only by its mtime in whole
# seconds, so users added during the session could stay unknown for a
# moment: the file lists enough of them from the start.
USERS = 400
_users = itertools.count(1)
_deliveries = itertools.count(1)


def find_dovecot() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONFIG = """\
# Written by tests/connectors/email/dovecot.py for one test session.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
# New mail shows up in IDLE within a second even without inotify.
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen
    account: pwd.struct_passwd | None = None
    host: str = "127.0.0.1"
    users: list[str] = field(default_factory=list)

    def add_user(self) -> str:
        """A fresh IMAP user (password PASSWORD) with an empty Maildir."""
        n = next(_users)
        if n > USERS:
            raise RuntimeError("tests/connectors/email/dovecot.py: raise USERS")
        name = f"user{n}"
        home = self.root / "home" / name
        for sub in ("cur", "new", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
        self.chown(home)
        self.users.append(name)
        return name

    def maildir(self, user: str) -> Path:
        return self.root / "home" / user / "Maildir"

    def client(self, user: str, password: str = PASSWORD) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message over IMAP APPEND (another connection than Tiski's)."""
        with self.client(user) as client:
            client.append(folder, raw)

    def deliver_file(self, user: str, raw: bytes) -> Path:
        """Deliver a message the way a local MDA does: a file in Maildir/new."""
        base = self.maildir(user)
        name = f"{time.time_ns()}.P{os.getpid()}Q{next(_deliveries)}.tiski-test"
        tmp = base / "tmp" / name
        tmp.write_bytes(raw)
        final = base / "new" / name
        self.chown(tmp)
        tmp.rename(final)
        return final

    def chown(self, path: Path) -> None:
        """Hand files we made to Dovecot's account (only needed when we are root)."""
        if os.getuid() != 0 or self.account is None:
            return
        uid, gid = self.account.pw_uid, self.account.pw_gid
        os.chown(path, uid, gid)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                for name in dirnames + filenames:
                    os.chown(os.path.join(dirpath, name), uid, gid)

    def mailbox_fields(self, user: str, password: str = PASSWORD) -> dict:
        """Mailbox model fields that make Tiski read this user's INBOX."""
        return {
            "inbound_method": "imap",
            "imap_host": self.host,
            "imap_port": self.port,
            "imap_security": "none",
            "imap_username": user,
            "imap_password": password,
        }

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _run_as() -> pwd.struct_passwd:
    """The account Dovecot runs as: ourselves, or an unprivileged one for root.

    Dovecot's login processes refuse to run as root, so under root (CI) the
    whole instance runs as the ``dovecot`` system user (or ``nobody``).
    """
    if os.getuid() != 0:
        return pwd.getpwuid(os.getuid())
    for name in ("dovecot", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged account for dovecot")


def start_dovecot(root: Path, binary: str) -> Dovecot:
    account = _run_as()
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(exist_ok=True)
    home = root / "home"
    (root / "passwd").write_text(
        "".join(
            f"user{n}:{{PLAIN}}{PASSWORD}:{account.pw_uid}:{account.pw_gid}::{home}/user{n}\n"
            for n in range(1, USERS + 1)
        )
    )
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(
        CONFIG.format(
            root=root,
            port=port,
            user=account.pw_name,
            group=grp.getgrgid(account.pw_gid).gr_name,
            uid=account.pw_uid,
            gid=account.pw_gid,
        )
    )
    server = Dovecot(root=root, port=port, process=None, account=account)  # type: ignore[arg-type]
    server.chown(root)
    server.process = subprocess.Popen(
        [binary, "-F", "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        user=account.pw_uid if os.getuid() == 0 else None,
        group=account.pw_gid if os.getuid() == 0 else None,
        extra_groups=[] if os.getuid() == 0 else None,
    )
    process = server.process
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"dovecot exited: {output}\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"dovecot did not start listening on {port}\n{server.log()}")


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory) -> Iterator[Dovecot]:
    """One Dovecot for the test session (one per xdist worker)."""
    binary = find_dovecot()
    if binary is None:
        if os.environ.get("TISKI_REQUIRE_DOVECOT") == "1":
            pytest.fail("dovecot is not installed and TISKI_REQUIRE_DOVECOT=1")
        pytest.skip("dovecot not installed (apt-get install dovecot-imapd)")
    # A short path: Dovecot's unix sockets must fit in 108 bytes. Under root
    # pytest's own temporary folders are closed to Dovecot's account.
    if os.getuid() == 0:
        root = Path(tempfile.mkdtemp(prefix="tiski-dc-"))
        os.chmod(root, 0o755)
    else:
        root = Path(tmp_path_factory.mktemp("dc", numbered=True))
    server = start_dovecot(root, binary)
    yield server
    server.stop()
    if os.getuid() == 0:
        shutil.rmtree(root, ignore_errors=True)
