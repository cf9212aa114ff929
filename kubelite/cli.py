"""Command line of `kubelite` (being built)."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("kubelite: not built yet", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
