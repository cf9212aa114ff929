"""Entry point of the kubectl-like CLI: ``kubelite <command> [flags] [args]``.

Global flags (``--server``, ``--kubeconfig``, ``--context``, ``-n`` ...) may come before or
after the command name, as with kubectl. Every failure ends here: it is printed in kubectl's
words (see :mod:`kubelite.kubectl.errors`) and the exit code is 1.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import IO, Any

from kubelite.kubectl import flags as fl
from kubelite.kubectl.context import GLOBAL_FLAGS, Context
from kubelite.kubectl.errors import (
    ApiError,
    CLIError,
    ConnectionFailed,
    UsageError,
    render,
)


@dataclass(frozen=True)
class Command:
    module: str
    summary: str


COMMANDS: dict[str, Command] = {
    "get": Command("cmd_get", "Display one or many resources"),
    "apply": Command("cmd_apply", "Apply a configuration to a resource by file name or stdin"),
    "create": Command("cmd_apply", "Create a resource from a file or from stdin"),
    "delete": Command("cmd_delete", "Delete resources by file names, stdin, resources and "
                      "names, or by resources and label selector"),
    "describe": Command("cmd_describe", "Show details of a specific resource or group of "
                        "resources"),
    "logs": Command("cmd_logs", "Print the logs for a container in a pod"),
    "scale": Command("cmd_scale", "Set a new size for a deployment, replica set, or "
                     "replication controller"),
    "version": Command("cmd_misc", "Print the client and server version information"),
    "api-resources": Command("cmd_misc", "Print the supported API resources on the server"),
    "api-versions": Command("cmd_misc", "Print the supported API versions on the server, in "
                            'the form of "group/version"'),
    "cluster-info": Command("cmd_misc", "Display cluster information"),
}

GLOBAL_NAMES = {f.name for f in GLOBAL_FLAGS}
_GLOBAL_VALUED = {f"--{f.name}" for f in GLOBAL_FLAGS if f.kind is not fl.Kind.BOOL} | \
    {f"-{f.short}" for f in GLOBAL_FLAGS if f.short and f.kind is not fl.Kind.BOOL}


def _split_command(argv: list[str]) -> tuple[str, list[str]]:
    """Find the command name, skipping global flags (and their values) before it."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            break
        if arg.startswith("-"):
            i += 2 if arg in _GLOBAL_VALUED else 1
            continue
        return arg, argv[:i] + argv[i + 1:]
    return "", argv


def usage() -> str:
    lines = ["kubelite controls a kubelite (or any Kubernetes) cluster, like kubectl.", "",
             "Commands:"]
    width = max(len(n) for n in COMMANDS)
    for name, cmd in COMMANDS.items():
        lines.append(f"  {name.ljust(width)}   {cmd.summary}")
    lines += ["  apiserver".ljust(width + 2) + "   Run the kubelite API server", "",
              "Usage:", "  kubelite [flags] <command> [options]", "",
              "Use \"kubelite <command> --help\" for more information about a given command."]
    return "\n".join(lines) + "\n"


def _flag_lines(flags: list[fl.Flag]) -> list[str]:
    lines = []
    for f in flags:
        short = f"-{f.short}, " if f.short else ""
        default = "" if f.kind is fl.Kind.BOOL else f"='{f.initial()}'"
        lines.append(f"    {short}--{f.name}{default}" + (f": {f.help}" if f.help else ""))
    return lines


def command_help(name: str, cmd_flags: list[fl.Flag]) -> str:
    """The flags a command accepts (the same names and forms as kubectl's)."""
    lines = [COMMANDS[name].summary + ".", "", "Options:", *_flag_lines(cmd_flags),
             "", "Global options:", *_flag_lines(GLOBAL_FLAGS),
             "", "Usage:", f"  kubelite {name} [options]", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None, stdout: IO[str] | None = None,
         stderr: IO[str] | None = None, stdin: IO[str] | None = None,
         env: dict[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    name, rest = _split_command(argv)
    if not name or name == "help":
        out.write(usage())
        return 0
    if name not in COMMANDS:
        err.write(f'error: unknown command "{name}" for "kubelite"\n\n'
                  "Run 'kubelite --help' for usage.\n")
        return 1
    module: Any = importlib.import_module(f"kubelite.kubectl.{COMMANDS[name].module}")
    cmd_flags = list(getattr(module, "FLAGS_BY_COMMAND", {}).get(name, module.FLAGS))
    try:
        parsed = fl.parse(rest, cmd_flags + GLOBAL_FLAGS)
    except fl.FlagError as exc:
        err.write(f"error: {exc}\nSee 'kubelite {name} --help' for usage.\n")
        return 1
    if parsed["help"]:
        out.write(command_help(name, cmd_flags))
        return 0
    ctx = Context(parsed, name, out, err, stdin or sys.stdin, env)
    run = getattr(module, "RUN_BY_COMMAND", {}).get(name) or module.run
    try:
        code: int = run(ctx)
        return code
    except UsageError as exc:
        err.write(render(exc) + "\n")
        return exc.code
    except (ApiError, ConnectionFailed, CLIError) as exc:
        err.write(render(exc) + "\n")
        return exc.code if isinstance(exc, CLIError) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    finally:
        ctx.flush_warnings()
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
