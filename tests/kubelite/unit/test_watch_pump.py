"""The per-client watch buffer: bounded, never drops what it queued, ends on overflow."""

from __future__ import annotations

from collections.abc import AsyncIterator

from kubelite.api import errors
from kubelite.apiserver.watch import END, _pump, new_queue
from kubelite.storage.watch import EventType, WatchEvent


def ev(i: int) -> WatchEvent:
    return WatchEvent(EventType.ADDED, {"metadata": {"resourceVersion": str(i)}})


async def drain(queue: object) -> list[object]:
    out = []
    while not queue.empty():  # type: ignore[attr-defined]
        out.append(queue.get_nowait())  # type: ignore[attr-defined]
    return out


async def test_overflow_ends_the_stream_after_the_queued_events() -> None:
    async def source() -> AsyncIterator[WatchEvent]:
        for i in range(10):
            yield ev(i)

    queue = new_queue(3)
    await _pump(source(), queue, "pods")
    items = await drain(queue)
    assert [i.object["metadata"]["resourceVersion"] for i in items[:-1]] == ["0", "1", "2"]  # type: ignore[union-attr]
    assert items[-1] is END


async def test_error_then_end() -> None:
    async def source() -> AsyncIterator[WatchEvent]:
        yield ev(1)
        raise errors.expired("too old resource version: 1 (5)")

    queue = new_queue(1)
    await _pump(source(), queue, "pods")
    items = await drain(queue)
    assert items[0].type is EventType.ADDED  # type: ignore[union-attr]
    assert items[1].type is EventType.ERROR and items[1].object["code"] == 410  # type: ignore[union-attr]
    assert items[2] is END
