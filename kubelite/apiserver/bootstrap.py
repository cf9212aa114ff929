"""Objects the apiserver creates at start (kube's bootstrap controller): the system
namespaces, the ``kubernetes`` Service on the first cluster IP, and the range repair.

Start-up must work on existing data (a restart) and next to another apiserver on the same
etcd (an HA pair), so every step is "make sure it exists": the Service is read first and
only created when absent; its ports are reset to this apiserver's port when they differ, as
kube's ``CreateOrUpdateMasterServiceIfNeeded`` does. A create that loses a race to another
apiserver (AlreadyExists, or its cluster IP already taken by the winner) reads again.
After start-up :func:`reconcile_forever` puts the namespaces and the Service back when
they are deleted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kubelite.api import errors
from kubelite.registry.catalog import Catalog
from kubelite.registry.strategy import Context

log = logging.getLogger(__name__)
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
SERVICE_NAME = "kubernetes"
RECONCILE_SECONDS = 10.0  # kube's bootstrap controller: the kubernetes Service every 10 s


async def _create(catalog: Catalog, plural: str, obj: dict[str, Any], ctx: Context) -> None:
    try:
        await catalog.get("", plural).create(obj, ctx)
        log.info("bootstrap created kind=%s name=%s", obj["kind"], obj["metadata"]["name"])
    except errors.StatusError as err:
        if err.reason != "AlreadyExists":
            raise


def master_service(cluster_ip: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": SERVICE_NAME, "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": cluster_ip, "ports": [
            {"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]},
    }


async def _existing_service(catalog: Catalog) -> dict[str, Any] | None:
    try:
        return await catalog.services.get("default", SERVICE_NAME)
    except errors.StatusError as err:
        if err.code == 404:
            return None
        raise


async def ensure_master_service(catalog: Catalog, ctx_factory: Any, port: int) -> None:
    """The ``kubernetes`` Service exists and points at ``port``; never a second copy."""
    want = master_service(catalog.services.ip_range.value(0), port)
    for _ in range(3):
        current = await _existing_service(catalog)
        if current is None:
            try:
                await catalog.services.create(want, ctx_factory("default"))
                log.info("bootstrap created kind=Service name=%s", SERVICE_NAME)
                return
            except errors.StatusError as err:
                # Another apiserver won the race: AlreadyExists, or it holds the IP already.
                if err.reason not in ("AlreadyExists", "Invalid"):
                    raise
                continue
        ports = (current.get("spec") or {}).get("ports") or []
        if [(p.get("port"), p.get("targetPort")) for p in ports] == [(443, port)]:
            return
        log.warning("bootstrap resetting the kubernetes service ports target=%s", port)

        def reset(cur: dict[str, Any] | None) -> dict[str, Any]:
            if cur is None:
                raise errors.not_found("services", "", SERVICE_NAME)
            cur["spec"]["ports"] = want["spec"]["ports"]
            return cur

        try:
            await catalog.services.patch("default", SERVICE_NAME, reset, ctx_factory("default"))
            return
        except errors.StatusError as err:
            if err.reason not in ("Conflict", "NotFound"):
                raise
    raise errors.internal("could not create or update the kubernetes service")


async def ensure_namespaces(catalog: Catalog, ctx_factory: Any) -> None:
    for name in SYSTEM_NAMESPACES:
        await _create(catalog, "namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": name}}, ctx_factory(""))


async def reconcile_forever(catalog: Catalog, ctx_factory: Any, port: int,
                            interval: float = RECONCILE_SECONDS) -> None:
    """Put back what users delete (``kubectl delete all --all`` takes the ``kubernetes``
    Service with it), every ``interval`` seconds as kube's bootstrap controller does;
    a failure (etcd away) waits for the next round."""
    while True:
        await asyncio.sleep(interval)
        try:
            await ensure_namespaces(catalog, ctx_factory)
            await ensure_master_service(catalog, ctx_factory, port)
        except errors.StatusError as err:
            log.warning("bootstrap reconcile failed reason=%s message=%s", err.reason,
                        err.message)


async def run(catalog: Catalog, ctx_factory: Any, port: int, advertise: str) -> None:
    await ensure_namespaces(catalog, ctx_factory)
    await catalog.services.repair()
    await ensure_master_service(catalog, ctx_factory, port)
    if advertise:
        endpoints = {
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": SERVICE_NAME, "namespace": "default"},
            "subsets": [{"addresses": [{"ip": advertise}],
                         "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}],
        }
        await catalog.get("", "endpoints").update("default", SERVICE_NAME, endpoints,
                                                  ctx_factory("default"))
