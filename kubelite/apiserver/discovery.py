"""Discovery documents, aggregated (``apidiscovery.k8s.io/v2``) and legacy. Pure."""

from __future__ import annotations

import hashlib
from typing import Any

from kubelite.api.resources import GROUP_VERSIONS, RESOURCES, Resource, in_group_version

Obj = dict[str, Any]


def _hash(res: Resource) -> str:
    digest = hashlib.sha256(f"{res.group}/{res.version}/{res.kind}".encode()).digest()
    import base64
    return base64.b64encode(digest[:8]).decode()


def _gvk(group: str, version: str, kind: str) -> Obj:
    return {"group": group, "version": version, "kind": kind}


def aggregated_resource(res: Resource) -> Obj:
    out: Obj = {
        "resource": res.plural,
        "responseKind": _gvk(res.group, res.version, res.kind),
        "scope": "Namespaced" if res.namespaced else "Cluster",
        "singularResource": res.singular,
        "verbs": list(res.verbs),
    }
    if res.short_names:
        out["shortNames"] = list(res.short_names)
    if res.categories:
        out["categories"] = list(res.categories)
    subs = []
    for sub in res.subresources:
        kind = sub.kind or res.kind
        group = sub.group if sub.kind else res.group
        version = sub.version if sub.kind else res.version
        subs.append({"subresource": sub.name, "responseKind": _gvk(group, version, kind),
                     "verbs": list(sub.verbs)})
    if subs:
        out["subresources"] = subs
    return out


def _group_entry(group: str, version_name: str) -> Obj:
    resources = [aggregated_resource(r) for r in in_group_version(group, version_name)
                 if r.plural != "bindings"]
    return {"metadata": {"name": group, "creationTimestamp": None},
            "versions": [{"version": version_name, "resources": resources,
                          "freshness": "Current"}]}


def aggregated(core: bool, api_version: str = "apidiscovery.k8s.io/v2") -> Obj:
    """``/api`` (``core=True``) or ``/apis`` as an ``APIGroupDiscoveryList``."""
    items = [_group_entry(g, v) for g, v in GROUP_VERSIONS if (g == "") == core]
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version,
            "metadata": {}, "items": items}


def api_versions(server_address: str) -> Obj:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def api_group(group: str) -> Obj | None:
    versions = [{"groupVersion": f"{g}/{v}", "version": v} for g, v in GROUP_VERSIONS if g == group]
    if not versions or not group:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": versions[0]}


def api_group_list() -> Obj:
    groups: list[Obj] = []
    for group, _ in GROUP_VERSIONS:
        if group and all(g["name"] != group for g in groups):
            entry = api_group(group)
            assert entry is not None
            groups.append({k: entry[k] for k in ("name", "versions", "preferredVersion")})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(group: str, version: str) -> Obj | None:
    if (group, version) not in GROUP_VERSIONS:
        return None
    resources: list[Obj] = []
    for res in in_group_version(group, version):
        entry: Obj = {"name": res.plural, "singularName": res.singular,
                      "namespaced": res.namespaced, "kind": res.kind, "verbs": list(res.verbs),
                      "storageVersionHash": _hash(res)}
        if res.short_names:
            entry["shortNames"] = list(res.short_names)
        if res.categories:
            entry["categories"] = list(res.categories)
        resources.append(entry)
        for sub in res.subresources:
            sub_entry: Obj = {"name": f"{res.plural}/{sub.name}", "singularName": "",
                              "namespaced": res.namespaced, "kind": sub.kind or res.kind,
                              "verbs": list(sub.verbs)}
            if sub.kind:
                sub_entry["group"], sub_entry["version"] = sub.group, sub.version
            resources.append(sub_entry)
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": resources}


__all__ = ["RESOURCES", "aggregated", "api_versions", "api_group", "api_group_list",
           "api_resource_list"]
