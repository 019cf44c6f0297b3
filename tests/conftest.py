"""Shared fixtures: people, teams, contacts and tickets made through the actions."""

from __future__ import annotations

import itertools

import pytest

from tiski.accounts.models import Role, Team, User
from tiski.customers.actions import get_or_create_contact
from tiski.tickets import actions
from tiski.tickets.models import Via

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def pytest_configure(config: pytest.Config) -> None:
    """Test passwords are hashed with a fast hasher. The production hasher
    (PBKDF2, a million rounds) takes a quarter of a second per hash on this
    machine by design, and the suite makes and signs in thousands of users:
    that was minutes of every CI run. tests/core/test_settings.py checks that
    the production settings keep the slow one."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sqlite_readers_take_no_table_locks(sender, connection, **kwargs) -> None:
    """Django's SQLite test database is one in-memory database shared by the
    threads' connections (shared cache). There a reader locks whole tables
    and a writer meeting the lock fails at once ("database table is
    locked"), with no busy timeout: in the browser tests a chat's long poll
    (one server thread) broke an agent's reply (another) at random. Readers
    that read uncommitted rows take no table locks; the desk's own SQLite
    file has WAL and a busy timeout instead, where readers never block."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


# Rows migrate made that every test database has, kept through the flush
# after a transactional test: see `_keep_content_types_through_flushes`.
_KEPT_THROUGH_FLUSH = frozenset({"django_content_type", "auth_permission"})


def _flush_keeping_content_types(style, connection, reset_sequences=True, allow_cascade=False):  # type: ignore[no-untyped-def]
    tables = [
        table
        for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if table not in _KEPT_THROUGH_FLUSH
    ]
    if connection.vendor == "postgresql" and not reset_sequences:
        # DELETE rather than TRUNCATE: a test leaves a few rows in a few
        # tables, and truncating two hundred makes new files for each of
        # them and their indexes. Django's foreign keys are deferred, so the
        # order does not matter; an empty table costs next to nothing.
        names = ", ".join("'" + table.replace("'", "''") + "'" for table in tables)
        return [
            "DO $$ DECLARE t text; BEGIN "
            f"FOREACH t IN ARRAY ARRAY[{names}]::text[] LOOP "
            "EXECUTE format('DELETE FROM %I', t); END LOOP; END $$"
        ]
    return connection.ops.sql_flush(
        style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
    )


def _keep_content_types_through_flushes() -> None:
    """After each transactional test (live servers, websockets, browsers: some
    380 of them) Django empties every table, then runs post_migrate to make
    the content types and permissions again: most of a second each time on
    PostgreSQL, minutes of every CI run. Those two tables keep their rows
    instead (with the ids migrate gave them) and post_migrate is not sent,
    as long as nothing else listens to it."""
    import weakref

    from django.core.management.commands import flush
    from django.db.models.signals import post_migrate

    listening = set()
    for entry in post_migrate.receivers:
        receiver = entry[1]() if isinstance(entry[1], weakref.ReferenceType) else entry[1]
        listening.add(f"{receiver.__module__}.{receiver.__name__}")
    if listening != {
        "django.contrib.auth.management.create_permissions",
        "django.contrib.contenttypes.management.create_contenttypes",
    }:
        return  # a listener of our own: leave Django's flush as it is
    flush.sql_flush = _flush_keeping_content_types
    flush.emit_post_migrate_signal = lambda *args, **kwargs: None


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.db.backends.signals import connection_created

    connection_created.connect(_sqlite_readers_take_no_table_locks)
    _keep_content_types_through_flushes()


@pytest.fixture(autouse=True)
def _nothing_kept_between_tests():
    """Each test starts with an empty process cache of the desk's lists
    (core/config_cache.py): a test's rows are rolled back, its lists version
    with them, and a later test could meet the same version again."""
    from tiski.core import config_cache

    config_cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _loopback_providers(settings):
    """The fake providers listen on 127.0.0.1, which the HTTP helper refuses
    by default (tests/connectors/test_transport.py proves the refusal)."""
    settings.TISKI_HTTP_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code running outside a request speaks English in tests, so assertions
    can read messages; requests still follow the user's language (Finnish
    by default), which the desk tests check."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def make_user(db):
    def make(role: str = Role.AGENT, teams: tuple[Team, ...] = (), **fields) -> User:
        n = next(_counter)
        fields.setdefault("email", f"agent{n}@example.fi")
        fields.setdefault("name", f"Agentti {n}")
        user = User.objects.create_user(password=PASSWORD, role=role, **fields)
        for team in teams:
            team.members.add(user)
        return user

    return make


@pytest.fixture
def make_team(db):
    def make(name: str | None = None, restricted: bool = False) -> Team:
        return Team.objects.create(name=name or f"Tiimi {next(_counter)}", restricted=restricted)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user(role=Role.ADMIN, email="admin@example.fi", name="Anna Admin")


@pytest.fixture
def make_contact(db):
    def make(email: str | None = None, name: str = "Maija Meikäläinen", **fields):
        email = email or f"asiakas{next(_counter)}@example.com"
        contact, _ = get_or_create_contact("email", email, name=name, **fields)
        return contact

    return make


@pytest.fixture
def mailbox(db):
    """A mailbox to send from: public replies go out by email, and without
    one the desk refuses a reply nobody would receive."""
    from tiski.connectors.models import Mailbox

    return Mailbox.objects.create(address="tuki@tiski.example", display_name="Tiski Tuki")


@pytest.fixture
def make_ticket(db, make_contact):
    def make(
        subject: str = "Tilaus ei ole saapunut",
        text: str = "Hei, missä tilaukseni on?",
        requester=None,
        actor=None,
        **fields,
    ):
        return actions.create_ticket(
            requester=requester or make_contact(),
            subject=subject,
            text=text,
            actor=actor,
            via=fields.pop("via", Via.CHANNEL),
            channel=fields.pop("channel", "email"),
            **fields,
        )

    return make


@pytest.fixture
def make_field(db):
    """A custom ticket field; ``types``: the ticket types it applies to (none: all)."""
    from tiski.tickets.models import TicketField

    def make(key: str = "order_number", kind: str = "text", types=(), **fields) -> TicketField:
        fields.setdefault("label_fi", key.replace("_", " ").capitalize())
        fields.setdefault("label_en", key.replace("_", " ").capitalize())
        field = TicketField.objects.create(key=key, kind=kind, all_types=not types, **fields)
        field.ticket_types.set(types)
        return field

    return make
