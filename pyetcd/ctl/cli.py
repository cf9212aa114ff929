"""Command line of `pyetcdctl` (being built)."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("pyetcdctl: not built yet", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
