"""``kubelite apply -f`` (client-side apply, or ``--server-side``) and ``kubelite create -f``.

Client-side apply, object by object, in file order, as kubectl does it:

1. *modified* = the manifest (namespace filled in) with its
   ``kubectl.kubernetes.io/last-applied-configuration`` annotation set to the manifest
   itself (compact JSON, keys sorted, ``"annotations":{}`` when there were none, a final
   newline);
2. GET the live object; if absent, POST the annotated manifest
   (``fieldManager=kubectl-client-side-apply``): ``created``;
3. else compute the three-way strategic merge patch (:mod:`kubelite.kubectl.smp`) from the
   live object's annotation, *modified* and the live object; ``{}`` means ``unchanged``
   (no request), else PATCH it: ``configured``. A 409 Conflict re-reads and retries (5 times).

Errors do not stop the other objects; they are printed at the end (one error as kubectl's
``CheckErr`` prints it, several one per line) and the exit code is 1.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kubelite.kubectl import builder, manifest, smp
from kubelite.kubectl import flags as fl
from kubelite.kubectl.cmd_get import strip_managed_fields
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import ApiError, CLIError, is_conflict, is_not_found, line_for, render
from kubelite.kubectl.printers import OutputFormat, kind_prefix, name_of, print_object
from kubelite.kubectl.yamlout import compact_json

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_PATCH_RETRY = 5

COMMON = [
    fl.Flag("filename", fl.Kind.STRINGS, short="f"),
    fl.Flag("recursive", fl.Kind.BOOL, short="R"),
    fl.Flag("output", short="o"),
    fl.Flag("dry-run", default="none", no_opt="unchanged"),
    fl.Flag("validate", default="strict", no_opt="strict"),
    fl.Flag("selector", short="l"),
    fl.Flag("record", fl.Kind.BOOL),
    fl.Flag("show-managed-fields", fl.Kind.BOOL),
]
APPLY_FLAGS = COMMON + [
    fl.Flag("server-side", fl.Kind.BOOL),
    fl.Flag("force-conflicts", fl.Kind.BOOL),
    fl.Flag("field-manager", default=""),
    # known to kubectl users but not implemented: refused with a clear message
    fl.Flag("overwrite", fl.Kind.BOOL, default=True),
    fl.Flag("force", fl.Kind.BOOL),
    fl.Flag("prune", fl.Kind.BOOL),
    fl.Flag("kustomize", short="k"),
]
CREATE_FLAGS = COMMON + [
    fl.Flag("save-config", fl.Kind.BOOL),
    fl.Flag("field-manager", default="kubectl-create"),
]
UNSUPPORTED = {"prune": "--prune", "force": "--force", "kustomize": "-k (kustomize)"}
FLAGS_BY_COMMAND = {"apply": APPLY_FLAGS, "create": CREATE_FLAGS}
FLAGS = APPLY_FLAGS


def encode(obj: Obj) -> str:
    """What ``runtime.Encode`` of an unstructured object produces: sorted compact JSON + \\n."""
    return compact_json(obj) + "\n"


def _annotations(obj: Obj) -> dict[str, str]:
    meta = obj.setdefault("metadata", {})
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
    return dict(annotations)


def modified_configuration(obj: Obj, annotate: bool) -> str:
    """kubectl's ``GetModifiedConfiguration``: the object without its last-applied annotation
    (``annotations`` left as ``{}``), and, if ``annotate``, with it set to that text."""
    work = copy.deepcopy(obj)
    annotations = _annotations(work)
    annotations.pop(LAST_APPLIED, None)
    work["metadata"]["annotations"] = annotations
    modified = encode(work)
    if annotate:
        work["metadata"]["annotations"] = {**annotations, LAST_APPLIED: modified}
        modified = encode(work)
    return modified


def with_apply_annotation(obj: Obj) -> Obj:
    """kubectl's ``CreateApplyAnnotation``: the object carrying its own configuration."""
    work = copy.deepcopy(obj)
    annotations = _annotations(work)
    annotations[LAST_APPLIED] = modified_configuration(work, annotate=False)
    work["metadata"]["annotations"] = annotations
    return work


def prune_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_nulls(v) for v in value]
    return value


def _validation(ctx: Context) -> str:
    value = str(ctx.flag("validate")).lower()
    table = {"strict": "Strict", "true": "Strict", "warn": "Warn", "ignore": "Ignore",
             "false": "Ignore"}
    if value not in table:
        raise CLIError(f'invalid - validate option "{ctx.flag("validate")}"; must be one of: '
                       "strict (or true), warn, ignore (or false)")
    return table[value]


def _dry_run(ctx: Context) -> str:
    value = ctx.flag("dry-run")
    if value in ("none", "client", "server"):
        return str(value)
    if value in ("true", "false"):
        return "client" if value == "true" else "none"
    raise CLIError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".')


def _suffix(dry_run: str) -> str:
    return {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")


def _info_text(target: builder.Target) -> str:
    res = target.resource
    gv = f"{res.group}/{res.version}"
    return (f'Resource: "{gv}, Resource={res.plural}", GroupVersionKind: "{gv}, Kind={res.kind}"'
            f'\nName: "{target.name or ""}", Namespace: "{target.namespace}"')


def _with_source(err: BaseException, verb: str, source: str) -> BaseException:
    if isinstance(err, ApiError):
        return err.with_source(verb, source)
    if isinstance(err, CLIError) and source:
        return CLIError(f'error when {verb} "{source}": {err.message}')
    return err


class Applier:
    def __init__(self, ctx: Context, command: str):
        self.ctx = ctx
        self.command = command
        self.fmt = OutputFormat.parse(ctx.flag("output"))
        self.dry_run = _dry_run(ctx)
        self.validation = _validation(ctx)
        self.printed: list[Obj] = []

    def query(self, manager: str) -> dict[str, str]:
        q = {"fieldManager": manager, "fieldValidation": self.validation}
        if self.dry_run == "server":
            q["dryRun"] = "All"
        return q

    def report(self, target: builder.Target, obj: Obj, operation: str) -> None:
        if self.fmt.kind:
            self.printed.append(obj)
            return
        self.ctx.out(f"{target.display()} {operation}{_suffix(self.dry_run)}\n")

    def finish(self) -> None:
        if not self.fmt.kind or not self.printed:
            return
        if not self.ctx.flag("show-managed-fields") and self.fmt.kind in ("yaml", "json"):
            for obj in self.printed:
                strip_managed_fields(obj)
        if self.fmt.kind == "name":
            for obj in self.printed:
                self.ctx.out(name_of(kind_prefix(obj), obj) + "\n")
        elif len(self.printed) == 1:
            print_object(self.fmt, self.printed[0], self.ctx.out)
        else:
            print_object(self.fmt, {"apiVersion": "v1", "items": self.printed, "kind": "List",
                                    "metadata": {}}, self.ctx.out)

    # -- create -----------------------------------------------------------------------

    def create(self, target: builder.Target, obj: Obj, manager: str) -> Obj:
        if self.dry_run == "client":
            return obj
        path = target.resource.path(target.namespace or None)
        created: Obj = self.ctx.client.request("POST", path, self.query(manager), obj).json()
        return created

    def create_one(self, target: builder.Target) -> None:
        assert target.obj is not None
        obj = target.obj
        if self.ctx.flag("save-config"):
            obj = with_apply_annotation(obj)
        try:
            created = self.create(target, obj, self.ctx.flag("field-manager"))
        except ApiError as err:
            raise err.with_source("creating", target.source) from None
        self.ctx.flush_warnings()
        self.report(target, created, "created")

    # -- client-side apply ------------------------------------------------------------

    def apply_one(self, target: builder.Target) -> None:
        assert target.obj is not None
        meta = target.obj.get("metadata") or {}
        if not target.name:
            if meta.get("generateName"):
                raise CLIError(f"from {meta['generateName']}: cannot use generate name with "
                               "apply")
            # client-go refuses to GET an object without a name before sending anything
            raise CLIError(f"error when retrieving current configuration of:\n"
                           f"{_info_text(target)}\nfrom server for: \"{target.source}\": "
                           "resource name may not be empty")
        if self.ctx.flag("server-side"):
            self.server_side(target)
            return
        modified = modified_configuration(target.obj, annotate=True)
        try:
            current = self.get(target)
        except ApiError as err:
            if not is_not_found(err):
                raise err.with_source("retrieving current configuration of:\n"
                                      f"{_info_text(target)}\nfrom server for:",
                                      target.source) from None
            obj = prune_nulls(with_apply_annotation(target.obj))
            try:
                created = self.create(target, obj, "kubectl-client-side-apply")
            except ApiError as cerr:
                raise cerr.with_source("creating", target.source) from None
            self.ctx.flush_warnings()
            self.report(target, created, "created")
            return
        if self.dry_run == "client":
            self.report(target, current, "configured")
            return
        if LAST_APPLIED not in ((current.get("metadata") or {}).get("annotations") or {}):
            self.ctx.err(f"Warning: resource {target.resource.qualified_plural}/{target.name} "
                         f"is missing the {LAST_APPLIED} annotation which is required by "
                         f"kubelite apply. kubelite apply should only be used on resources "
                         "created declaratively by either kubelite create --save-config or "
                         "kubelite apply. The missing annotation will be patched "
                         "automatically.\n")
        patch, result = self.patch(target, json.loads(modified), current)
        self.ctx.flush_warnings()
        self.report(target, result, "unchanged" if patch == {} else "configured")

    def get(self, target: builder.Target) -> Obj:
        obj: Obj = self.ctx.client.get(target.path)
        return obj

    def patch(self, target: builder.Target, modified: Obj, current: Obj) -> tuple[Obj, Obj]:
        type_name = smp.type_for(target.resource.api_version, target.resource.kind)
        for attempt in range(MAX_PATCH_RETRY + 1):
            annotations = (current.get("metadata") or {}).get("annotations") or {}
            original_text = annotations.get(LAST_APPLIED)
            original = json.loads(original_text) if original_text else None
            try:
                patch = smp.three_way(original, modified, current, type_name)
            except (smp.PatchError, ValueError) as exc:
                raise CLIError(f"creating patch with:\noriginal:\n{original_text}\nmodified:\n"
                               f"{encode(modified)}current:\n{encode(current)}for: "
                               f'"{target.source}": {exc}') from None
            if patch == {}:
                return patch, current
            body = compact_json(patch).encode()
            try:
                result: Obj = self.ctx.client.request(
                    "PATCH", target.path, self.query("kubectl-client-side-apply"), body,
                    content_type="application/strategic-merge-patch+json").json()
                return patch, result
            except ApiError as err:
                if is_conflict(err) and attempt < MAX_PATCH_RETRY:
                    current = self.get(target)
                    continue
                err = err.with_source("patching", target.source)
                raise err.with_source(f"applying patch:\n{body.decode()}\nto:\n"
                                      f"{_info_text(target)}\nfor:", target.source) from None
        raise AssertionError("unreachable")

    # -- server-side apply ------------------------------------------------------------

    def server_side(self, target: builder.Target) -> None:
        assert target.obj is not None
        query = self.query(self.ctx.flag("field-manager") or "kubectl")
        query["force"] = "true" if self.ctx.flag("force-conflicts") else "false"
        body = compact_json(target.obj).encode()
        try:
            result: Obj = self.ctx.client.request(
                "PATCH", target.path, query, body,
                content_type="application/apply-patch+yaml").json()
        except ApiError as err:
            if is_conflict(err):
                raise CLIError(_SSA_CONFLICT.format(err=render(err)), raw=True) from None
            raise
        self.ctx.flush_warnings()
        self.report(target, result, "serverside-applied")


_SSA_CONFLICT = """{err}
Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts"""


def _filter_by_selector(ctx: Context, targets: list[builder.Target]) -> list[builder.Target]:
    text = ctx.flag("selector")
    if not text:
        return targets
    from kubelite.api import labels

    try:
        selector = labels.parse(text)
    except labels.SelectorError as exc:
        raise CLIError(str(exc)) from None
    return [t for t in targets
            if selector.matches(((t.obj or {}).get("metadata") or {}).get("labels") or {})]


def run_files(ctx: Context, command: str) -> int:
    if not ctx.flag("filename") and not (command == "apply" and ctx.flag("kustomize")):
        raise CLIError("must specify one of -f and -k")
    if command == "apply":
        for name, shown in UNSUPPORTED.items():
            if ctx.flag(name):
                raise CLIError(f"{shown} is not supported by kubelite apply")
        if not ctx.flag("overwrite"):
            raise CLIError("--overwrite=false is not supported by kubelite apply")
    applier = Applier(ctx, command)
    docs, read_errors = manifest.read(ctx.flag("filename"), ctx.flag("recursive"), ctx.stdin)
    targets, map_errors = builder.targets_from_documents(ctx.mapper, docs, ctx.namespace,
                                                         ctx.namespace_explicit)
    targets = _filter_by_selector(ctx, targets)
    errors: list[BaseException] = [*read_errors, *map_errors]
    for target in targets:
        try:
            if command == "apply":
                applier.apply_one(target)
            else:
                applier.create_one(target)
        except (ApiError, CLIError) as err:
            ctx.flush_warnings()
            errors.append(err)
    applier.finish()
    if not errors:
        if not targets:
            raise CLIError("no objects passed to " + command)
        return 0
    if len(errors) == 1:
        ctx.err(render(errors[0]) + "\n")
    else:
        for each in errors:
            ctx.err(line_for(each) + "\n")
    return 1


def run(ctx: Context) -> int:
    return run_files(ctx, "apply")


def run_create(ctx: Context) -> int:
    return run_files(ctx, "create")


RUN_BY_COMMAND = {"apply": run, "create": run_create}
