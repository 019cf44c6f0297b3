"""The importer's collector settings last as long as the import."""

from __future__ import annotations

import gc

from tiski.core import collector


def test_settled_collects_less_often_inside_and_as_before_after():
    before = gc.get_threshold()
    with collector.settled():
        assert gc.get_threshold()[0] >= collector.THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
