"""Frames between a front process and the core process (``--workers``; see :mod:`pyetcd.workers`).

A frame is a little-endian u32 length, then a :mod:`marshal` dump of a list of messages:
everything one side had to say in one turn of its event loop (all the requests parsed from
a read, all the answers of a group commit), so that the other side pays one read, one
``loads`` and one write per batch rather than per request. A message is a tuple whose first
item is its kind and whose second is the request id (chosen by the front, unique among its
requests in flight). marshal is C code; it is safe here because both ends are processes of
the same server over a socket pair that they alone hold.

Front to core:

* ``(REQUEST, id, method, target, body, content_type, now, creds)``: one HTTP request, as
  :meth:`pyetcd.service.EtcdService.handle` takes it; ``creds`` is None (no credentials) or
  ``(authorization, tls_names)``;
* ``(WRITE, id, method, path, request, entry, creds)``: a ``/v2/keys`` write the front has
  parsed already (:func:`pyetcd.api.parse_key_write`): the decoded path, the
  :class:`~pyetcd.request.KeyRequest` as :meth:`~pyetcd.request.KeyRequest.to_tuple` and
  its WAL entry, for :meth:`pyetcd.service.EtcdService.handle_write`;
* ``(CANCEL, id, dropped)``: the client of a watch went away, or (``dropped``) the front
  dropped it as too slow;
* ``(READY, 0)``: the front serves its listeners;
* ``(STOPPING, 0)``: the front was told to stop (SIGTERM/SIGINT) and is finishing; its
  link closing after this is an orderly stop, not a failure.

Core to front:

* ``(REPLY, id, head, tail, close)``: the answer rendered as :func:`pyetcd.h1.reply_wire`
  renders it (the bytes before and after the Date line): for requests, whose answers may be
  sent again (cached GETs), so they are rendered once, and for writes whose answer the API
  rendered already (an event's answer, from a template: ``V2Api._event_wire``);
* ``(PLAIN, id, status, headers, body, close)``: any other answer to a WRITE (an error),
  for the front to render (work taken off the core);
* ``(WATCH, id, headers, stream)``: the request became a watch: send these headers now;
* ``(EVENT, id, body)``: one event of that watch, as JSON;
* ``(END, id)``: the watch has ended (one-shot answered, dropped, shut down).

Pure: no sockets; :class:`FrameReader` turns a byte stream back into messages and
:class:`Outbox` batches the messages of one loop turn into one frame.
"""

from __future__ import annotations

import marshal
import struct
from collections.abc import Callable
from typing import Any

REQUEST, CANCEL, READY, WRITE, STOPPING = 1, 2, 3, 4, 5
REPLY, WATCH, EVENT, END, PLAIN = 10, 11, 12, 13, 14

_LENGTH = struct.Struct("<I")
Message = tuple[Any, ...]


def encode(messages: list[Message]) -> bytes:
    payload = marshal.dumps(messages)
    return _LENGTH.pack(len(payload)) + payload


class FrameReader:
    """Feed it bytes as they arrive; it returns the complete messages among them."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        buffer = self._buffer
        buffer += data
        messages: list[Message] = []
        pos, end = 0, len(buffer)
        view = memoryview(buffer)
        try:
            while end - pos >= 4:
                (length,) = _LENGTH.unpack_from(buffer, pos)
                if end - pos - 4 < length:
                    break
                messages += marshal.loads(view[pos + 4:pos + 4 + length])
                pos += 4 + length
        finally:
            view.release()
        if pos:
            del buffer[:pos]
        return messages


class Outbox:
    """The messages one end queues during a turn of its event loop, written as one frame
    when the turn ends: ``schedule(flush)`` runs ``flush`` after the turn (the loop's
    ``call_soon``), ``write`` takes the frame. A flush is pending exactly while messages
    wait, so the first message of a turn schedules it."""

    __slots__ = ("_messages", "_schedule", "_write")

    def __init__(self, schedule: Callable[[Callable[[], None]], object],
                 write: Callable[[bytes], None]) -> None:
        self._messages: list[Message] = []
        self._schedule = schedule
        self._write = write

    def put(self, message: Message) -> None:
        if not self._messages:
            self._schedule(self._flush)
        self._messages.append(message)

    def _flush(self) -> None:
        messages, self._messages = self._messages, []
        self._write(encode(messages))
