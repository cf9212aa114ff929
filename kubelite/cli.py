"""``kubelite``: ``kubelite apiserver ...`` runs the API server, ``kubelite up`` runs the
master on this machine (:mod:`kubelite.up`); every other sub-command goes to the
kubectl-like CLI (:mod:`kubelite.kubectl.main`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "apiserver":
        from kubelite.apiserver.main import main as apiserver_main

        return apiserver_main(argv[1:])
    if argv and argv[0] == "up":
        from kubelite.up import main as up_main

        return up_main(argv[1:])
    from kubelite.kubectl.main import main as kubectl_main

    return kubectl_main(argv)


if __name__ == "__main__":
    sys.exit(main())
