"""Containers and volumes, as ``describe`` prints them in pods and pod templates (kubectl's
``describeContainers``, ``describeVolumes``). Pure."""

from __future__ import annotations

from typing import Any

from kubelite.kubectl.describe.quantity import canonical
from kubelite.kubectl.describe.writer import NONE, PrefixWriter, rfc1123z

Obj = dict[str, Any]


def describe_containers(label: str, containers: list[Obj], statuses: list[Obj] | None,
                        env: Any, w: PrefixWriter, space: str) -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{' <none>' if not containers else ''}\n")
    for c in containers:
        status = by_name.get(c.get("name"))
        _basic_info(c, status, space, w)
        _command(c, w)
        if status is not None:
            _state("State", status.get("state") or {}, w)
            if (status.get("lastState") or {}).get("terminated"):
                _state("Last State", status["lastState"], w)
            w.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{status.get('restartCount', 0)}\n")
        describe_resources(c.get("resources"), w, 2)
        _probes(c, w)
        if c.get("envFrom"):
            _env_from(c, w)
        _env(c, env, w)
        _mounts(c, w)


def _basic_info(c: Obj, status: Obj | None, space: str, w: PrefixWriter) -> None:
    w.write(1, f"{' ' if space else ''}{c.get('name', '')}:\n")
    if status is not None:
        w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
    w.write(2, f"Image:\t{c.get('image', '')}\n")
    if status is not None:
        w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
    ports = c.get("ports") or []
    port_text = ", ".join(f"{p.get('containerPort', 0)}/{p.get('protocol', '')}" for p in ports)
    host_text = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', '')}" for p in ports)
    if "," in port_text:
        w.write(2, f"Ports:\t{port_text}\n")
    else:
        w.write(2, f"Port:\t{port_text or NONE}\n")
    if "," in host_text:
        w.write(2, f"Host Ports:\t{host_text}\n")
    else:
        w.write(2, f"Host Port:\t{host_text or NONE}\n")
    seccomp = ((c.get("securityContext") or {}).get("seccompProfile") or {})
    if seccomp:
        w.write(2, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(3, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")


def _command(c: Obj, w: PrefixWriter) -> None:
    for key, title in (("command", "Command"), ("args", "Args")):
        if c.get(key):
            w.write(2, f"{title}:\n")
            for item in c[key]:
                for part in str(item).split("\n"):
                    w.write(3, f"{part}\n")


def _state(name: str, state: Obj, w: PrefixWriter) -> None:
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{name}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        term = state["terminated"]
        w.write(2, f"{name}:\tTerminated\n")
        if term.get("reason"):
            w.write(3, f"Reason:\t{term['reason']}\n")
        if term.get("message"):
            w.write(3, f"Message:\t{term['message']}\n")
        w.write(3, f"Exit Code:\t{term.get('exitCode', 0)}\n")
        if int(term.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{term['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(term.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(term.get('finishedAt'))}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def describe_resources(resources: Obj | None, w: PrefixWriter, level: int) -> None:
    if not resources:
        return
    for key, title in (("limits", "Limits"), ("requests", "Requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{canonical(values[name])}\n")


def probe_text(probe: Obj) -> str:
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s "
             f"timeout={probe.get('timeoutSeconds', 0)}s period={probe.get('periodSeconds', 0)}s "
             f"#success={probe.get('successThreshold', 0)} "
             f"#failure={probe.get('failureThreshold', 0)}")
    if probe.get("exec") is not None:
        return f"exec [{' '.join(str(x) for x in probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        get = probe["httpGet"]
        host, port = str(get.get("host", "")), str(get.get("port", ""))
        hostport = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        scheme = str(get.get("scheme", "")).lower()
        return f"http-get {scheme}://{hostport}{get.get('path', '')} {attrs}"
    if probe.get("tcpSocket") is not None:
        sock = probe["tcpSocket"]
        return f"tcp-socket {sock.get('host', '')}:{sock.get('port', '')} {attrs}"
    if probe.get("grpc") is not None:
        grpc = probe["grpc"]
        return f"grpc <pod>:{grpc.get('port', 0)} {grpc.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _probes(c: Obj, w: PrefixWriter) -> None:
    for key, title in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"),
                       ("startupProbe", "Startup")):
        if c.get(key) is not None:
            w.write(2, f"{title}:\t{probe_text(c[key])}\n")


def _env_from(c: Obj, w: PrefixWriter) -> None:
    w.write(2, "Environment Variables from:\n")
    for e in c.get("envFrom") or []:
        ref, source = (e.get("configMapRef"), "ConfigMap") if e.get("configMapRef") else \
            (e.get("secretRef"), "Secret")
        ref = ref or {}
        optional = "true" if ref.get("optional") else "false"
        if e.get("prefix"):
            w.write(3, f"{ref.get('name', '')}\t{source} with prefix '{e['prefix']}'\t"
                       f"Optional: {optional}\n")
        else:
            w.write(3, f"{ref.get('name', '')}\t{source}\tOptional: {optional}\n")


def env_resolver(pod: Obj | None) -> Any:
    def resolve(path: str) -> str:
        if pod is None:
            return ""
        meta, spec, status = (pod.get("metadata") or {}, pod.get("spec") or {},
                              pod.get("status") or {})
        simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
                  "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
                  "spec.serviceAccountName": spec.get("serviceAccountName"),
                  "status.podIP": status.get("podIP"), "status.hostIP": status.get("hostIP")}
        if path in simple:
            return str(simple[path] or "")
        for field in ("labels", "annotations"):
            prefix = f"metadata.{field}['"
            if path.startswith(prefix) and path.endswith("']"):
                return str((meta.get(field) or {}).get(path[len(prefix):-2], ""))
        return ""
    return resolve


def _env(c: Obj, resolve: Any, w: PrefixWriter) -> None:
    env = c.get("env") or []
    w.write(2, f"Environment:{chr(9) + NONE if not env else ''}\n")
    for e in env:
        source = e.get("valueFrom")
        if source is None:
            for i, part in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{e.get('name', '')}:\t{part}\n" if i == 0 else f"\t{part}\n")
            continue
        name = e.get("name", "")
        if source.get("fieldRef") is not None:
            ref = source["fieldRef"]
            value = resolve(ref.get("fieldPath", "")) if resolve else ""
            w.write(3, f"{name}:\t{value} ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})\n")
        elif source.get("resourceFieldRef") is not None:
            ref = source["resourceFieldRef"]
            w.write(3, f"{name}:\t{_resource_field(c, ref)} ({ref.get('resource', '')})\n")
        elif source.get("secretKeyRef") is not None:
            ref = source["secretKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' in secret "
                       f"'{ref.get('name', '')}'>\tOptional: "
                       f"{'true' if ref.get('optional') else 'false'}\n")
        elif source.get("configMapKeyRef") is not None:
            ref = source["configMapKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' of config map "
                       f"'{ref.get('name', '')}'>\tOptional: "
                       f"{'true' if ref.get('optional') else 'false'}\n")


def _resource_field(c: Obj, ref: Obj) -> str:
    resource = str(ref.get("resource", ""))
    section, _, name = resource.partition(".")
    value = ((c.get("resources") or {}).get(section) or {}).get(name)
    if value is None:
        return "node allocatable" if resource in ("limits.cpu", "limits.memory") else "0"
    return canonical(value)


def _mounts(c: Obj, w: PrefixWriter) -> None:
    mounts = sorted(c.get("volumeMounts") or [], key=lambda m: str(m.get("mountPath", "")))
    w.write(2, f"Mounts:{chr(9) + NONE if not mounts else ''}\n")
    for m in mounts:
        flags = ["ro" if m.get("readOnly") else "rw"]
        if m.get("subPath"):
            flags.append(f'path="{m["subPath"]}"')
        w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")
    devices = sorted(c.get("volumeDevices") or [], key=lambda d: str(d.get("devicePath", "")))
    if devices:
        w.write(2, "Devices:\n")
        for d in devices:
            w.write(3, f"{d.get('devicePath', '')} from {d.get('name', '')}\n")


def describe_volumes(volumes: list[Obj] | None, w: PrefixWriter, space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v.get('name', '')}:\n")
        _volume_source(v, w)


def _volume_source(v: Obj, w: PrefixWriter) -> None:
    def optional(src: Obj) -> str:
        return "true" if src.get("optional") else "false"

    if v.get("hostPath") is not None:
        hp = v["hostPath"]
        w.write(2, "Type:\tHostPath (bare host directory volume)\n"
                   f"    Path:\t{hp.get('path', '')}\n"
                   f"    HostPathType:\t{hp.get('type', NONE) if 'type' in hp else NONE}\n")
    elif v.get("emptyDir") is not None:
        ed = v["emptyDir"]
        limit = canonical(ed["sizeLimit"]) if ed.get("sizeLimit") not in (None, "0", 0) \
            else "<unset>"
        w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                   f"    Medium:\t{ed.get('medium', '')}\n    SizeLimit:\t{limit}\n")
    elif v.get("secret") is not None:
        sec = v["secret"]
        w.write(2, "Type:\tSecret (a volume populated by a Secret)\n"
                   f"    SecretName:\t{sec.get('secretName', '')}\n"
                   f"    Optional:\t{optional(sec)}\n")
    elif v.get("configMap") is not None:
        cm = v["configMap"]
        w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                   f"    Name:\t{cm.get('name', '')}\n    Optional:\t{optional(cm)}\n")
    elif v.get("persistentVolumeClaim") is not None:
        pvc = v["persistentVolumeClaim"]
        w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in "
                   "the same namespace)\n"
                   f"    ClaimName:\t{pvc.get('claimName', '')}\n"
                   f"    ReadOnly:\t{'true' if pvc.get('readOnly') else 'false'}\n")
    elif v.get("nfs") is not None:
        nfs = v["nfs"]
        w.write(2, "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n"
                   f"    Server:\t{nfs.get('server', '')}\n    Path:\t{nfs.get('path', '')}\n"
                   f"    ReadOnly:\t{'true' if nfs.get('readOnly') else 'false'}\n")
    elif v.get("downwardAPI") is not None:
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n"
                   "    Items:\n")
        for item in v["downwardAPI"].get("items") or []:
            if item.get("fieldRef"):
                w.write(3, f"{item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}\n")
            if item.get("resourceFieldRef"):
                w.write(3, f"{item['resourceFieldRef'].get('resource', '')} -> "
                           f"{item.get('path', '')}\n")
    elif v.get("projected") is not None:
        _projected(v["projected"], w)
    else:
        w.write(1, "<unknown>\n")


def _go_ptr_bool(value: Any) -> str:
    if value is None:
        return "<nil>"
    return "true" if value else "false"


def _projected(projected: Obj, w: PrefixWriter) -> None:
    w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
    for source in projected.get("sources") or []:
        if source.get("secret") is not None:
            w.write(2, f"SecretName:\t{source['secret'].get('name', '')}\n"
                       f"    SecretOptionalName:\t{_go_ptr_bool(source['secret'].get('optional'))}\n")
        elif source.get("downwardAPI") is not None:
            w.write(2, "DownwardAPI:\ttrue\n")
        elif source.get("configMap") is not None:
            w.write(2, f"ConfigMapName:\t{source['configMap'].get('name', '')}\n"
                       "    ConfigMapOptional:\t"
                       f"{_go_ptr_bool(source['configMap'].get('optional'))}\n")
        elif source.get("serviceAccountToken") is not None:
            w.write(2, "TokenExpirationSeconds:\t"
                       f"{source['serviceAccountToken'].get('expirationSeconds', 0)}\n")
