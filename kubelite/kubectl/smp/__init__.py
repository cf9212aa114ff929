"""The three-way strategic merge patch of client-side ``apply``, computed as kubectl computes
it (apimachinery's ``CreateThreeWayMergePatch`` with ``overwrite=true``).

Inputs are three JSON objects: *original* (the last-applied configuration annotation),
*modified* (the manifest, annotated) and *current* (the live object). The patch is

* **delta**: what changed or was added from *current* to *modified*, never deleting, plus
* **deletions**: what *original* had and *modified* dropped (``null`` for a map key,
  ``{"<mergeKey>": v, "$patch": "delete"}`` for an item of a merged list of objects,
  ``$deleteFromPrimitiveList/<list>`` for a merged list of scalars),

with ``$setElementOrder/<list>`` for merged lists that changed and ``$retainKeys`` for
fields whose strategy is ``retainKeys``. An empty patch means "unchanged".

The patch strategy of a field comes from the apiserver's schema tables
(:mod:`kubelite.api.schema`, the ``x-kubernetes-patch-*`` metadata of the built-in types, the
same the kubectl binary has compiled in). Fields the schema does not know are diffed like a
JSON merge patch (maps recursed, lists replaced). Orderings follow the Go code's, including
its sort and de-duplication quirks, so the patch bytes match kubectl's. Pure.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import schema
from kubelite.kubectl.smp.common import DiffOptions, PatchError, go_str
from kubelite.kubectl.smp.diff import diff_maps
from kubelite.kubectl.smp.merge import merge_map

__all__ = ["PatchError", "diff_maps", "go_str", "merge_map", "three_way", "type_for"]


def three_way(original: dict[str, Any] | None, modified: dict[str, Any],
              current: dict[str, Any], type_name: str | None) -> dict[str, Any]:
    """The patch kubectl apply sends (``{}`` when nothing is to change)."""
    delta = diff_maps(copy.deepcopy(current), copy.deepcopy(modified), type_name,
                      DiffOptions(set_element_order=True, ignore_deletions=True))
    deletions = diff_maps(copy.deepcopy(original or {}), copy.deepcopy(modified), type_name,
                          DiffOptions(set_element_order=True, ignore_changes_and_additions=True))
    return merge_map(deletions, delta, type_name)


def type_for(api_version: str, kind: str) -> str | None:
    """The schema type name of a served kind (``V1Pod``), or None if unknown."""
    try:
        return schema.root_type(f"{api_version}/{kind}")
    except KeyError:
        return None
