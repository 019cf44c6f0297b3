"""The help centre's tests read the knowledge base the knowledge tests write."""

import pytest

from tests.knowledge.conftest import kb  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def _no_reads_from_other_tests():
    """Reads are kept in memory between batches; a rolled-back test's must not
    be added to another test's articles."""
    from tiski.knowledge import reads

    reads.discard()
    yield
    reads.discard()
