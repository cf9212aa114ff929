"""pyflannel: a flanneld that shares etcd state and the UDP wire format with flannel v0.10-v0.17."""

__version__ = "0.1.0"
