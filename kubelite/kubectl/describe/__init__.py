"""Describers: one module per group of kinds, writing kubectl's describe layout."""
