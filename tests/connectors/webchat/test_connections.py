"""The chat's database calls give their pooled connections back.

On PostgreSQL the chat runs its database work on the event loop's pool
threads (``protocol.db``). A loop's threads end with the loop; a connection
one of them still held would stay lent out of the pool for good, and a
process (a test run, a web process restarted by its server) would find the
pool empty after a while.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from .test_consumer import _visitor

pytestmark = pytest.mark.django_db(transaction=True)


def _lent() -> int:
    """Connections of the pool that are out, not waiting in it."""
    stats = connection.pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


POOLED = connection.vendor == "postgresql" and bool(
    connection.settings_dict.get("OPTIONS", {}).get("pool")
)


@pytest.mark.skipif(not POOLED, reason="the connection pool is PostgreSQL's")
def test_after_many_chat_calls_no_connection_stays_lent(widget):
    connection.close()  # the test's own connection back to the pool
    assert _lent() == 0

    async def chat(n: int) -> None:
        socket, _welcome = await _visitor(widget, email=f"v{n}@example.com")
        for number in range(2):
            await socket.send_json_to(
                {"type": "message", "client_id": f"c{number}", "text": f"Viesti {number}"}
            )
            assert (await socket.receive_json_from(timeout=10))["type"] == "ack"
        await socket.send_json_to({"type": "typing", "state": True})
        await socket.send_json_to({"type": "ping"})
        assert (await socket.receive_json_from(timeout=10))["type"] == "pong"
        await socket.disconnect()

    for n in range(6):
        # Each a loop of its own, as each test has: its threads end with it.
        async_to_sync(chat)(n)
    connection.close()
    assert _lent() == 0
