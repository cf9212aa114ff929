"""Reading manifests (``-f FILE|DIR|-``): multi-document YAML, JSON streams and Lists.

As kubectl's resource builder does it:

* a directory contributes its ``.json``, ``.yaml`` and ``.yml`` files in name order (with
  ``-R`` its subdirectories too); ``-`` is standard input, named ``STDIN`` in messages;
* a YAML stream is split on ``---`` lines first, so a syntax error names the line **within
  its document**, worded as go-yaml words it (``yaml: line 4: mapping values are not
  allowed in this context``); a document that starts with ``{`` is read as JSON
  (``json: offset 64: invalid character 'x' after object key:value pair``);
* empty documents are skipped; ``kind: List`` (or any ``...List`` with ``items``) is
  flattened into its items;
* values keep go-yaml's types: timestamps stay strings, integral floats become integers.

A document that cannot be read does not stop the others: :func:`read` returns the
documents and the errors in file order, and the caller reports both (kubectl applies
what it could read and exits 1).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubelite.kubectl.errors import CLIError

EXTENSIONS = (".json", ".yaml", ".yml")
STDIN = "STDIN"


@dataclass
class Document:
    obj: dict[str, Any]
    source: str


class ManifestError(CLIError):
    """A document that could not be read; kubectl prints it with ``error: `` in front."""


class _Loader(yaml.SafeLoader):
    """YAML 1.1 as go-yaml v2 decodes it into ``interface{}``: no timestamp type."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# go-yaml v2 also reads y, Y, n and N as booleans (PyYAML does not)
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"),
                              list("yYnN"))


def _bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    value = str(loader.construct_scalar(node))
    return value.lower() in ("y", "yes", "true", "on")


_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 63:
        return int(value)
    if isinstance(value, bytes):
        import base64
        return base64.b64encode(value).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


# -- go-yaml's wording for PyYAML's errors --------------------------------------------------

_PROBLEMS = (
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    ("that cannot start any token", "found character that cannot start any token"),
    ("found unexpected end of stream", "found unexpected end of stream"),
    ("could not find expected ':'", "could not find expected ':'"),
    ("expected ',' or '}'", "did not find expected ',' or '}'"),
    ("expected ',' or ']'", "did not find expected ',' or ']'"),
    ("expected the node content", "did not find expected node content"),
    ("found undefined alias", "unknown anchor referenced"),
    ("found unknown escape character", "found unknown escape character"),
    ("found a tab character", "found a tab character that violates indentation"),
)


def yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """go-yaml's words for a YAML error: ``yaml: line 4: did not find expected key``."""
    problem = exc.problem or ""
    context = exc.context or ""
    text = problem
    for pattern, go_text in _PROBLEMS:
        if pattern in problem:
            text = go_text
            break
    else:
        if problem.startswith("expected <block end>"):
            text = ("did not find expected '-' indicator" if "collection" in context
                    else "did not find expected key")
    # go-yaml counts lines from 0 for parser errors and from 1 for scanner errors
    line = 0
    if exc.problem_mark is not None and exc.problem_mark.line:
        line = exc.problem_mark.line
        if isinstance(exc, yaml.scanner.ScannerError):
            line += 1
    elif exc.context_mark is not None and exc.context_mark.line:
        line = exc.context_mark.line
    where = f"line {line}: " if line else ""
    return f"yaml: {where}{text}"


def _go_char(ch: str) -> str:
    escapes = {"\n": "'\\n'", "\t": "'\\t'", "\r": "'\\r'", "'": "'\\''"}
    return escapes.get(ch, f"'{ch}'")


def _json_context(text: str, pos: int) -> str:
    """Are we inside an object or an array at ``pos``? (for Go's wording)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _json_message(exc: json.JSONDecodeError, text: str) -> str:
    rest = text[exc.pos:]
    if not rest.strip():
        return "unexpected EOF"
    ch = text[exc.pos]
    msg = exc.msg
    if msg.startswith("Expecting ',' delimiter"):
        where = ("after array element" if _json_context(text, exc.pos) == "["
                 else "after object key:value pair")
    elif msg.startswith("Expecting ':' delimiter"):
        where = "after object key"
    elif msg.startswith("Expecting property name"):
        where = "looking for beginning of object key string"
    elif msg.startswith("Invalid control character"):
        where = "in string literal"
    else:
        where = "looking for beginning of value"
    return f"json: offset {exc.pos + 1}: invalid character {_go_char(ch)} {where}"


# -- splitting and decoding -----------------------------------------------------------------

_SEPARATOR = re.compile(r"^---")


def split_yaml(text: str) -> list[str]:
    """Documents of a YAML stream, split on ``---`` lines as k8s' YAML reader does."""
    docs: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if _SEPARATOR.match(line):
            trailing = line[3:].strip()
            if trailing and not trailing.startswith("#"):
                raise ManifestError(f"invalid Yaml document separator: {trailing}")
            if current:
                docs.append("".join(current))
                current = []
            continue
        current.append(line)
    if current:
        docs.append("".join(current))
    return docs


def _decode_json_stream(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    out: list[Any] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ManifestError(_json_message(exc, text)) from None
        out.append(value)


def _flatten(value: Any, source: str, out: list[Document]) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise ManifestError(f'error validating "{source}": error validating data: invalid '
                            "object to validate; if you choose to ignore these errors, turn "
                            "validation off with --validate=false")
    kind = value.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(value.get("items"), list):
        for item in value["items"]:
            _flatten(item, source, out)
        return
    out.append(Document(value, source))


def parse_text(text: str, source: str) -> tuple[list[Document], list[ManifestError]]:
    """All documents of one file's text, and the errors of those that could not be read."""
    docs: list[Document] = []
    errors: list[ManifestError] = []
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            values = _decode_json_stream(text)
        except ManifestError as err:
            return docs, [ManifestError(f"error parsing {source}: {err.message}")]
        for value in values:
            try:
                _flatten(_normalize(value), source, docs)
            except ManifestError as err:
                errors.append(err)
        return docs, errors
    try:
        chunks = split_yaml(text)
    except ManifestError as err:
        return docs, [ManifestError(f"error parsing {source}: {err.message}")]
    for chunk in chunks:
        try:
            value = yaml.load(chunk, Loader=_Loader)  # noqa: S506 - a safe loader subclass
        except yaml.MarkedYAMLError as exc:
            errors.append(ManifestError(f"error parsing {source}: error converting YAML to JSON: "
                                        f"{yaml_message(exc)}"))
            continue
        except yaml.YAMLError as exc:
            errors.append(ManifestError(f"error parsing {source}: {exc}"))
            continue
        try:
            _flatten(_normalize(value), source, docs)
        except ManifestError as err:
            errors.append(err)
    return docs, errors


def expand_paths(paths: list[str], recursive: bool) -> list[str]:
    """Files named by ``-f`` arguments, directories expanded; ``-`` stays as is."""
    out: list[str] = []
    for path in paths:
        if path == "-":
            out.append(path)
            continue
        if path.startswith(("http://", "https://")):
            out.append(path)
            continue
        if not os.path.exists(path):
            raise CLIError(f'the path "{path}" does not exist')
        if os.path.isdir(path):
            found = _walk(Path(path), recursive)
            if not found:
                raise CLIError(f'error reading [{path}]: recognized file extensions are '
                               "[.json .yaml .yml]")
            out.extend(found)
        else:
            out.append(path)
    return out


def _walk(root: Path, recursive: bool) -> list[str]:
    found: list[str] = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            if recursive:
                found.extend(_walk(entry, recursive))
        elif entry.suffix in EXTENSIONS:
            found.append(str(entry))
    return found


def read(paths: list[str], recursive: bool = False,
         stdin: Any = None) -> tuple[list[Document], list[ManifestError]]:
    """Read every document of every ``-f`` argument, in order."""
    docs: list[Document] = []
    errors: list[ManifestError] = []
    for path in expand_paths(paths, recursive):
        if path == "-":
            text = (stdin or sys.stdin).read()
            source = STDIN
        elif path.startswith(("http://", "https://")):
            text = _fetch_url(path)
            source = path
        else:
            try:
                text = Path(path).read_text()
            except OSError as exc:
                errors.append(ManifestError(f"open {path}: {exc.strerror}"))
                continue
            except UnicodeDecodeError:
                errors.append(ManifestError(f"error parsing {path}: invalid UTF-8 text"))
                continue
            source = path
        got, errs = parse_text(text, source)
        docs.extend(got)
        errors.extend(errs)
    return docs, errors


def _fetch_url(url: str) -> str:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - the user's URL
            data: bytes = resp.read()
            return data.decode()
    except OSError as exc:
        raise CLIError(f"unable to read URL \"{url}\", server reported {exc}") from None
