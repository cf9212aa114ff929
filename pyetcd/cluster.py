"""ClusterInfo: who this single-member "cluster" is, with etcd's own identifiers.

etcd derives a member's ID from its peer URLs and the cluster token (SHA-1, first 8 bytes,
big-endian) and the cluster ID from the member IDs the same way. pyetcd computes them the
same way from the same flags, so a pyetcd started with a given etcd command line reports
the IDs that etcd would (``X-Etcd-Cluster-Id``, ``/v2/members``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DEFAULT_PEER_URL = "http://localhost:2380"
DEFAULT_CLUSTER_TOKEN = "etcd-cluster"
RAFT_TERM = 2  # a single member elects itself once: term 1 -> 2, as a fresh etcd reports


def member_id(peer_urls: tuple[str, ...], token: str) -> int:
    digest = hashlib.sha1(("".join(sorted(peer_urls)) + token).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def cluster_id(member_ids: tuple[int, ...]) -> int:
    data = b"".join(m.to_bytes(8, "big") for m in sorted(member_ids))
    return int.from_bytes(hashlib.sha1(data).digest()[:8], "big")


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    name: str
    peer_urls: tuple[str, ...]
    client_urls: tuple[str, ...]
    token: str = DEFAULT_CLUSTER_TOKEN
    start_time: int = 0  # Unix ns when the server started

    @property
    def member_id(self) -> int:
        return member_id(self.peer_urls, self.token)

    @property
    def cluster_id(self) -> int:
        return cluster_id((self.member_id,))

    @property
    def member_hex(self) -> str:
        return f"{self.member_id:x}"

    @property
    def cluster_hex(self) -> str:
        return f"{self.cluster_id:x}"
