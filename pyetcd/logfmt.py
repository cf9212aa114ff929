"""One log line per event, as ``key=value`` fields (logfmt), on the stdlib ``logging`` module.

Every module logs through its own ``logging.getLogger(__name__)``. A record's message is
either already fields (``msg="serving client requests" url=https://...``) or plain text,
which becomes ``msg="..."``. The formatter puts ``ts``, ``level`` and ``logger`` first::

    ts=2024-05-01T12:00:00.123Z level=info logger=pyetcd.server msg="serving client requests" url=http://127.0.0.1:2379

Values with spaces, quotes or ``=`` are quoted; newlines (tracebacks) are escaped so an
event never spans lines. Levels are etcd's names: ``debug``, ``info``, ``warn``, ``error``.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "error": logging.ERROR}
_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn",
          logging.ERROR: "error", logging.CRITICAL: "fatal"}


def quote(value: str) -> str:
    """A logfmt value: bare when safe, else double-quoted with escapes."""
    if value and not any(c in value for c in ' "=\\\n\r\t'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\r", "\\r").replace("\t", "\\t") + '"'


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        head = (f"ts={ts}.{int(record.msecs):03d}Z "
                f"level={_NAMES.get(record.levelno, record.levelname.lower())} "
                f"logger={record.name} ")
        message = record.getMessage()
        if not message.startswith("msg="):
            message = "msg=" + quote(message)
        line = head + message.replace("\n", "\\n")
        if record.exc_info:
            line += " error=" + quote(self.formatException(record.exc_info))
        return line


def setup(level: str, stream: TextIO | None = None) -> None:
    """Route every logger to one handler on stderr at ``level`` (etcd's names)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
    logging.getLogger("aiohttp").setLevel(max(LEVELS[level], logging.WARNING))
