"""``kubelite``: ``kubelite apiserver ...`` runs the API server; every other sub-command
goes to the kubectl-like CLI (:mod:`kubelite.kubectl.main`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "apiserver":
        from kubelite.apiserver.main import main as apiserver_main

        return apiserver_main(argv[1:])
    from kubelite.kubectl.main import main as kubectl_main

    return kubectl_main(argv)


if __name__ == "__main__":
    sys.exit(main())
