"""Discovery and the resource mapper: which resources the server has, and what a user's
``po``, ``deploy.apps``, ``Pod`` or a manifest's ``apps/v1 Deployment`` refer to.

The server is asked once per command (``/api`` and ``/apis``, preferring the aggregated
``apidiscovery.k8s.io/v2`` answer, else the legacy ``APIVersions``/``APIGroupList`` plus
one ``APIResourceList`` per group version). :class:`Mapper` itself is pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.kubectl.errors import CLIError
from kubelite.kubectl.rest import RestClient

AGGREGATED_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                     "application/json")


@dataclass(frozen=True)
class ApiResource:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = field(default=(), compare=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> str:
        """``Deployment.apps`` / ``Pod``, lower-cased by printers: ``deployment.apps``."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def qualified_plural(self) -> str:
        """``deployments.apps`` / ``pods``: how server messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None,
             subresource: str | None = None) -> str:
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        parts = [prefix]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name is not None:
            parts.append(name)
        if subresource:
            parts.append(subresource)
        return "/".join(parts)


class NoResourceMatch(CLIError):
    def __init__(self, resource: str):
        super().__init__(f'the server doesn\'t have a resource type "{resource}"')
        self.resource = resource


class NoKindMatch(CLIError):
    def __init__(self, api_version: str, kind: str):
        group, _, version = api_version.rpartition("/")
        where = f'in version "{api_version}"' if group else f'in version "{version}"'
        super().__init__(f'no matches for kind "{kind}" {where}')
        self.api_version = api_version
        self.kind = kind


class Mapper:
    """Resolve resource arguments and kinds against the discovered resources (pure)."""

    def __init__(self, resources: list[ApiResource],
                 warn: Callable[[str], object] | None = None):
        self.resources = resources
        self.warn = warn

    def _short_name(self, name: str, group: str | None) -> ApiResource | None:
        """kubectl's shortcut expander: the first resource with this short name, warning
        about the others (unless the word is some resource's full name)."""
        candidates = [r for r in self.resources if group is None or r.group == group]
        if any(name in (r.plural, r.singular) for r in candidates):
            return None
        found: ApiResource | None = None
        warned: set[str] = set()
        for res in candidates:
            if name not in res.short_names:
                continue
            if found is None:
                found = res
            elif (res.group, res.plural) != (found.group, found.plural) and \
                    res.qualified_plural not in warned:
                warned.add(res.qualified_plural)
                if self.warn is not None:
                    self.warn(f'short name "{name}" could also match lower priority resource '
                              f"{res.qualified_plural}")
        return found

    def resource_for(self, arg: str) -> ApiResource:
        """``po``, ``pods``, ``pod``, ``Pod``, ``deployments.apps``, ``deploy.v1.apps``."""
        text = arg.lower()
        head, _, rest = text.partition(".")
        short = self._short_name(text, None) or (self._short_name(head, rest) if rest else None)
        if short is not None:
            return short
        candidates: list[tuple[str, str | None, str | None]] = [(text, None, None)]
        if "." in text:
            head, _, rest = text.partition(".")
            candidates.append((head, None, rest))
            if "." in rest:
                ver, _, grp = rest.partition(".")
                candidates.append((head, ver, grp))
        for name, version, group in candidates:
            for res in self.resources:
                if group is not None and res.group != group:
                    continue
                if version is not None and res.version != version:
                    continue
                if name in (res.plural, res.singular, res.kind.lower()) or name in res.short_names:
                    return res
        raise NoResourceMatch(arg)

    def kind_for(self, api_version: str, kind: str) -> ApiResource:
        for res in self.resources:
            if res.api_version == api_version and res.kind == kind:
                return res
        raise NoKindMatch(api_version, kind)

    def category(self, name: str) -> list[ApiResource]:
        return [r for r in self.resources if name in r.categories]


def _from_aggregated(doc: dict[str, Any]) -> list[ApiResource]:
    out = []
    for group_entry in doc.get("items") or []:
        group = (group_entry.get("metadata") or {}).get("name") or ""
        versions = group_entry.get("versions") or []
        if not versions:
            continue
        preferred = versions[0]  # the first listed version is the preferred one
        for res in preferred.get("resources") or []:
            kind = (res.get("responseKind") or {}).get("kind", "")
            out.append(ApiResource(
                group, preferred.get("version", ""), res.get("resource", ""),
                res.get("singularResource") or kind.lower(), kind,
                res.get("scope") == "Namespaced", tuple(res.get("verbs") or ()),
                tuple(res.get("shortNames") or ()), tuple(res.get("categories") or ()),
                tuple(s.get("subresource", "") for s in res.get("subresources") or [])))
    return out


def _from_resource_list(group: str, version: str, doc: dict[str, Any]) -> list[ApiResource]:
    out: list[ApiResource] = []
    subs: dict[str, list[str]] = {}
    for res in doc.get("resources") or []:
        name = res.get("name", "")
        if "/" in name:
            parent, _, sub = name.partition("/")
            subs.setdefault(parent, []).append(sub)
            continue
        out.append(ApiResource(group, version, name, res.get("singularName") or
                               str(res.get("kind", "")).lower(), res.get("kind", ""),
                               bool(res.get("namespaced")), tuple(res.get("verbs") or ()),
                               tuple(res.get("shortNames") or ()),
                               tuple(res.get("categories") or ())))
    return [ApiResource(r.group, r.version, r.plural, r.singular, r.kind, r.namespaced,
                        r.verbs, r.short_names, r.categories, tuple(subs.get(r.plural, [])))
            for r in out]


def _legacy(client: RestClient, core: Any, groups: Any) -> list[ApiResource]:
    out: list[ApiResource] = []
    if isinstance(core, dict):
        for version in (core.get("versions") or [])[:1]:
            out += _from_resource_list("", version, client.get(f"/api/{version}"))
    for group in (groups or {}).get("groups") or []:
        preferred = group.get("preferredVersion") or (group.get("versions") or [{}])[0]
        gv = preferred.get("groupVersion", "")
        if gv:
            out += _from_resource_list(group.get("name", ""), preferred.get("version", ""),
                                       client.get(f"/apis/{gv}"))
    return out


def discover(client: RestClient, warn: Callable[[str], object] | None = None) -> Mapper:
    """Ask the server for its resources (aggregated discovery, else the legacy form)."""
    from kubelite.kubectl.errors import ApiError

    def fetch(path: str) -> tuple[Any, str]:
        try:
            resp = client.request("GET", path, accept=AGGREGATED_ACCEPT)
        except ApiError as err:
            if err.code == 404 and path == "/api":
                return None, ""
            raise
        return resp.json(), resp.headers.get("Content-Type", "")

    core, core_type = fetch("/api")
    groups, groups_type = fetch("/apis")
    if "as=APIGroupDiscoveryList" in core_type and "as=APIGroupDiscoveryList" in groups_type:
        return Mapper(_from_aggregated(core) + _from_aggregated(groups), warn)
    return Mapper(_legacy(client, core, groups), warn)
