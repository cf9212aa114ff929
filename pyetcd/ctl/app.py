"""Command dispatch with urfave/cli v1.22's rules, as etcdctl v2 behaves.

* ``etcdctl [global flags] <command> [flags and args]``: global flags end at the first
  non-flag; a command's flags are reordered before parsing (see :mod:`goflag`).
* A bad global flag prints ``Incorrect Usage. <why>`` and the app help to stdout and the
  reason to stderr, exit 1; a bad command flag prints ``Incorrect Usage: <why>`` and the
  command's help, exit 1.
* ``help``/``h`` (or ``-h``/``--help``) show help, exit 0; an unknown command or help topic
  prints ``No help topic for '<name>'`` to stderr, exit 3. ``-v``/``--version`` prints the
  version.
* A command with subcommands (``member``) runs as a nested app with its own help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pyetcd.ctl import goflag
from pyetcd.ctl.context import Exit, Invocation, Streams
from pyetcd.ctl.goflag import Flag, FlagValues, UsageError
from pyetcd.ctl.usage import (
    HELP_FLAG,
    VERSION_FLAG,
    AppInfo,
    app_help,
    command_help,
    subcommand_help,
)

Action = Callable[[Invocation], Awaitable[None]]
HELP_TOPIC_MISSING = 3


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    action: Action | None = None
    args_usage: str = ""
    description: str = ""
    flags: tuple[Flag, ...] = ()
    subcommands: tuple[Command, ...] = ()
    aliases: tuple[str, ...] = ()

    def has_name(self, name: str) -> bool:
        return name == self.name or name in self.aliases


HELP_COMMAND = Command("help", "Shows a list of commands or help for one command",
                       args_usage="[command]", aliases=("h",))


@dataclass(frozen=True)
class App:
    name: str
    usage: str
    version: str
    flags: tuple[Flag, ...]
    commands: tuple[Command, ...]

    def info(self) -> AppInfo:
        return AppInfo(self.name, self.usage, self.version, (*self.commands, HELP_COMMAND),
                       (*self.flags, HELP_FLAG, VERSION_FLAG))

    def version_text(self) -> str:
        return f"{self.name} version: {self.version}\nAPI version: 2\n"


def _find(commands: Sequence[Command], name: str) -> Command | None:
    return next((c for c in commands if c.has_name(name)), None)


class Runner:
    """Runs one command line against :class:`App`; returns the exit code."""

    def __init__(self, app: App, io: Streams):
        self.app = app
        self.io = io

    async def run(self, argv: Sequence[str]) -> int:
        try:
            return await self._run(list(argv))
        except Exit as exc:
            return exc.code

    async def _run(self, argv: list[str]) -> int:
        info = self.app.info()
        try:
            globals_, rest = goflag.parse(info.flags, argv)
        except UsageError as exc:
            return self._usage_error(f"Incorrect Usage. {exc}\n\n", app_help(info, self.app.name), exc)
        if globals_.bool("help"):
            self.io.out(app_help(info, self.app.name))
            return 0
        if globals_.bool("version"):
            self.io.out(self.app.version_text())
            return 0
        if rest:
            command = _find(info.commands, rest[0])
            if command is not None:
                return await self._command(command, globals_, rest[1:], info.commands,
                                           self.app.name)
        return self._help(rest, info.commands, self.app.name, lambda: app_help(info, self.app.name))

    def _usage_error(self, head: str, help_text: str, exc: UsageError) -> int:
        self.io.out(head + help_text)
        self.io.err(f"{exc}\n")
        return 1

    def _help(self, args: list[str], commands: Sequence[Command], prefix: str,
              default: Callable[[], str]) -> int:
        """urfave's help action: help for ``args[0]``, or ``default()`` without arguments."""
        if not args:
            self.io.out(default())
            return 0
        command = _find(commands, args[0])
        if command is None:
            self.io.err(f"No help topic for '{args[0]}'\n")
            return HELP_TOPIC_MISSING
        self.io.out(command_help(command, self._help_name(prefix, command)))
        return 0

    def _help_name(self, prefix: str, command: Command) -> str:
        # urfave/cli adds the top-level help command after naming the others: its own
        # help screen shows an empty name, as etcdctl's does.
        if command is HELP_COMMAND and prefix == self.app.name:
            return ""
        return f"{prefix} {command.name}"

    async def _command(self, command: Command, globals_: FlagValues, args: list[str],
                       siblings: Sequence[Command], prefix: str) -> int:
        help_name = self._help_name(prefix, command)
        if command.subcommands:
            return await self._subcommands(command, globals_, args, help_name)
        flags = (*command.flags, HELP_FLAG)
        try:
            values, rest = goflag.parse(flags, goflag.reorder_args(flags, args))
        except UsageError as exc:
            return self._usage_error(f"Incorrect Usage: {exc}\n\n",
                                     command_help(command, help_name), exc)
        if values.bool("help"):
            self.io.out(command_help(command, help_name))
            return 0
        if command is HELP_COMMAND:
            return self._help(rest, siblings, prefix, lambda: self._app_help_for(prefix))
        if command.action is None:
            return self._help([], (), prefix, lambda: command_help(command, help_name))
        inv = Invocation(self.io, globals_, values, rest)
        try:
            await command.action(inv)
        finally:
            for close in inv.closers:
                await close()
        return 0

    def _app_help_for(self, prefix: str) -> str:
        if prefix == self.app.name:
            return app_help(self.app.info(), self.app.name)
        name = prefix.split(" ", 1)[1]
        parent = _find(self.app.commands, name)
        assert parent is not None
        sub = AppInfo(prefix, parent.usage, self.app.version, parent.subcommands, (HELP_FLAG,))
        return app_help(sub, prefix)

    async def _subcommands(self, command: Command, globals_: FlagValues, args: list[str],
                           help_name: str) -> int:
        children = (*command.subcommands, HELP_COMMAND)
        try:
            values, rest = goflag.parse((HELP_FLAG,), args)
        except UsageError as exc:
            return self._usage_error(f"Incorrect Usage. {exc}\n\n",
                                     subcommand_help(command, help_name), exc)
        if values.bool("help"):
            self.io.out(subcommand_help(command, help_name))
            return 0
        if rest:
            child = _find(children, rest[0])
            if child is not None:
                return await self._command(child, globals_, rest[1:], children, help_name)
        return self._help(rest, children, help_name,
                          lambda: subcommand_help(command, help_name))
