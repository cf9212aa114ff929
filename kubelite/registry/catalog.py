"""Catalog: one :class:`Store` per served resource, built from the resource table."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kubelite.api import conversion
from kubelite.api.resources import RESOURCES, Resource
from kubelite.registry import apps, core
from kubelite.registry.allocator import IPRange, PortRange
from kubelite.registry.converting import ConvertingStore
from kubelite.registry.generic import Store
from kubelite.registry.mirror import MirrorStore
from kubelite.registry.namespaces import NamespaceStore, NamespaceStrategy
from kubelite.registry.pods import PodStore, PodStrategy
from kubelite.registry.services import ServiceStore, ServiceStrategy
from kubelite.registry.strategy import Strategy
from kubelite.storage.etcd2 import EtcdStorage

STRATEGIES: dict[str, type[Strategy]] = {
    "namespaces": NamespaceStrategy,
    "pods": PodStrategy,
    "nodes": core.NodeStrategy,
    "services": ServiceStrategy,
    "endpoints": core.EndpointsStrategy,
    "events": core.EventStrategy,
    "configmaps": core.ConfigMapStrategy,
    "secrets": core.SecretStrategy,
    "serviceaccounts": core.ServiceAccountStrategy,
    "leases": core.LeaseStrategy,
    "deployments": apps.DeploymentStrategy,
    "replicasets": apps.ReplicaSetStrategy,
    "replicationcontrollers": apps.ReplicationControllerStrategy,
}


@dataclass
class Catalog:
    stores: dict[tuple[str, str], Store]

    def store(self, res: Resource) -> Store:
        return self.stores[(res.group, res.plural)]

    def get(self, group: str, plural: str) -> Store:
        return self.stores[(group, plural)]

    @property
    def namespaces(self) -> NamespaceStore:
        store = self.stores[("", "namespaces")]
        assert isinstance(store, NamespaceStore)
        return store

    @property
    def pods(self) -> PodStore:
        store = self.stores[("", "pods")]
        assert isinstance(store, PodStore)
        return store

    @property
    def services(self) -> ServiceStore:
        store = self.stores[("", "services")]
        assert isinstance(store, ServiceStore)
        return store


def build(storage: EtcdStorage, ip_range: IPRange, port_range: PortRange,
          rng: random.Random | None = None) -> Catalog:
    stores: dict[tuple[str, str], Store] = {}
    for res in RESOURCES:
        if res.plural not in STRATEGIES or res.group == "events.k8s.io":
            continue
        strategy = STRATEGIES[res.plural](res)
        store: Store
        if res.plural == "namespaces":
            store = NamespaceStore(strategy, storage)
        elif res.plural == "services":
            store = ServiceStore(strategy, storage, ip_range, port_range, rng)
        elif res.plural == "pods":
            store = PodStore(strategy, storage)
        else:
            store = Store(strategy, storage)
        stores[(res.group, res.plural)] = store
    pods = stores[("", "pods")]
    assert isinstance(pods, PodStore)
    pods.nodes = stores[("", "nodes")]
    events_v1 = next(r for r in RESOURCES if r.group == "events.k8s.io")
    stores[("events.k8s.io", "events")] = ConvertingStore(
        core.EventStrategy(events_v1), stores[("", "events")], conversion.events_v1_to_event,
        conversion.event_to_events_v1, conversion.EVENT_FIELD_LABELS)
    slices = next(r for r in RESOURCES if r.plural == "endpointslices")
    stores[("discovery.k8s.io", "endpointslices")] = MirrorStore(
        Strategy(slices), stores[("", "endpoints")], conversion.endpoints_to_slices)
    return Catalog(stores)
