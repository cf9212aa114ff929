"""Services: cluster IP and node port allocation around the generic store.

A create or update first works out which cluster IP and node ports the result needs,
reserves them with compare-and-swap on the range objects, then writes the service; when the
write fails the reservations are released, and after any write the addresses the old object
held but the new one does not are released. A crash between the two steps can leak an
address (never hand one out twice); :meth:`ServiceStore.repair` at start marks every address
that stored services use.
"""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.api import errors
from kubelite.api.validation import FieldError, Path, to_causes
from kubelite.api.validation import kinds as validate
from kubelite.registry.allocator import (
    AlreadyAllocated,
    Bitmap,
    IPRange,
    NotInRange,
    PortRange,
    RangeFull,
)
from kubelite.registry.generic import DeleteOptions, Store
from kubelite.registry.strategy import Context, Strategy
from kubelite.storage.etcd2 import EtcdStorage

Obj = dict[str, Any]
log = logging.getLogger(__name__)
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


class ServiceStrategy(Strategy):
    has_status = True

    def initial_status(self, obj: Obj) -> Obj:
        return {"loadBalancer": {}}

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.service(obj)

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validate.service_update(new, old)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        super().prepare_for_update(new, old, ctx)
        keep_allocated(new, old)

    def fields(self, obj: Obj) -> dict[str, str]:
        out = super().fields(obj)
        spec = obj.get("spec") or {}
        out["spec.clusterIP"] = spec.get("clusterIP", "")
        out["spec.type"] = spec.get("type", "")
        return out


def keep_allocated(new: Obj, old: Obj) -> None:
    """An update that omits allocated values keeps them (kube's PatchAllocatedValues); one
    that leaves NodePort/LoadBalancer drops the node ports it still carries from before
    (kube's dropTypeDependentFields), so they are released."""
    ns, os_ = new.setdefault("spec", {}), old.get("spec") or {}
    if os_.get("type") in NODE_PORT_TYPES and ns.get("type") not in NODE_PORT_TYPES:
        old_node_ports = {p.get("nodePort") for p in os_.get("ports") or []}
        for p in ns.get("ports") or []:
            if p.get("nodePort") in old_node_ports:
                del p["nodePort"]
    if ns.get("type") != "ExternalName" and not ns.get("clusterIP") and os_.get("clusterIP"):
        ns["clusterIP"] = os_["clusterIP"]
        ns["clusterIPs"] = list(os_.get("clusterIPs") or [os_["clusterIP"]])
    if ns.get("type") in NODE_PORT_TYPES:
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                     for p in os_.get("ports") or []}
        for p in ns.get("ports") or []:
            if not p.get("nodePort"):
                previous = old_ports.get((p.get("port"), p.get("protocol", "TCP")))
                if previous:
                    p["nodePort"] = previous


def held(obj: Obj | None) -> tuple[set[str], set[int]]:
    """Cluster IPs and node ports an object holds."""
    if not obj:
        return set(), set()
    spec = obj.get("spec") or {}
    ips = {ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]
           if ip and ip != "None"}
    ports = {int(p["nodePort"]) for p in spec.get("ports") or [] if p.get("nodePort")}
    return ips, ports


@dataclass
class Reservation:
    ips: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)       # requested by number
    auto_ports: list[int] = field(default_factory=list)  # chosen for ports without one

    def all_ports(self) -> set[int]:
        return set(self.ports) | set(self.auto_ports)


class ServiceStore(Store):
    def __init__(self, strategy: Strategy, storage: EtcdStorage, ip_range: IPRange,
                 port_range: PortRange, rng: random.Random | None = None):
        super().__init__(strategy, storage)
        self.ip_range = ip_range
        self.port_range = port_range
        self.rng = rng or random.Random()

    # -- range objects --------------------------------------------------------------------
    def _range_key(self, which: str) -> str:
        return self.storage.key("ranges", None, which)

    async def _change_range(self, which: str, change: Callable[[Bitmap], Any]) -> Any:
        rng: IPRange | PortRange = self.ip_range if which == "serviceips" else self.port_range
        result: list[Any] = []

        def try_update(current: Obj | None) -> Obj:
            cur = current or {}
            bitmap = Bitmap(rng.size)
            if cur.get("range") == str(rng):
                bitmap = Bitmap.decode(rng.size, cur.get("data", ""))
            result[:] = [change(bitmap)]
            return {"kind": "RangeAllocation", "apiVersion": "v1",
                    "metadata": {"name": which, "creationTimestamp": None},
                    "range": str(rng), "data": bitmap.encode()}

        await self._storage(which, self.storage.guaranteed_update(
            self._range_key(which), try_update, ignore_not_found=True))
        return result[0]

    async def _reserve(self, needs: Obj, dry_run: bool, name: str) -> Reservation:
        """Reserve what ``needs`` (a service spec after defaulting) lacks or asks for."""
        try:
            return await self._reserve_all(needs, dry_run)
        except errors.StatusError as err:
            if err.reason != "Invalid":
                raise
            raise errors.invalid("Service", "", name, err.causes) from err

    async def _reserve_all(self, needs: Obj, dry_run: bool) -> Reservation:
        res = Reservation()
        spec = needs.get("spec") or {}
        ip = spec.get("clusterIP")
        if spec.get("type") != "ExternalName" and ip != "None" and "__ip" in needs:
            ip = needs.pop("__ip")
            res.ips.append(await self._allocate_ip(ip or None, dry_run))
        for want in needs.pop("__ports", []):
            try:
                port = await self._allocate_port(want or None, dry_run)
            except errors.StatusError:
                if not dry_run:
                    await self._release(res)
                raise
            (res.ports if want else res.auto_ports).append(port)
        return res

    async def _allocate_ip(self, ip: str | None, dry_run: bool) -> str:
        def change(bm: Bitmap) -> str:
            if ip is None:
                off = bm.allocate_next(self.rng)
            else:
                off = self.ip_range.offset(ip)
                bm.allocate(off)
            return self.ip_range.value(off)

        try:
            if dry_run:
                return change(Bitmap(self.ip_range.size)) if ip is None else ip
            value: str = await self._change_range("serviceips", change)
            return value
        except RangeFull as exc:
            raise self._alloc_error("spec.clusterIPs", [ip] if ip else [],
                                    "failed to allocate IP: range is full") from exc
        except NotInRange as exc:
            raise self._alloc_error(
                "spec.clusterIPs", [ip], "failed to allocate IP " + str(ip) + ": provided IP is "
                f"not in the valid range. The range of valid IPs is {self.ip_range}") from exc
        except AlreadyAllocated as exc:
            raise self._alloc_error("spec.clusterIPs", [ip], f"failed to allocate IP {ip}: "
                                    "provided IP is already allocated") from exc

    async def _allocate_port(self, port: int | None, dry_run: bool) -> int:
        def change(bm: Bitmap) -> int:
            if port is None:
                off = bm.allocate_next(self.rng)
            else:
                off = self.port_range.offset(port)
                bm.allocate(off)
            return self.port_range.value(off)

        try:
            if dry_run:
                return port or change(Bitmap(self.port_range.size))
            value: int = await self._change_range("servicenodeports", change)
            return value
        except RangeFull as exc:
            raise self._alloc_error("spec.ports[0].nodePort", port,
                                    "failed to allocate a nodePort: range is full") from exc
        except NotInRange as exc:
            raise self._alloc_error("spec.ports[0].nodePort", port, "provided port is not in "
                                    f"the valid range. The range of valid ports is "
                                    f"{self.port_range}") from exc
        except AlreadyAllocated as exc:
            raise self._alloc_error("spec.ports[0].nodePort", port,
                                    "provided port is already allocated") from exc

    def _alloc_error(self, field: str, value: Any, detail: str) -> errors.StatusError:
        err = Path(field).invalid(value, detail)
        return errors.invalid("Service", "", "", to_causes([err]))

    async def _release(self, res: Reservation) -> None:
        await self.release(set(res.ips), res.all_ports())

    async def release(self, ips: set[str], ports: set[int]) -> None:
        def clear_ips(bm: Bitmap) -> None:
            for ip in ips:
                try:
                    bm.clear(self.ip_range.offset(ip))
                except NotInRange:
                    pass

        def clear_ports(bm: Bitmap) -> None:
            for port in ports:
                try:
                    bm.clear(self.port_range.offset(port))
                except NotInRange:
                    pass

        try:
            if ips:
                await self._change_range("serviceips", clear_ips)
            if ports:
                await self._change_range("servicenodeports", clear_ports)
        except errors.StatusError as err:
            log.warning("could not release ips=%s ports=%s: %s", ips, ports, err.message)

    # -- needs ----------------------------------------------------------------------------
    @staticmethod
    def needs(new: Obj, old: Obj | None) -> Obj:
        """Which allocations ``new`` requires beyond what ``old`` holds (pure)."""
        spec = new.get("spec") or {}
        out: Obj = {"spec": spec}
        old_ips, old_ports = held(old)
        ip = spec.get("clusterIP")
        if spec.get("type", "ClusterIP") != "ExternalName" and ip != "None":
            if not ip or ip not in old_ips:
                out["__ip"] = ip or ""
        if spec.get("type") in NODE_PORT_TYPES:
            out["__ports"] = [p.get("nodePort") or 0 for p in spec.get("ports") or []
                              if not p.get("nodePort") or int(p["nodePort"]) not in old_ports]
        return out

    @staticmethod
    def fill(obj: Obj, res: Reservation) -> None:
        spec = obj.setdefault("spec", {})
        if res.ips:
            spec["clusterIP"] = res.ips[0]
            spec["clusterIPs"] = [res.ips[0]]
        elif spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        if spec.get("type") in NODE_PORT_TYPES:
            auto = iter(res.auto_ports)
            for p in spec.get("ports") or []:
                if not p.get("nodePort"):
                    port = next(auto, None)
                    if port is not None:
                        p["nodePort"] = port

    # -- writes ---------------------------------------------------------------------------
    async def create(self, obj: Obj, ctx: Context) -> Obj:
        preview = self.prepare_create(obj, ctx)
        res = await self._reserve(self.needs(copy.deepcopy(preview), None), ctx.dry_run,
                                  preview["metadata"].get("name", ""))
        body = copy.deepcopy(obj)
        self.fill(body, res)
        try:
            return await super().create(body, ctx)
        except BaseException:
            if not ctx.dry_run:
                await self._release(res)
            raise

    async def _write(self, namespace: str | None, name: str, mutate: Any, ctx: Context,
                     create_ok: bool = False) -> tuple[Obj, bool]:
        try:
            current: Obj | None = await self.get(namespace, name)
        except errors.StatusError as err:
            if err.code != 404:
                raise
            current = None
        if current is None and not create_ok:
            return await super()._write(namespace, name, mutate, ctx, create_ok)  # NotFound
        # also when the write creates (server-side apply): a created service needs its
        # cluster IP and node ports reserved like any other create
        preview = mutate(copy.deepcopy(current) if current is not None else None)
        res = await self._reserve(self.needs(copy.deepcopy(preview), current), ctx.dry_run, name)

        def mutate_filled(cur: Obj | None) -> Obj:
            new: Obj = mutate(cur)
            self.fill(new, res)
            return new

        try:
            obj, created = await super()._write(namespace, name, mutate_filled, ctx, create_ok)
        except BaseException:
            if not ctx.dry_run:
                await self._release(res)
            raise
        if not ctx.dry_run:
            old_ips, old_ports = held(current)
            new_ips, new_ports = held(obj)
            await self.release((old_ips | set(res.ips)) - new_ips,
                               (old_ports | res.all_ports()) - new_ports)
        return obj, created

    async def after_delete(self, obj: Obj) -> None:
        ips, ports = held(obj)
        await self.release(ips, ports)

    async def delete(self, namespace: str | None, name: str, opts: DeleteOptions,
                     ctx: Context) -> tuple[Obj, bool]:
        return await super().delete(namespace, name, opts, ctx)

    async def repair(self) -> None:
        """Mark every address a stored service holds (never frees: see the module doc)."""
        services, _ = await self.list(None)
        ips: set[str] = set()
        ports: set[int] = set()
        for svc in services:
            i, p = held(svc)
            ips |= i
            ports |= p

        def mark(values: set[Any], rng: IPRange | PortRange) -> Callable[[Bitmap], None]:
            def change(bm: Bitmap) -> None:
                for v in values:
                    try:
                        bm.set(rng.offset(v))
                    except NotInRange:
                        log.warning("service address outside the range value=%s range=%s",
                                    v, rng)
            return change

        await self._change_range("serviceips", mark(ips, self.ip_range))
        await self._change_range("servicenodeports", mark(ports, self.port_range))
