"""The pure core imports no networking or event loop, directly or through other modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = {"asyncio", "aiohttp", "socket", "uvloop"}
PURE = [
    "kubelite/api", "kubelite/storage/watch.py", "kubelite/storage/errors.py",
    "kubelite/registry/strategy.py", "kubelite/registry/prepare.py",
    "kubelite/registry/allocator.py", "kubelite/registry/apps.py", "kubelite/registry/core.py",
]


def module_file(name: str) -> Path | None:
    base = ROOT / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def reachable_forbidden(path: Path) -> set[str]:
    seen: set[Path] = set()
    todo, bad = [path], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name in imports(current):
            if name.split(".")[0] in FORBIDDEN:
                bad.add(f"{current.relative_to(ROOT)} imports {name}")
            elif name.split(".")[0] in ("kubelite", "pyetcd"):
                target = module_file(name)
                if target is not None:
                    todo.append(target)
    return bad


def pure_files() -> list[Path]:
    files: list[Path] = []
    for entry in PURE:
        p = ROOT / entry
        files.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return [f for f in files if f.name != "schema_gen.py"]


@pytest.mark.parametrize("path", pure_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module(path: Path) -> None:
    assert reachable_forbidden(path) == set()
