"""Objects as JSON in the etcd v2 keys API: the storage helper and watch translation."""
