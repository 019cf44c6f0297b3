"""The help centre's tests read the knowledge base the knowledge tests write."""

from tests.knowledge.conftest import kb  # noqa: F401 - a fixture
