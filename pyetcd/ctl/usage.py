"""Help screens laid out as urfave/cli v1.22 lays them out for etcdctl.

The layout (section order, three-space indent, columns aligned by Go's ``text/tabwriter``
with two spaces of padding, a flag shown as ``--name value, -n value`` with its default) is
rebuilt here from the command table in :mod:`pyetcd.ctl.commands`. Pure code: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyetcd.ctl.goflag import Flag, Kind, bool_flag

if TYPE_CHECKING:
    from pyetcd.ctl.app import Command

HELP_FLAG = bool_flag("help, h", "show help")
VERSION_FLAG = bool_flag("version, v", "print the version")


@dataclass(frozen=True)
class AppInfo:
    name: str
    usage: str
    version: str
    commands: Sequence[Command] = ()
    flags: Sequence[Flag] = field(default_factory=tuple)


PADDING = 2  # urfave/cli's tabwriter: minwidth 1, tabwidth 8, padding 2, pad with spaces


def tabwrite(text: str) -> str:
    """Go ``tabwriter.NewWriter(w, 1, 8, 2, ' ', 0)`` over ``text``.

    Tab-terminated cells in consecutive lines form a column; each column is as wide as its
    widest cell plus :data:`PADDING`. Text after a line's last tab is not aligned.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    _format(lines, 0, len(lines), [], out)
    return "\n".join(out)


def _format(lines: list[list[str]], line0: int, line1: int, widths: list[int],
            out: list[str]) -> None:
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write(lines, line0, this, widths, out)
        line0 = this
        width = 1
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + PADDING)
            this += 1
        _format(lines, line0, this, [*widths, width], out)
        line0 = this
    _write(lines, line0, line1, widths, out)


def _write(lines: list[list[str]], line0: int, line1: int, widths: list[int],
           out: list[str]) -> None:
    for cells in lines[line0:line1]:
        text = []
        for j, cell in enumerate(cells):
            text.append(cell.ljust(widths[j]) if j < len(widths) else cell)
        out.append("".join(text))


def flag_line(flag: Flag) -> str:
    """``--name value, -n value<TAB>usage (default: x)`` as urfave/cli prints a flag."""
    placeholder, usage = _unquote_usage(flag.usage)
    default = ""
    if flag.kind is not Kind.BOOL:
        placeholder = placeholder or "value"
        if flag.kind is Kind.STRING:
            default = f' (default: "{flag.default}")' if flag.default else ""
        elif flag.kind is Kind.DURATION:
            default = f" (default: {go_duration(float(flag.default))})"
        else:
            default = f" (default: {flag.default})"
    names = ", ".join(("-" if len(n) == 1 else "--") + n + (f" {placeholder}" if placeholder else "")
                      for n in flag.names)
    return f"{names}\t{(usage + default).strip()}"


def _unquote_usage(usage: str) -> tuple[str, str]:
    start = usage.find("`")
    if start >= 0:
        end = usage.find("`", start + 1)
        if end >= 0:
            name = usage[start + 1:end]
            return name, usage[:start] + name + usage[end + 1:]
    return "", usage


def go_duration(seconds: float) -> str:
    """Go ``time.Duration.String`` for the whole-second and millisecond values we use."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:g}s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{text}"
    if minutes:
        return f"{int(minutes)}m{text}"
    return text


def _names(cmd: Command) -> str:
    return ", ".join((cmd.name, *cmd.aliases))


def app_help(app: AppInfo, help_name: str, *, show_version: bool = True) -> str:
    text = f"NAME:\n   {app.name} - {app.usage}\n\nUSAGE:\n   {help_name} "
    text += "[global options]" if app.flags else ""
    text += " command [command options]" if app.commands else ""
    text += " [arguments...]"
    if show_version and app.version:
        text += f"\n\nVERSION:\n   {app.version}"
    if app.commands:
        text += "\n\nCOMMANDS:" + "".join(f"\n   {_names(c)}\t{c.usage}" for c in app.commands)
    if app.flags:
        text += "\n\nGLOBAL OPTIONS:\n   " + "\n   ".join(flag_line(f) for f in app.flags)
    return tabwrite(text + "\n")


def command_help(cmd: Command, help_name: str) -> str:
    text = f"NAME:\n   {help_name} - {cmd.usage}\n\nUSAGE:\n   {help_name}"
    text += " [command options]" if cmd.flags else ""
    text += f" {cmd.args_usage or '[arguments...]'}"
    if cmd.description:
        text += f"\n\nDESCRIPTION:\n   {cmd.description}"
    if cmd.flags:
        text += "\n\nOPTIONS:\n   " + "".join(f"{flag_line(f)}\n   " for f in cmd.flags)
    return tabwrite(text + "\n")


def subcommand_help(cmd: Command, help_name: str) -> str:
    text = f"NAME:\n   {help_name} - {cmd.description or cmd.usage}\n\nUSAGE:\n   {help_name} command"
    text += f" [command options] {cmd.args_usage or '[arguments...]'}\n\nCOMMANDS:"
    text += "".join(f"\n   {_names(c)}\t{c.usage}" for c in cmd.subcommands)
    text += "\n\nOPTIONS:\n   " + f"{flag_line(HELP_FLAG)}\n   "
    return tabwrite(text + "\n")
