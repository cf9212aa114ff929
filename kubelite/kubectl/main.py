"""Entry point of the kubectl-like CLI; not built yet (another engineer's part of issue 5)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("kubelite: the kubectl-like CLI is not built yet; use `kubelite apiserver` or the "
          "real kubectl against it", file=sys.stderr)
    return 1
