"""The pure core imports no I/O (STYLE rule 1): no asyncio, aiohttp, socket, pyroute2 or time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
PKG = Path(__file__).resolve().parents[3] / "pyflannel"
PURE = ["gojson.py", "netconfig.py", "lease.py", "allocator.py", "routes.py", "packet.py", "gso.py",
        "runs.py", "vxlan_device.py"]
FORBIDDEN = {"asyncio", "aiohttp", "socket", "pyroute2", "time", "select", "subprocess", "os"}


@pytest.mark.parametrize("name", PURE)
def test_pure_module_imports(name: str) -> None:
    tree = ast.parse((PKG / name).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN, f"{name} imports {imported & FORBIDDEN}"
