from __future__ import annotations

import pytest

from .provider import FakeApi


@pytest.fixture
def fake_api():
    api = FakeApi()
    yield api
    api.close()
