"""``kubelite logs POD|TYPE/NAME [CONTAINER]``: a container's log, optionally followed.

As kubectl does it: the pod is read first to choose the container (``-c``, else the
``kubectl.kubernetes.io/default-container`` annotation, else the first container, saying
``Defaulted container "a" out of: a, b`` on stderr when there was a choice); ``deploy/web``,
``rs/x``, ``rc/x`` or ``svc/x`` pick one pod of their selector, the most active, waiting up to
``--pod-running-timeout`` for one to exist; ``-l`` shows the last 10 lines of every matching
pod. The log endpoint's answer is copied to stdout as it arrives (``-f`` streams until the
server ends it).
"""

from __future__ import annotations

import codecs
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubelite.api import labels as label_sel
from kubelite.kubectl import flags as fl
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import ApiError, CLIError, UsageError, is_not_found

Obj = dict[str, Any]
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
SELECTOR_TAIL = 10

FLAGS = [
    fl.Flag("container", short="c"),
    fl.Flag("follow", fl.Kind.BOOL, short="f"),
    fl.Flag("tail", fl.Kind.INT, default=-1),
    fl.Flag("timestamps", fl.Kind.BOOL),
    fl.Flag("since", fl.Kind.DURATION, default="0s"),
    fl.Flag("since-time"),
    fl.Flag("previous", fl.Kind.BOOL, short="p"),
    fl.Flag("limit-bytes", fl.Kind.INT, default=0),
    fl.Flag("all-containers", fl.Kind.BOOL),
    fl.Flag("all-pods", fl.Kind.BOOL),
    fl.Flag("selector", short="l"),
    fl.Flag("prefix", fl.Kind.BOOL),
    fl.Flag("ignore-errors", fl.Kind.BOOL),
    fl.Flag("max-log-requests", fl.Kind.INT, default=5),
    fl.Flag("pod-running-timeout", fl.Kind.DURATION, default="20s"),
    fl.Flag("insecure-skip-tls-verify-backend", fl.Kind.BOOL),
]

USAGE = ("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
         "POD or TYPE/NAME is a required argument for the logs command\n"
         "See 'kubelite logs -h' for help and examples")


def _container_names(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    names = [f"{c.get('name')} (init)" for c in spec.get("initContainers") or []]
    names += [str(c.get("name")) for c in spec.get("containers") or []]
    names += [f"{c.get('name')} (ephem)" for c in spec.get("ephemeralContainers") or []]
    return ", ".join(names)


def _has_container(pod: Obj, name: str) -> bool:
    spec = pod.get("spec") or {}
    return any(c.get("name") == name for key in ("initContainers", "containers",
                                                  "ephemeralContainers")
               for c in spec.get(key) or [])


def choose_container(ctx: Context, pod: Obj, wanted: str) -> str:
    """The container whose log is shown (kubectl's rules and messages)."""
    spec = pod.get("spec") or {}
    name = str((pod.get("metadata") or {}).get("name", ""))
    container = wanted
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    if not container and annotations.get(DEFAULT_CONTAINER):
        default = annotations[DEFAULT_CONTAINER]
        if _has_container(pod, default):
            container = default
        else:
            ctx.err(f'Default container name "{default}" not found in pod {name}\n')
    if not container:
        containers = spec.get("containers") or [{}]
        container = str(containers[0].get("name", ""))
        if (len(spec.get("containers") or []) > 1 or spec.get("initContainers")
                or spec.get("ephemeralContainers")):
            ctx.err(f'Defaulted container "{container}" out of: {_container_names(pod)}\n')
    if not _has_container(pod, container):
        raise CLIError(f"container {container} is not valid for pod {name}")
    return container


def _log_query(ctx: Context, container: str, selector_default_tail: bool) -> dict[str, str]:
    q = {"container": container}
    if ctx.flag("follow"):
        q["follow"] = "true"
    if ctx.flag("previous"):
        q["previous"] = "true"
    if ctx.flag("timestamps"):
        q["timestamps"] = "true"
    tail = int(ctx.flag("tail"))
    if ctx.parsed.changed("tail") and tail >= 0:
        q["tailLines"] = str(tail)
    elif selector_default_tail and not ctx.parsed.changed("tail"):
        q["tailLines"] = str(SELECTOR_TAIL)
    since = fl.parse_duration(ctx.flag("since")) or 0
    if since:
        q["sinceSeconds"] = str(max(1, int(since + 0.999)))
    if ctx.flag("since-time"):
        q["sinceTime"] = ctx.flag("since-time")
    if int(ctx.flag("limit-bytes")) > 0:
        q["limitBytes"] = str(ctx.flag("limit-bytes"))
    if ctx.flag("insecure-skip-tls-verify-backend"):
        q["insecureSkipTLSVerifyBackend"] = "true"
    return q


def _selector_of(obj: Obj) -> str:
    kind = obj.get("kind", "")
    spec = obj.get("spec") or {}
    if kind in ("Service", "ReplicationController"):
        sel = spec.get("selector") or {}
        if not sel:
            raise CLIError(f"invalid {kind.lower()} '{(obj.get('metadata') or {}).get('name')}':"
                           " Service is defined without a selector")
        return str(label_sel.from_map(sel))
    if "selector" in spec:
        return str(label_sel.from_label_selector(spec.get("selector")))
    raise CLIError(f"cannot get the logs from {kind}")


def _activity(pod: Obj) -> tuple[int, int, int, str]:
    """Sort key, most active first: bound, running, ready, then oldest."""
    status = pod.get("status") or {}
    phase = {"Running": 2, "Unknown": 1}.get(status.get("phase", ""), 0)
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in status.get("conditions") or [])
    created = str((pod.get("metadata") or {}).get("creationTimestamp") or "")
    return (-int(bool((pod.get("spec") or {}).get("nodeName"))), -phase, -int(ready), created)


def first_pod(ctx: Context, namespace: str, selector: str, timeout: float) -> Obj:
    """The most active pod matching ``selector``, waiting up to ``timeout`` for one."""
    path = f"/api/v1/namespaces/{namespace}/pods"
    deadline = time.monotonic() + timeout
    while True:
        listing = ctx.client.get(path, {"labelSelector": selector})
        pods = sorted(listing.get("items") or [], key=_activity)
        if pods:
            pod: Obj = pods[0]
            pod.setdefault("kind", "Pod")
            return pod
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CLIError("timed out waiting for the condition")
        query = {"labelSelector": selector, "watch": "true",
                 "resourceVersion": str((listing.get("metadata") or {}).get("resourceVersion")),
                 "timeoutSeconds": str(max(1, int(remaining)))}
        for line in ctx.client.stream(path, query, timeout=remaining + 5):
            if line.strip() and json.loads(line).get("type") == "ADDED":
                break


def _pods_for(ctx: Context) -> tuple[list[Obj], bool]:
    """The pods to read and whether they came from a label selector."""
    ns = ctx.namespace
    if ctx.flag("selector"):
        listing = ctx.client.get(f"/api/v1/namespaces/{ns}/pods",
                                 {"labelSelector": ctx.flag("selector")})
        items = listing.get("items") or []
        if not items:
            ctx.err(f"No resources found in {ns} namespace.\n")
        return items, True
    arg = ctx.args[0]
    kind, slash, name = arg.partition("/")
    if not slash:
        kind, name = "pods", arg
    res = ctx.mapper.resource_for(kind)
    try:
        obj: Obj = ctx.client.get(res.path(ns, name))
    except ApiError as err:
        if is_not_found(err):
            raise CLIError(f'error from server (NotFound): {err.message} in namespace "{ns}"',
                           ) from None
        raise
    obj.setdefault("kind", res.kind)
    if res.kind == "Pod" and res.group == "":
        return [obj], False
    timeout = fl.parse_duration(ctx.flag("pod-running-timeout")) or 20.0
    return [first_pod(ctx, ns, _selector_of(obj), timeout)], False


class _Output:
    """Writes log text to stdout; with a prefix, whole lines only (several streams may share
    stdout, each from its own thread when following)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.lock = threading.Lock()

    def stream(self, pod: Obj, container: str, query: dict[str, str], label: str) -> None:
        meta = pod.get("metadata") or {}
        path = f"/api/v1/namespaces/{meta.get('namespace')}/pods/{meta.get('name')}/log"
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        for chunk in self.ctx.client.stream(path, query, accept="*/*", lines=False):
            pending += decoder.decode(chunk)
            if not label and not self.concurrent:
                self.write(pending)
                pending = ""
                continue
            *lines, pending = pending.split("\n")
            if lines:
                self.write("".join(f"{label}{line}\n" for line in lines))
        pending += decoder.decode(b"", final=True)
        if pending:
            self.write(f"{label}{pending}" + ("\n" if label else ""))

    concurrent = False

    def write(self, text: str) -> None:
        with self.lock:
            self.ctx.stdout.write(text)
            self.ctx.stdout.flush()


def _requests(ctx: Context, pods: list[Obj], wanted: str) -> list[tuple[Obj, str]]:
    out: list[tuple[Obj, str]] = []
    for pod in pods:
        if ctx.flag("all-containers"):
            spec = pod.get("spec") or {}
            out += [(pod, c.get("name", "")) for key in ("initContainers", "containers",
                                                         "ephemeralContainers")
                    for c in spec.get(key) or []]
        else:
            out.append((pod, choose_container(ctx, pod, wanted)))
    return out


def _follow_all(ctx: Context, output: _Output, jobs: list[tuple[Obj, str, dict[str, str], str]]
                ) -> None:
    """Follow several streams at once, as kubectl does (one worker per stream)."""
    limit = int(ctx.flag("max-log-requests"))
    if len(jobs) > limit:
        raise CLIError(f"you are attempting to follow {len(jobs)} log streams, but maximum "
                       f"allowed concurrency is {limit}, use --max-log-requests to increase "
                       "the limit")
    output.concurrent = True
    failures: list[BaseException] = []

    def work(pod: Obj, container: str, query: dict[str, str], label: str) -> None:
        try:
            output.stream(pod, container, query, label)
        except (ApiError, CLIError, OSError) as exc:
            if ctx.flag("ignore-errors"):
                output.write(f"error: {exc}\n")
            else:
                failures.append(exc)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for job in jobs:
            pool.submit(work, *job)
    if failures:
        raise failures[0]


def run(ctx: Context) -> int:
    args = ctx.args
    if not args and not ctx.flag("selector") or len(args) > 2:
        raise UsageError(USAGE)
    if len(args) == 1 and ctx.flag("selector"):
        raise UsageError("only a selector (-l) or a POD name is allowed\n"
                         "See 'kubelite logs -h' for help and examples")
    wanted = ctx.flag("container") or (args[1] if len(args) == 2 else "")
    pods, from_selector = _pods_for(ctx)
    prefix = bool(ctx.flag("prefix") or ctx.flag("all-pods"))
    output = _Output(ctx)
    jobs = []
    for pod, container in _requests(ctx, pods, wanted):
        name = (pod.get("metadata") or {}).get("name")
        label = f"[pod/{name}/{container}] " if prefix else ""
        jobs.append((pod, container, _log_query(ctx, container, from_selector), label))
    if ctx.flag("follow") and len(jobs) > 1:
        _follow_all(ctx, output, jobs)
        return 0
    for job in jobs:
        try:
            output.stream(*job)
        except ApiError as err:
            if not ctx.flag("ignore-errors"):
                raise
            ctx.out(f"error: {err.message}\n")
    return 0
