"""``/version``: what kubectl (and gcloud's kubectl dispatcher) read.

The dispatcher at ``/usr/bin/kubectl`` runs the kubectl binary matching ``minor``, so it
must be ``"32"`` for kubectl 1.32 to be the client under test.
"""

from __future__ import annotations

import platform
from typing import Any

import kubelite

MAJOR, MINOR = "1", "32"


def version_info() -> dict[str, Any]:
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {
        "major": MAJOR,
        "minor": MINOR,
        "gitVersion": f"v{MAJOR}.{MINOR}.0+kubelite-{kubelite.__version__}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": f"python{platform.python_version()}",
        "compiler": platform.python_implementation().lower(),
        "platform": f"linux/{machine}",
    }
