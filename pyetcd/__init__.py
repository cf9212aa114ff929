"""pyetcd: an asyncio server for the etcd v2 keys API, and its client."""

__version__ = "0.1.0"
# The etcd release whose v2 API we reproduce; /version reports it.
ETCD_VERSION = "3.4.23"
ETCD_CLUSTER_VERSION = "3.4.0"
