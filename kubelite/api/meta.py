"""Object metadata helpers: timestamps (``Time`` and ``MicroTime``), names, uids, ages.

Pure: the current time is always an argument. ``Time`` is RFC 3339 in UTC with seconds
(``2025-01-01T12:00:00Z``); ``MicroTime`` has six fractional digits.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

Obj = dict[str, Any]
UTC = dt.UTC
# kube's generateName suffix alphabet (no vowels, no 0/1/3 lookalikes) and length
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
NAME_SUFFIX_LEN = 5
MAX_GENERATED_PREFIX = 63 - NAME_SUFFIX_LEN


def fmt_time(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fmt_micro(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def generate_name(prefix: str, rng: random.Random) -> str:
    prefix = prefix[:MAX_GENERATED_PREFIX]
    return prefix + "".join(rng.choice(NAME_ALPHABET) for _ in range(NAME_SUFFIX_LEN))


def new_uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def human_duration(seconds: float) -> str:
    """kube's ``duration.HumanDuration``: 45s, 2m30s, 10m, 5h3m, 12h, 3d4h, 40d, 2y10d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 60 * 2:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d{rem}h" if rem else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 - 365 * (hours // 24 // 365)
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age(timestamp: str | None, now: dt.datetime) -> str:
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration((now - t).total_seconds())


def meta(obj: Obj) -> Obj:
    m: Obj = obj.setdefault("metadata", {})
    return m
