"""A batch job's fewer collector runs are undone at its end, whatever happens."""

from __future__ import annotations

import gc

import pytest

from tiski.core.collector import IMPORT_THRESHOLD, fewer_collections


@pytest.fixture
def collector():
    """Nothing frozen to start with; the collector as the test found it
    afterwards (importing tiski.asgi, as a websocket test does, freezes)."""
    thresholds, enabled, frozen = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()
    gc.unfreeze()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()
    if frozen:
        gc.freeze()
    (gc.enable if enabled else gc.disable)()


def test_the_objects_alive_are_set_aside_for_the_block_only(collector):
    gc.enable()
    gc.set_threshold(700, 10, 10)
    kept = [object() for _ in range(10)]
    with fewer_collections(young=5000):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (5000, 10, 10)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)
    assert len(kept) == 10


def test_an_error_in_the_block_undoes_it_too(collector):
    gc.enable()
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a rule failed")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_a_freeze_the_process_made_itself_is_kept(collector):
    gc.enable()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with fewer_collections():
        pass
    assert gc.get_freeze_count() == frozen


def test_garbage_from_before_the_block_is_collected_after_it(collector):
    gc.enable()

    class Node:
        pass

    gc.collect()
    node = Node()
    node.me = node  # a cycle: only the collector frees it
    del node
    with fewer_collections():
        pass
    gc.collect()  # frozen objects are never freed: it is back with the others
    # type(), not isinstance(): isinstance asks a lazy object (a request's
    # desk settings left from another test) for its class, which reads it.
    assert not any(type(o) is Node for o in gc.get_objects())


def test_a_disabled_collector_is_left_alone(collector):
    gc.disable()
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == before
    assert not gc.isenabled()



@pytest.mark.usefixtures("collector")
def test_an_import_collects_less_often_inside_and_as_before_after():
    gc.enable()
    before = gc.get_threshold()
    with fewer_collections(IMPORT_THRESHOLD):
        assert gc.get_threshold()[0] >= IMPORT_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
