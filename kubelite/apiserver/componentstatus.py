"""``componentstatuses`` (``kubectl get cs``): live health of etcd, scheduler, controller
manager, computed on each request as kube-apiserver does (the kind is deprecated since
1.19; the server says so in a ``Warning`` header, as the real one does).

Probes: each ``--etcd-servers`` endpoint's ``/health`` (``etcd-0``, ``etcd-1``, ...), and the
classic insecure health ports of the tutorial's era, ``http://127.0.0.1:10251/healthz``
(scheduler) and ``:10252`` (controller-manager), which kubelite's components serve.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from kubelite.api import errors

Obj = dict[str, Any]
DEPRECATION = "v1 ComponentStatus is deprecated in v1.19+"
PROBE_TIMEOUT = 2.0
COMPONENTS = (("scheduler", "http://127.0.0.1:10251/healthz"),
              ("controller-manager", "http://127.0.0.1:10252/healthz"))


def component(name: str, healthy: bool, message: str, error: str = "") -> Obj:
    cond: Obj = {"type": "Healthy", "status": "True" if healthy else "False"}
    if message:
        cond["message"] = message
    if error:
        cond["error"] = error
    return {"kind": "ComponentStatus", "apiVersion": "v1",
            "metadata": {"name": name}, "conditions": [cond]}


async def _probe(session: aiohttp.ClientSession, name: str, url: str, etcd: bool) -> Obj:
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)) as resp:
            body = (await resp.text()).strip()
            if resp.status != 200:
                return component(name, False, "", f"Get \"{url}\": HTTP {resp.status}")
            if etcd:
                ok = '"health":"true"' in body.replace(" ", "") or body == "ok"
                return component(name, ok, body if ok else "", "" if ok else body)
            return component(name, body == "ok", body, "" if body == "ok" else body)
    except aiohttp.ClientConnectorError as exc:
        why = exc.os_error.strerror or str(exc.os_error)
        if "refused" in why.lower() or "failed" in why.lower():
            why = "connection refused"
        return component(name, False, "", f'Get "{url}": dial tcp {exc.host}:{exc.port}: '
                                          f"connect: {why}")
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return component(name, False, "", f'Get "{url}": {exc or type(exc).__name__}')


async def statuses(etcd_servers: tuple[str, ...]) -> list[Obj]:
    targets = [(name, url, False) for name, url in COMPONENTS]
    targets += [(f"etcd-{i}", f"{url.rstrip('/')}/health", True)
                for i, url in enumerate(etcd_servers)]
    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(*(_probe(session, n, u, e) for n, u, e in targets))
    return sorted(results, key=lambda c: c["metadata"]["name"])


async def status(etcd_servers: tuple[str, ...], name: str) -> Obj:
    for item in await statuses(etcd_servers):
        if item["metadata"]["name"] == name:
            return item
    raise errors.not_found("componentstatuses", "", name)
