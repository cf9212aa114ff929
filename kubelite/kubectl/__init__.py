"""The kubectl-like ``kubelite`` CLI (apply, get, describe, delete, logs, scale)."""
