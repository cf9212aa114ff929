"""What a command runs with: its streams, parsed flags and arguments, and how it exits.

Output is written as bytes and flushed at once, as Go writes straight to the file
descriptors: a ``watch --forever`` piped into another program shows each event when it
happens. Commands end early by raising :class:`Exit` (etcdctl calls ``os.Exit``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from pyetcd.ctl.goflag import FlagValues
from pyetcd.ctl.gourl import to_bytes

EXIT_SUCCESS = 0
EXIT_BAD_ARGS = 1
EXIT_BAD_CONNECTION = 2
EXIT_BAD_AUTH = 3
EXIT_SERVER_ERROR = 4
EXIT_CLUSTER_NOT_HEALTHY = 5


class Exit(Exception):
    """End the program with ``code`` (what etcdctl does with ``os.Exit``)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


@dataclass
class Streams:
    stdin: BinaryIO
    stdout: BinaryIO
    stderr: BinaryIO
    env: Mapping[str, str] = field(default_factory=dict)

    def out(self, text: str) -> None:
        self.stdout.write(to_bytes(text))
        self.stdout.flush()

    def err(self, text: str) -> None:
        self.stderr.write(to_bytes(text))
        self.stderr.flush()


@dataclass
class Invocation:
    """One command run: global flags, the command's own flags, its positional arguments."""

    io: Streams
    globals: FlagValues
    flags: FlagValues
    args: list[str]
    # Clients the command opened; the runner closes them when the command ends.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.globals.string("output")
