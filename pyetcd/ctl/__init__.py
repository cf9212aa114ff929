"""pyetcdctl: the etcdctl v2 command set."""
