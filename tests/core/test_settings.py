"""Environment-driven settings: the embedded default, the scale-out switches, deploy checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse

import pytest

from tiski.env import envbool, envint, envlist, persistent_secret_key

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "layer_config": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}),
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "tz": settings.TIME_ZONE,
    "secret": settings.SECRET_KEY,
    "hasher": settings.PASSWORD_HASHERS[0],
}))
"""


def run_settings(tmp_path, **env) -> dict:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CELERY_BROKER_URL")
    }
    base.update({"DJANGO_SETTINGS_MODULE": "tiski.settings", "TISKI_DATA_DIR": str(tmp_path)})
    base.update(env)
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=base, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_embedded_default(tmp_path):
    first = run_settings(tmp_path)
    assert first["engine"] == "django.db.backends.sqlite3"
    assert first["db_name"] == str(tmp_path / "tiski.sqlite3")
    assert first["layer"] == "channels.layers.InMemoryChannelLayer"
    assert first["eager"] is True
    assert first["tz"] == "Europe/Helsinki"
    # the tests hash with MD5 for speed (tests/conftest.py); a desk never does
    assert first["hasher"].endswith((".PBKDF2PasswordHasher", ".Argon2PasswordHasher"))
    # the generated secret key is kept for the next start
    assert run_settings(tmp_path)["secret"] == first["secret"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_and_redis_from_environment(tmp_path):
    got = run_settings(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/tiski",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["db_name"] == "tiski"
    assert got["layer"] == "channels_redis.core.RedisChannelLayer"
    assert got["broker"] == "redis://127.0.0.1:6379/0"
    assert got["eager"] is False


def test_the_redis_channel_layer_waits_through_a_quiet_spell(tmp_path):
    """A socket's channel-layer receive sees nothing for longer than the layer's
    5 s blocking pop (redis-py 8 reads with a 5 s timeout by default, which ended
    every quiet socket with a TimeoutError), then gets the message sent after it."""
    import asyncio

    import redis
    from channels_redis.core import RedisChannelLayer

    url = os.environ.get("TISKI_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    config = run_settings(tmp_path, REDIS_URL=url)["layer_config"]

    async def quiet_then_news():
        layer = RedisChannelLayer(**config)
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(layer.brpop_timeout + 2)
        assert not waiting.done()
        await layer.send(channel, {"type": "chat.reply", "item": {"id": 1}})
        got = await asyncio.wait_for(waiting, 30)
        await layer.flush()
        return got

    assert asyncio.run(quiet_then_news()) == {"type": "chat.reply", "item": {"id": 1}}


def test_a_busy_socket_misses_no_push_of_a_burst(tmp_path):
    """300 pushes to a desk socket that has not read yet all wait for it.

    With channels_redis's default capacity (100) the rest were dropped
    ("over capacity in group desk") while a chat burst kept the web process
    busy, and the agent's desk never heard of those chats."""
    import asyncio
    import uuid

    import redis
    from channels_redis.core import RedisChannelLayer

    url = os.environ.get("TISKI_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    config = run_settings(tmp_path, REDIS_URL=url)["layer_config"]

    async def burst() -> list[int]:
        layer = RedisChannelLayer(**config)
        channel = await layer.new_channel()
        group = f"test-burst-{uuid.uuid4().hex[:8]}"
        await layer.group_add(group, channel)
        for n in range(300):
            await layer.group_send(group, {"type": "ticket.changed", "ticket_id": n})
        got = []
        for _ in range(300):
            got.append((await asyncio.wait_for(layer.receive(channel), 30))["ticket_id"])
        await layer.group_discard(group, channel)
        return got

    assert asyncio.run(burst()) == list(range(300))


def test_five_hundred_sockets_leave_their_groups_at_once(tmp_path):
    """500 chats closing together each leave their group; none is refused.

    redis-py 8's asyncio pool allows 100 connections and then raises
    ("Too many connections") instead of waiting: the bench's 500 chats
    ended with 84 of those errors."""
    import asyncio
    import uuid

    import redis
    from channels_redis.core import RedisChannelLayer

    url = os.environ.get("TISKI_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    config = run_settings(tmp_path, REDIS_URL=url)["layer_config"]

    async def closing() -> None:
        layer = RedisChannelLayer(**config)
        group = f"test-leave-{uuid.uuid4().hex[:8]}"
        channels = [f"specific.test!{n}" for n in range(500)]
        await asyncio.gather(*(layer.group_add(group, c) for c in channels))
        await asyncio.gather(*(layer.group_discard(group, c) for c in channels))
        await layer.close_pools()

    asyncio.run(closing())


def test_secret_from_file(tmp_path):
    secret_file = tmp_path / "key"
    secret_file.write_text("from-a-file\n")
    assert run_settings(tmp_path, SECRET_KEY_FILE=str(secret_file))["secret"] == "from-a-file"


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")
    }
    env.update(
        {
            "SECRET_KEY": "x" * 64 + "production-secret-with-enough-entropy-1234567890",
            "HTTPS": "1",
            "ALLOWED_HOSTS": "tuki.yritys.fi",
            "TISKI_DATA_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "tiski.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_env_helpers(monkeypatch, tmp_path):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("NUM", "42")
    monkeypatch.setenv("HOSTS", "a.fi, b.fi,")
    assert envbool("FLAG") is True and envbool("MISSING", True) is True
    assert envint("NUM", 1) == 42 and envint("MISSING", 7) == 7
    assert envlist("HOSTS", []) == ["a.fi", "b.fi"]
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ValueError, match="FLAG"):
        envbool("FLAG")
    monkeypatch.setenv("NUM", "many")
    with pytest.raises(ValueError, match="NUM"):
        envint("NUM", 0)
    key = persistent_secret_key(tmp_path / "data")
    assert key == persistent_secret_key(tmp_path / "data") and len(key) > 40


BACKEND_PIDS = """
import json, django
django.setup()
from django.db import connection

def pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]

if connection.settings_dict["OPTIONS"].get("pool"):
    connection.pool.open(wait=True)  # its first connections ready, as in a running server
pids = []
for _request in range(4):
    pids.append(pid())
    connection.close()  # what Django does at the end of every request and task
print(json.dumps({
    "pids": pids,
    "conn_max_age": connection.settings_dict["CONN_MAX_AGE"],
    "health_checks": connection.settings_dict["CONN_HEALTH_CHECKS"],
    "pool": connection.settings_dict["OPTIONS"].get("pool"),
}))
"""


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (DATABASE_URL)",
)
@pytest.mark.parametrize("pooled", [True, False])
def test_postgres_connections_outlive_a_request_through_the_pool(tmp_path, pooled):
    """On PostgreSQL, closing a connection at a request's end hands it back to
    the pool: the next request gets the same server process instead of paying
    for a new one. With DB_POOL=0 each request connects anew (CONN_MAX_AGE 0,
    Django's advice under ASGI)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DB_POOL", "DB_CONN_MAX_AGE", "DB_CONN_HEALTH_CHECKS")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tiski.settings",
            "TISKI_DATA_DIR": str(tmp_path),
            "DB_POOL": "1" if pooled else "0",
            # The server's own database: the one DATABASE_URL names may exist
            # only as the test runner's copy.
            "DATABASE_URL": urllib.parse.urlunsplit(
                urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres")
            ),
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", BACKEND_PIDS], env=env, check=True, capture_output=True, text=True
    ).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["conn_max_age"] == 0
    assert got["health_checks"] is True
    if pooled:
        assert got["pool"]["max_size"] >= 1
        # The pool's few connections take turns; none is opened per request.
        assert len(set(got["pids"])) <= 2, got["pids"]
    else:
        assert got["pool"] is None
        assert len(set(got["pids"])) == 4, got["pids"]
