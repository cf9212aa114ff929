"""kubelite: a minimal Kubernetes whose apiserver stores objects through the etcd v2 API."""

__version__ = "0.1.0"
