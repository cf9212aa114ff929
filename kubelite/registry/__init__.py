"""Registries: one strategy per kind on top of the generic store (kube's ``registry/``)."""
