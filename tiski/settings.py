"""Django settings for Tiski, driven by environment variables.

The embedded default (no variables set) is SQLite in ``TISKI_DATA_DIR``,
Celery tasks run eagerly, and Channels uses its in-memory layer. Setting
``DATABASE_URL`` and ``REDIS_URL`` moves the same code to PostgreSQL, Redis
workers and the Redis channel layer.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from tiski.env import env, envbool, envint, envlist, persistent_secret_key

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("TISKI_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = envbool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or persistent_secret_key(DATA_DIR)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "tiski.core",
    "tiski.accounts",
    "tiski.customers",
    "tiski.tickets",
    "tiski.sla",
    "tiski.macros",
    "tiski.connectors",
    "tiski.desk",
    "tiski.rules",
    "tiski.notifications",
    "tiski.search",
    "tiski.connectors.phone",
    "tiski.connectors.sms",
    "tiski.connectors.telegram",
    "tiski.connectors.whatsapp",
    "tiski.connectors.meta",
    "tiski.connectors.webchat",
    "tiski.surveys",
    "tiski.reports",
    "tiski.worktime",
    "tiski.setup",
    "tiski.api",
    "tiski.sidepanel",
    "tiski.knowledge",
    "tiski.portal",
    "tiski.movein",
    # The top floor: serve, worker, demo and generated data (nothing imports it).
    "tiski.operations",
]

MIDDLEWARE = [
    # First: a brand's own host name (from the database) is accepted beside
    # ALLOWED_HOSTS, and gets only the help centre (portal/hosts.py).
    "tiski.portal.hosts.BrandHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tiski.core.csp.ContentSecurityPolicyMiddleware",
    "tiski.core.middleware.DropNulFromQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # /api/: bearer tokens, rate limits, idempotent POSTs (other paths pass through).
    "tiski.api.middleware.ApiMiddleware",
    "tiski.core.middleware.DeskSettingsMiddleware",
    "tiski.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tiski.urls"
ASGI_APPLICATION = "tiski.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tiski.setup.context.settings_nav",
                "tiski.core.csp.context_processor",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'tiski.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", _default_sqlite),
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
        conn_health_checks=envbool("DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool("DB_POOL", True):
    # A new PostgreSQL connection costs a backend process (tens of ms on a
    # busy small server), and the web process runs under ASGI, where Django
    # gives each request a thread of its own: a connection kept past the
    # request (CONN_MAX_AGE) would stay with a thread that is gone. Django's
    # advice for ASGI is the driver's pool instead; closing a connection hands
    # it back to the pool, in web requests, Celery tasks and commands alike.
    # The health checks (CONN_HEALTH_CHECKS) make the pool test a connection
    # before lending it. Pooling and CONN_MAX_AGE exclude each other.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": envint("DB_POOL_MIN_SIZE", 2),
        "max_size": envint("DB_POOL_MAX_SIZE", 20),
        "timeout": envint("DB_POOL_TIMEOUT", 10),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; the busy timeout
    # turns short write contention into waiting instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:inbox"
LOGOUT_REDIRECT_URL = "desk:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates in European style (24-hour clock, day before month, ISO short dates).
FORMAT_MODULE_PATH = ["tiski.core.formats"]
TIME_ZONE = env("TIME_ZONE", "Europe/Helsinki")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps in the embedded default, so
# `tiski demo` needs no collectstatic step.
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", True)
WHITENOISE_AUTOREFRESH = DEBUG
MAX_UPLOAD_BYTES = envint("TISKI_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Background work and real time ---------------------------------------
# The default cache is each process's own memory, as Django's default; the
# "fragments" cache holds the ticket page's rendered message blocks
# (desk/message_fragments.py): per process too, so a page never waits on the
# network for them, and bounded (about 3 KB a block).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tiski-fragments",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    # The help centre's rendered article pages (portal/page_cache.py), keyed
    # by a content version read from the database on each request, so every
    # process drops its old pages as soon as a write commits. About 15 KB a page.
    "helpcentre": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tiski-helpcentre",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": envint("TISKI_HELPCENTRE_CACHE_PAGES", 4000)},
    },
}
# Help-centre article reads are added to the counts in batches (knowledge/reads.py).
TISKI_HELPCENTRE_READS_BATCH = envint("TISKI_HELPCENTRE_READS_BATCH", 25)
TISKI_HELPCENTRE_READS_SECONDS = envint("TISKI_HELPCENTRE_READS_SECONDS", 30)

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, as long as
            # channels_redis's blocking pop waits for news: an idle moment
            # then ended every socket with a TimeoutError (channels_redis #422).
            "CONFIG": {
                # max_connections: redis-py 8's asyncio pool allows 100 and
                # then raises at once ("Too many connections"); 500 chats
                # closing together (a group_discard each) went past it.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}],
                # A socket's queue: past it, group sends to it are dropped (a
                # desk tab misses pushes). The default 100 is a few seconds of
                # a busy desk's pushes while the web process is loaded (a chat
                # burst: "over capacity in group desk", bench/README.md).
                "capacity": 1000,
            },
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", "memory://")
    CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The ticket-change handlers a web process handed off (`tickets.changes.handed_off`,
# the web chat's visitor messages: SLA, rules, the desk's second push) have a
# queue of their own, which a worker empties before it takes from the default
# one: there they waited behind the search index's tasks (one per change,
# from every process), minutes on a busy machine (bench/README.md, issue #17).
# A worker without -Q consumes both queues.
# A single change's report facts (`tickets.changes.handle_later`) have a queue
# of their own after it: in the same queue their calls came between the
# visitors' messages and cut the worker's batches of those to one call each.
CELERY_TASK_QUEUES = (Queue("changes"), Queue("changes_later"), Queue("celery"))
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "tiski.tickets.handle_changes": {"queue": "changes"},
    "tiski.tickets.handle_changes_later": {"queue": "changes_later"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"queue_order_strategy": "priority"}
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs (Celery beat, or `tiski run`'s scheduler); one entry per job.
CELERY_BEAT_SCHEDULE = {
    # IMAP mailboxes; `tiski run` / `tiski imap-poll --idle` also IDLE on them.
    # Expires so a stalled worker does not pile up passes.
    "imap-poll": {
        "task": "tiski.connectors.poll_imap",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Inbound receipts left pending (a crash, a lost hand-off, a ticket write
    # that failed): processed again by their channel's intake.
    "receipts-sweep": {
        "task": "tiski.connectors.sweep_pending",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "sla-deadlines": {
        "task": "tiski.sla.check_deadlines",
        "schedule": 60.0,
    },
    # Report subscriptions: last week's / month's report once it is complete.
    "report-subscriptions": {
        "task": "tiski.reports.send_subscriptions",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "absence-handover": {
        "task": "tiski.tickets.hand_over_absences",
        "schedule": 300.0,
    },
    # Outbox: due retries, lost hand-offs, sends interrupted by a crash.
    "outbox-sweep": {
        "task": "tiski.connectors.sweep_outbox",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "rules-time-pass": {
        "task": "tiski.rules.tasks.run_time_rules",
        "schedule": 300.0,  # every 5 minutes
    },
    # NPS rounds: the task checks Settings -> Surveys for whether one is due.
    "surveys-nps-round": {
        "task": "tiski.surveys.nps_round",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    # Tickets missing from the search index (lost tasks, an emptied index).
    "search-index-sweep": {
        "task": "tiski.search.index_missing",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Chat visitors waiting too long for an agent: the "chat waiting" trigger event.
    "webchat-waiting": {
        "task": "tiski.webchat.announce_waiting",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Agents' notification digests (hourly or daily, each at its own time).
    "notification-digests": {
        "task": "desk.notification_digests",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Long SMS whose missing parts never came: delivered with what did.
    "sms-incomplete": {
        "task": "tiski.sms.deliver_incomplete",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Webhook deliveries due for a retry, and expired idempotent replays.
    "webhook-sweep": {
        "task": "tiski.api.sweep_webhooks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# Browser notifications (web push): the VAPID key pair as a PEM (one is made
# and kept in the database when empty) and the contact push services may
# write to about it (a mailto: or https: URL).
TISKI_VAPID_PRIVATE_KEY = env("TISKI_VAPID_PRIVATE_KEY", "")
TISKI_VAPID_SUBJECT = env("TISKI_VAPID_SUBJECT", "")

# Seconds a chat visitor's message may go unanswered (visitor still there)
# before the "chat waiting" trigger event.
TISKI_WEBCHAT_WAITING_SECONDS = envint("TISKI_WEBCHAT_WAITING_SECONDS", 120)

# --- API and webhooks -------------------------------------------------------
# Requests one API token may make per minute (429 with Retry-After beyond it).
TISKI_API_RATE_LIMIT = envint("TISKI_API_RATE_LIMIT", 600)
# Seconds a bearer token from /api/oauth/token (client credentials) works.
TISKI_OAUTH_TOKEN_SECONDS = envint("TISKI_OAUTH_TOKEN_SECONDS", 3600)
# Failed deliveries in a row after which a webhook is switched off.
TISKI_WEBHOOK_MAX_FAILURES = envint("TISKI_WEBHOOK_MAX_FAILURES", 15)

# --- Search -----------------------------------------------------------------
# Voikko (Debian's libvoikko1 + voikko-fi) gives Finnish lemmas and compound
# words; off, or not installed, search falls back to Snowball stems.
TISKI_SEARCH_VOIKKO = envbool("TISKI_SEARCH_VOIKKO", True)
# The public web form (/help/<lang>/request/): the least seconds between
# showing the form and sending it (bots send at once), and how many requests
# one IP address or email address may send per hour.
TISKI_WEB_FORM_MIN_SECONDS = envint("TISKI_WEB_FORM_MIN_SECONDS", 3)
TISKI_WEB_FORM_PER_HOUR = envint("TISKI_WEB_FORM_PER_HOUR", 5)

# --- Email ----------------------------------------------------------------
# Without an SMTP server configured, mail is captured as files under the
# data folder (the embedded default and the demo never mail real people).
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(DATA_DIR / "sent-mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "tiski@localhost")

# --- Security -------------------------------------------------------------
# HTTPS=1 says Tiski is served over TLS (directly or behind a proxy that sets
# X-Forwarded-Proto with BEHIND_TLS_PROXY=1); it turns on the secure defaults
# that `tiski check --deploy` asks for.
HTTPS = envbool("HTTPS", False)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Preloading is a registration with browser vendors that is hard to undo: an
# admin opts in with SECURE_HSTS_PRELOAD=1, so the check's reminder is muted.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The inbox's covering indexes INCLUDE columns for PostgreSQL's index-only
    # scans; SQLite builds them without those columns, which is all it needs,
    # and says so on every command.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 14 * 24 * 3600)

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task run drowns everything else in the embedded default.
        "celery.app.trace": {"level": "WARNING"},
    },
}
if CELERY_BROKER_URL.startswith("memory://"):
    # The in-process broker has no host; kombu warns that it "reverts to
    # localhost" each time a connection object is made, which means nothing here.
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}

# --- Tiski ----------------------------------------------------------------
TISKI_DEMO_PASSWORD = env("TISKI_DEMO_PASSWORD", "tiski-demo")
TISKI_PAGE_SIZE = envint("TISKI_PAGE_SIZE", 50)
# Called in this order, after commit, with each TicketChange (tickets/changes.py).
TISKI_TICKET_CHANGE_HANDLERS = [
    # A reply on a chat ticket reaches the visitor's open chat; one written for
    # a visitor who left meanwhile is handed to email (before the email
    # handler). First: the visitor waits on the screen for it, and it needs
    # nothing the others compute.
    "tiski.connectors.webchat.delivery.on_ticket_change",
    # SLA next: the push that follows makes browsers re-read the deadline.
    "tiski.sla.services.on_ticket_change",
    "tiski.tickets.routing.on_ticket_change",
    "tiski.desk.push.on_ticket_change",
    "tiski.rules.engine.on_ticket_change",
    "tiski.search.handlers.on_ticket_change",
    # Public replies go out by email; new email tickets get their acknowledgement.
    "tiski.connectors.email.outbound.on_ticket_change",
    # Public replies on an SMS conversation go out by SMS.
    "tiski.connectors.sms.replies.on_ticket_change",
    "tiski.connectors.telegram.replies.on_ticket_change",
    "tiski.connectors.whatsapp.replies.on_ticket_change",
    "tiski.connectors.meta.replies.on_ticket_change",
    # A callback ticket solved by hand is a callback done.
    "tiski.connectors.phone.services.on_ticket_change",
    # The bell: "Maija assigned this ticket to you."
    "tiski.desk.notifications.on_ticket_change",
    # Mentions, auto-follows and what followers hear.
    "tiski.notifications.handlers.on_ticket_change",
    # The facts reports count (after SLA: breach flags come from its targets).
    "tiski.reports.facts.on_ticket_change",
    # Webhooks out: one delivery row per subscribed event, sent after commit.
    "tiski.api.webhooks.events.on_ticket_change",
]
# Seconds the parts of a long SMS are waited for before it is delivered
# with "[part missing]" where a part never came.
TISKI_SMS_PART_TIMEOUT_SECONDS = envint("TISKI_SMS_PART_TIMEOUT_SECONDS", 600)
# Minutes without a heartbeat from a visitor's chat before replies go by email.
TISKI_WEBCHAT_AWAY_MINUTES = envint("TISKI_WEBCHAT_AWAY_MINUTES", 2)
# Seconds one long-poll of the chat's HTTP fallback waits for news before it
# answers empty (kept under the 30 s many proxies allow an idle request).
TISKI_WEBCHAT_POLL_SECONDS = envint("TISKI_WEBCHAT_POLL_SECONDS", 25)
# Automatic mails (acknowledgements, rule mails) one address may get per hour.
TISKI_AUTOMATIC_MAIL_PER_HOUR = envint("TISKI_AUTOMATIC_MAIL_PER_HOUR", 3)
# Seconds to wait for an SMTP server before counting it as a temporary failure.
TISKI_SMTP_TIMEOUT = envint("TISKI_SMTP_TIMEOUT", 30)
# Dotted path of `fn(ticket) -> AckTarget | None` (email/outbound.py): the
# calendar and target the acknowledgement promises (the SLA policy by default;
# empty = office hours + 8 h).
# How the desk's own mail (scheduled reports) is handed to a mailbox's transport.
TISKI_SYSTEM_MAIL_DELIVER = "tiski.connectors.email.outbound.deliver"
# Rules' and surveys' mail goes into the outbox through this (tickets/automatic_mail.py).
TISKI_AUTOMATIC_MAIL = "tiski.connectors.outbox.send_automatic_mail"
# Which channel (and meta) a public reply a feature writes goes out on: the
# conversation's reply route (ready answers in bulk; tickets/reply_channel.py).
TISKI_REPLY_CHANNEL = "tiski.connectors.routes.reply_channel"
TISKI_ACK_TARGET_HOOK = env("TISKI_ACK_TARGET_HOOK", "tiski.sla.services.ack_target")
# Called with (actor=, mailbox=, reconnected=) after an OAuth sign-in connects a
# mailbox (channels/email/oauth_views.py): the Settings change log records it.
# Called after commit with (event, contact ids, data) when contacts are
# created or merged (tiski.customers.changes).
# Of the handlers above, those a busy web process runs itself when it hands
# the others to a worker (`tickets.changes.handed_off`, the web chat's
# visitor messages): the desk hears of the message at once; the worker runs
# the whole list after it (the push again, with the SLA deadline set).
TISKI_TICKET_CHANGE_LIVE_HANDLERS = ["tiski.desk.push.on_ticket_change"]
# Of the handlers above, those that a single change (an agent's reply, a field
# set from the desk or the API) leaves to a worker where there is one: nothing
# the agent sees next depends on them, and a worker handles the changes
# waiting for them together (`tickets.changes.dispatch`). The report facts
# were a third of an agent's reply's CPU alone (10.6 of 30 ms), a twelfth of
# that per change in a worker's batch (bench/README.md, issue #17).
TISKI_TICKET_CHANGE_WORKER_HANDLERS = ["tiski.reports.facts.on_ticket_change"]
TISKI_CONTACT_CHANGE_HANDLERS = ["tiski.api.webhooks.events.on_contact_change"]
TISKI_MAILBOX_CONNECTED_HANDLERS = ["tiski.setup.audit.mailbox_connected"]
# Called once with the list of ticket ids after bulk work (imports) that
# deferred the per-change handlers above.
TISKI_TICKET_BULK_HANDLERS = [
    "tiski.sla.services.refresh_tickets",
    "tiski.search.indexing.index_tickets",
    "tiski.reports.facts.refresh_many",
]
# Functions returning SQL of more text a ticket's search entry holds, rows of
# `txt` for the ticket aliased `t` (tiski/search/indexing.py).
TISKI_SEARCH_TEXT_SOURCES = ["tiski.connectors.email.side.search_texts_sql"]
# Rule loop safety: how often one rule may fire on one ticket per hour, and
# how many ticket changes all rules together may make to one ticket per hour.
TISKI_RULE_MAX_FIRINGS_PER_HOUR = envint("TISKI_RULE_MAX_FIRINGS_PER_HOUR", 5)
TISKI_RULE_MAX_CHANGES_PER_HOUR = envint("TISKI_RULE_MAX_CHANGES_PER_HOUR", 20)
# Where a phone number without a country code is from ("040 123 4567" in
# Finland is +358401234567): every phone identity is stored in E.164.
TISKI_PHONE_REGION = env("TISKI_PHONE_REGION", "FI").strip().upper() or "FI"
# Absolute links in rule templates ({{ ticket.url }}); empty gives a path.
TISKI_BASE_URL = env("TISKI_BASE_URL", "")


def _sms_provider() -> dict[str, str] | None:
    """``TISKI_SMS`` for tiski/connectors/phone/sms.py, from the TISKI_SMS_* variables.

    Nothing set: no SMS provider, and no callback SMS. A half-configured
    provider stops the start-up instead of failing at the first missed call.
    Tokens may come from ``*_FILE`` (env() reads those).
    """
    provider = env("TISKI_SMS_PROVIDER").strip().lower()
    if not provider:
        return None
    url = env("TISKI_SMS_URL").strip()
    sender = env("TISKI_SMS_FROM").strip()
    if provider in ("http_json", "http"):
        if not url:
            raise ValueError("TISKI_SMS_PROVIDER=http_json needs TISKI_SMS_URL")
        return {
            "kind": "http",
            "url": url,
            "token": env("TISKI_SMS_TOKEN").strip(),
            "sender": sender,
        }
    if provider == "twilio":
        config = {
            "kind": "twilio",
            "account_sid": env("TISKI_SMS_ACCOUNT_SID").strip(),
            "auth_token": env("TISKI_SMS_AUTH_TOKEN").strip(),
            "sender": sender,
            # Only tests and regional set-ups point it elsewhere.
            "base_url": url or "https://api.twilio.com",
        }
        missing = [
            name
            for name, key in (
                ("TISKI_SMS_ACCOUNT_SID", "account_sid"),
                ("TISKI_SMS_AUTH_TOKEN", "auth_token"),
                ("TISKI_SMS_FROM", "sender"),
            )
            if not config[key]
        ]
        if missing:
            raise ValueError(f"TISKI_SMS_PROVIDER=twilio needs {', '.join(missing)}")
        return config
    raise ValueError(f"TISKI_SMS_PROVIDER must be http_json or twilio, not {provider!r}")


# Outbound SMS (callback notices to callers): see docs/telephony-api.md.
TISKI_SMS = _sms_provider()
# Provider URLs are typed by admins: outbound HTTP refuses private and
# loopback addresses unless this is set (a provider inside the own network).
TISKI_HTTP_ALLOW_PRIVATE = envbool("TISKI_HTTP_ALLOW_PRIVATE", False)
# A message joins the contact's open ticket on its channel within this window.
TISKI_MESSAGING_THREAD_HOURS = envint("TISKI_MESSAGING_THREAD_HOURS", 24)
# Messenger and Instagram: the Graph API with its version (tests point it at loopback).
TISKI_META_GRAPH_URL = env("TISKI_META_GRAPH_URL", "https://graph.facebook.com/v21.0")
