"""From command-line arguments and manifests to the objects a command acts on (kubectl's
resource ``Builder``).

Arguments come in two shapes, never mixed: ``TYPE[,TYPE...] [NAME...]`` (each type with
each name, type-major, or a list per type when no name is given; ``all`` expands to the
``all`` category) or ``TYPE/NAME ...``. Manifests (``-f``) give objects whose kind is mapped
to a resource and whose namespace is checked against ``-n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubelite.kubectl import manifest
from kubelite.kubectl.discovery import ApiResource, Mapper, NoKindMatch
from kubelite.kubectl.errors import CLIError

Obj = dict[str, Any]


@dataclass
class Target:
    """One thing to act on: a list (``name is None``) or a named object."""

    resource: ApiResource
    namespace: str          # "" for cluster-scoped resources or across all namespaces
    name: str | None = None
    obj: Obj | None = None  # the manifest object, for -f
    source: str = ""        # the manifest's file name, for messages

    @property
    def path(self) -> str:
        return self.resource.path(self.namespace or None, self.name)

    def display(self) -> str:
        """``pod/nginx`` or ``deployment.apps/web``."""
        return f"{self.resource.group_kind.lower()}/{self.name}"


class ResourceArgError(CLIError):
    pass


def _split_types(mapper: Mapper, text: str) -> list[ApiResource]:
    out: list[ApiResource] = []
    for part in text.split(","):
        if not part:
            continue
        found = mapper.category("all") if part == "all" else [mapper.resource_for(part)]
        for res in found:
            if res not in out:
                out.append(res)
    return out


def targets_from_args(mapper: Mapper, args: list[str], namespace: str,
                      all_namespaces: bool = False, command: str = "kubectl") -> list[Target]:
    """The targets named on the command line (lists or named objects)."""
    if not args:
        return []
    slashed = [a for a in args if "/" in a]
    if slashed and len(slashed) != len(args):
        raise ResourceArgError(
            "there is no need to specify a resource type as a separate argument when passing "
            f"arguments in resource/name form (e.g. '{command} get resource/<resource_name>' "
            f"instead of '{command} get resource resource/<resource_name>'")
    targets: list[Target] = []
    if slashed:
        for arg in args:
            kind, _, name = arg.partition("/")
            if not name:
                raise ResourceArgError("arguments in resource/name form must have a single "
                                       "resource and name")
            res = mapper.resource_for(kind)
            targets.append(Target(res, _ns(res, namespace, all_namespaces), name))
        return targets
    types = _split_types(mapper, args[0])
    names = args[1:]
    for res in types:
        ns = _ns(res, namespace, all_namespaces)
        if names:
            targets.extend(Target(res, ns, name) for name in names)
        else:
            targets.append(Target(res, ns))
    return targets


def _ns(res: ApiResource, namespace: str, all_namespaces: bool) -> str:
    if not res.namespaced or all_namespaces:
        return ""
    return namespace


def targets_from_documents(mapper: Mapper, docs: list[manifest.Document], namespace: str,
                           explicit: bool) -> tuple[list[Target], list[CLIError]]:
    """Map manifest objects to resources; fill in or check their namespace."""
    targets: list[Target] = []
    errors: list[CLIError] = []
    for doc in docs:
        obj = doc.obj
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        raw_meta = obj.get("metadata")
        meta: Obj = raw_meta if isinstance(raw_meta, dict) else {}
        name = str(meta.get("name") or "")
        if not api_version or not kind:
            missing = [f"{field} not set" for field, value in (("apiVersion", api_version),
                                                               ("kind", kind)) if not value]
            text = missing[0] if len(missing) == 1 else "[" + ", ".join(missing) + "]"
            errors.append(CLIError(
                f'error validating "{doc.source}": error validating data: {text}; '
                "if you choose to ignore these errors, turn validation off with "
                "--validate=false"))
            continue
        try:
            res = mapper.kind_for(str(api_version), str(kind))
        except NoKindMatch as err:
            obj_ns = meta.get("namespace") or ""
            errors.append(CLIError(
                f'resource mapping not found for name: "{name}" namespace: "{obj_ns}" from '
                f'"{doc.source}": {err.message}\nensure CRDs are installed first'))
            continue
        ns = ""
        if res.namespaced:
            obj_ns = str(meta.get("namespace") or "")
            if explicit and obj_ns and obj_ns != namespace:
                errors.append(CLIError(
                    f'the namespace from the provided object "{obj_ns}" does not match the '
                    f'namespace "{namespace}". You must pass \'--namespace={obj_ns}\' to '
                    "perform this operation."))
                continue
            ns = obj_ns or namespace
            obj.setdefault("metadata", {})["namespace"] = ns
        targets.append(Target(res, ns, name or None, obj, doc.source))
    return targets, errors
