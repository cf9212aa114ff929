"""Objects the apiserver creates at start (kube's bootstrap controller): the system
namespaces, the ``kubernetes`` Service on the first cluster IP, and the range repair."""

from __future__ import annotations

import logging
from typing import Any

from kubelite.api import errors
from kubelite.registry.catalog import Catalog
from kubelite.registry.strategy import Context

log = logging.getLogger(__name__)
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


async def _create(catalog: Catalog, plural: str, obj: dict[str, Any], ctx: Context) -> None:
    try:
        await catalog.get("", plural).create(obj, ctx)
        log.info("bootstrap created kind=%s name=%s", obj["kind"], obj["metadata"]["name"])
    except errors.StatusError as err:
        if err.reason != "AlreadyExists":
            raise


async def run(catalog: Catalog, ctx_factory: Any, port: int, advertise: str) -> None:
    for name in SYSTEM_NAMESPACES:
        await _create(catalog, "namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": name}}, ctx_factory(""))
    await catalog.services.repair()
    first_ip = catalog.services.ip_range.value(0)
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver",
                                                      "provider": "kubernetes"}},
        "spec": {"clusterIP": first_ip, "ports": [
            {"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]},
    }
    await _create(catalog, "services", service, ctx_factory("default"))
    if advertise:
        endpoints = {
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default"},
            "subsets": [{"addresses": [{"ip": advertise}],
                         "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}],
        }
        await catalog.get("", "endpoints").update("default", "kubernetes", endpoints,
                                                  ctx_factory("default"))
