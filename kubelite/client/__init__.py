"""Clients of the kubelite apiserver (used by kubelite's own components and CLI)."""
