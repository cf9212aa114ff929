"""gcpolicy: collections are timed into pyetcd_gc_pause_seconds; freezing keeps live objects
out of later collections."""

from __future__ import annotations

import asyncio
import gc

import pytest

from pyetcd.gcpolicy import GC_PAUSES, GcPauses, freeze_periodically


def test_every_collection_is_timed() -> None:
    pauses = GcPauses()
    before = GC_PAUSES.child().count
    pauses.install()
    try:
        gc.collect()
    finally:
        pauses.uninstall()
    assert GC_PAUSES.child().count == before + 1 and pauses.longest > 0
    assert pauses not in gc.callbacks


async def test_freezing_moves_live_objects_out_of_the_collectors_reach() -> None:
    gc.unfreeze()
    kept = [[i] for i in range(1000)]  # tracked containers, alive
    task = asyncio.create_task(freeze_periodically(interval=0.01))
    try:
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() >= len(kept)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gc.unfreeze()
