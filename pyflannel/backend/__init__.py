"""Backends: udp (flannel0 + user-space forwarder), vxlan and host-gw (kernel data path)."""
