"""Protobuf request bodies (``application/vnd.kubernetes.protobuf``): not decoded.

``kubectl create namespace|deployment|configmap|service ...`` in 1.32 sends protobuf and does
not fall back to JSON. kubelite answers an honest 415 naming the media types it accepts;
the JSON forms of the same commands work: ``kubectl create ... --dry-run=client -o yaml |
kubectl apply -f -`` or ``kubectl apply -f manifest.yaml``.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import errors
from kubelite.api.resources import Resource


def decode(data: bytes, res: Resource) -> dict[str, Any]:
    raise errors.unsupported_media_type(
        "application/vnd.kubernetes.protobuf",
        "application/json, application/yaml (kubelite does not decode protobuf; use "
        "`kubectl apply -f` or `kubectl create -f` with a manifest)")
