"""Command line of `pyetcd` (being built)."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("pyetcd: not built yet", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
