"""``pods/<name>/exec`` and ``attach``: a WebSocket relay to the kubelet of the pod's node.

kubectl 1.32 and the Python client speak the WebSocket channel protocol
(``v5.channel.k8s.io``, or v4): binary frames whose first byte is the channel (0 stdin,
1 stdout, 2 stderr, 3 status, 4 resize, 255 close). The real apiserver forwards the upgraded
connection to the kubelet; kubelite does the same, frame by frame, to
``ws://<node InternalIP>:<kubelet port>/exec/<namespace>/<pod>/<container>?<the same query>``
(``/attach/...`` for attach) offering the client's subprotocols, and accepts the client with
the subprotocol the kubelet chose. A kubelet that is missing or refuses is reported before
the upgrade as a Status (kubectl prints it), as kube does for a pod with no node.
SPDY (kubectl's fallback when the WebSocket upgrade fails) is not spoken.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

from kubelite.api import errors
from kubelite.apiserver.logs import _kubelet_address, choose_container
from kubelite.apiserver.state import ApiServer

Obj = dict[str, Any]
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io",
             "v2.channel.k8s.io", "channel.k8s.io")


def _check_pod(pod: Obj, container: str) -> None:
    name = pod["metadata"]["name"]
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise errors.bad_request(
            f"cannot exec into a container in a completed pod; current phase is {phase}")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise errors.bad_request(f"pod {name} does not have a host assigned")


async def _pipe_to_kubelet(client: web.WebSocketResponse,
                           kubelet: aiohttp.ClientWebSocketResponse) -> None:
    async for msg in client:
        if msg.type is WSMsgType.BINARY:
            await kubelet.send_bytes(msg.data)
        elif msg.type is WSMsgType.TEXT:
            await kubelet.send_str(msg.data)
        else:
            break
    await kubelet.close()


async def _pipe_to_client(kubelet: aiohttp.ClientWebSocketResponse,
                          client: web.WebSocketResponse) -> None:
    async for msg in kubelet:
        if msg.type is WSMsgType.BINARY:
            await client.send_bytes(msg.data)
        elif msg.type is WSMsgType.TEXT:
            await client.send_str(msg.data)
        else:
            break
    await client.close()


async def serve(request: web.Request, server: ApiServer, pod: Obj, action: str) -> web.StreamResponse:
    container = choose_container(pod, request.query.get("container", ""))
    _check_pod(pod, container)
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise errors.bad_request(
            "kubelite speaks the WebSocket channel protocol (v5.channel.k8s.io) for "
            f"{action}, not SPDY")
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
               if p.strip()] or list(PROTOCOLS)
    host, port = await _kubelet_address(server, pod["spec"]["nodeName"])
    scheme = "wss" if server.kubelet_scheme == "https" else "ws"
    m = pod["metadata"]
    url = f"{scheme}://{host}:{port}/{action}/{m['namespace']}/{m['name']}/{container}"
    session = aiohttp.ClientSession()
    try:
        try:
            kubelet = await session.ws_connect(url, params=list(request.query.items()),
                                               protocols=offered, ssl=False, autoping=True)
        except (aiohttp.ClientError, OSError) as exc:
            raise errors.StatusError("InternalError", f"error dialing backend: {exc}",
                                     code=500) from exc
        client = web.WebSocketResponse(protocols=[kubelet.protocol] if kubelet.protocol else ())
        await client.prepare(request)
        tasks = [asyncio.create_task(_pipe_to_kubelet(client, kubelet)),
                 asyncio.create_task(_pipe_to_client(kubelet, client))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
                    await task
            await kubelet.close()
            await client.close()
        return client
    finally:
        await session.close()
