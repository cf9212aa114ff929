"""How pyetcd uses Python's cyclic garbage collector: freeze what lives, measure the pauses.

The store is millions of long-lived objects (nodes, their keys and values, cached views).
A full collection visits every tracked object, so with 1,000,000 keys one takes on the
order of a second, during which no request is served; and as the store grows, full
collections keep coming (each time the objects that survived since the last one reach a
quarter of those that survived before).

pyetcd does not rely on the collector to free anything:

* the key tree has no reference cycles (removed nodes drop their parent link), events and
  views are acyclic, and answering a request creates no cyclic garbage: a test runs every
  kind of request through the transport with the collector off and then finds nothing
  unreachable (``tests/pyetcd/http/test_h1.py``);
* connections break their own cycles (protocol <-> parser callbacks) when they close.

So every :data:`FREEZE_INTERVAL` seconds :func:`gc.freeze` moves every object that is
alive at that moment into the permanent generation, which collections never visit. It is
O(1) (it splices the generation lists). Collections then only ever visit objects made in
the last interval, and stay short however large the store grows. Reference counting still
frees frozen objects when they are dropped; only cyclic garbage among frozen objects would
be kept, and the request path makes none.

The collector stays enabled (a cycle made by a bug is still found while it is young), and
:class:`GcPauses` records how long each collection took, for ``/metrics``, with the number
of frozen objects (``pyetcd_gc_frozen_objects``), which follows the store's size: growth
beyond it would be cyclic garbage frozen before the collector saw it.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from pyetcd.metrics import REGISTRY, Gauge, Histogram, exponential_buckets

FREEZE_INTERVAL = 1.0  # seconds

FROZEN = REGISTRY.add(Gauge(
    "pyetcd_gc_frozen_objects", "Objects in the permanent generation (gc.freeze): it follows "
    "the store's size; growth beyond it would be cyclic garbage that is never collected.",
    source=gc.get_freeze_count))
GC_PAUSES = REGISTRY.add(Histogram(
    "pyetcd_gc_pause_seconds", "Time the event loop stood still in Python's cyclic garbage "
    "collector, by collection.", exponential_buckets(0.0001, 2, 16)))


class GcPauses:
    """Times every collection (``gc.callbacks``) into :data:`GC_PAUSES`."""

    def __init__(self) -> None:
        self._start = 0.0
        self.longest = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        pause = time.perf_counter() - self._start
        self.longest = max(self.longest, pause)
        GC_PAUSES.observe(pause)

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def uninstall(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


async def freeze_periodically(interval: float = FREEZE_INTERVAL) -> None:
    """Freeze what is alive every ``interval`` seconds (run as a task of the server)."""
    pauses = GcPauses()
    pauses.install()
    try:
        while True:
            gc.freeze()
            await asyncio.sleep(interval)
    finally:
        pauses.uninstall()
