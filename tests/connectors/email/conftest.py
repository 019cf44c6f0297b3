"""Fixtures for the email channel tests."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
# /work/shared/corpora next to the repository; absent in other checkouts.
CORPORA = Path(__file__).resolve().parents[3].parent / "shared" / "corpora"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip("shared email corpora not present")
    return CORPORA


@pytest.fixture
def mailbox(db):
    from tiski.connectors.models import Mailbox

    return Mailbox.objects.create(address="tuki@tiski.example", display_name="Tiski Tuki")
