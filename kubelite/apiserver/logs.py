"""``pods/<name>/log``: proxied to the kubelet of the pod's node, as kube-apiserver does.

The kubelet is reached at the node's ``InternalIP`` (else its first address) and
``status.daemonEndpoints.kubeletEndpoint.Port`` (default 10250), path
``/containerLogs/<namespace>/<pod>/<container>`` with the same query parameters, over plain
HTTP unless ``--kubelet-https`` is given (kubelite's kubelet serves HTTP). A pod that is
not bound to a node has no logs yet: the answer is empty, as kube's. A container that has
not started is a 400 saying so.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from kubelite.api import errors
from kubelite.apiserver.state import ApiServer

Obj = dict[str, Any]
PASSED = ("follow", "tailLines", "timestamps", "sinceSeconds", "sinceTime", "previous",
          "limitBytes", "insecureSkipTLSVerifyBackend")


def choose_container(pod: Obj, requested: str) -> str:
    name = pod["metadata"]["name"]
    containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    init = [c.get("name", "") for c in (pod.get("spec") or {}).get("initContainers") or []]
    if requested:
        if requested not in containers + init:
            raise errors.bad_request(
                f"container {requested} is not valid for pod {name}")
        return str(requested)
    if len(containers) == 1:
        return str(containers[0])
    raise errors.bad_request(
        f"a container name must be specified for pod {name}, choose one of: {containers}")


def waiting_reason(pod: Obj, container: str) -> str | None:
    status = pod.get("status") or {}
    for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            state = cs.get("state") or {}
            if "waiting" in state and not cs.get("lastState", {}).get("terminated"):
                return str((state.get("waiting") or {}).get("reason") or "ContainerCreating")
    return None


async def _kubelet_address(server: ApiServer, node_name: str) -> tuple[str, int]:
    node = await server.catalog.get("", "nodes").get(None, node_name)
    status = node.get("status") or {}
    addresses = status.get("addresses") or []
    host = next((a.get("address") for a in addresses if a.get("type") == "InternalIP"), None)
    host = host or next((a.get("address") for a in addresses), None) or node_name
    port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port") or 10250
    return str(host), int(port)


async def serve(request: web.Request, server: ApiServer, pod: Obj) -> web.StreamResponse:
    container = choose_container(pod, request.query.get("container", ""))
    name, namespace = pod["metadata"]["name"], pod["metadata"]["namespace"]
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        return web.Response(body=b"", content_type="text/plain")
    reason = waiting_reason(pod, container)
    if reason is not None:
        raise errors.bad_request(
            f'container "{container}" in pod "{name}" is waiting to start: {reason}')
    host, port = await _kubelet_address(server, node)
    url = (f"{server.kubelet_scheme}://{host}:{port}/containerLogs/{namespace}/{name}/"
           f"{container}")
    params = {k: v for k, v in request.query.items() if k in PASSED}
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(url, params=params, ssl=False) as upstream:
            if upstream.status != 200:
                text = (await upstream.text())[:500]
                raise errors.StatusError("InternalError", f"Get \"{url}\": {upstream.status} {text}",
                                         code=500)
            resp = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            async for chunk in upstream.content.iter_any():
                await resp.write(chunk)
            await resp.write_eof()
            return resp
    except aiohttp.ClientError as exc:
        raise errors.StatusError("InternalError", f'Get "{url}": {exc}', code=500) from exc
