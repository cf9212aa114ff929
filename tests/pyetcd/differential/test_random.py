"""Differential: random parameter combinations (fixed seeds), compared with the real etcd.

The hand-written tables cover each rule once; this covers how the rules combine: random
methods, keys, parameter names (valid, misspelled, repeated), values (Go booleans and
non-booleans, numbers at the uint64 edges, empty) and placement (query or form body),
applied in sequence to a small key space so that writes interact.
"""

from __future__ import annotations

import random
import urllib.parse
from collections.abc import Callable

import pytest

from tests.pyetcd.differential.harness import FORM, Case, Req

pytestmark = pytest.mark.compat

KEYS = ["{p}/a", "{p}/a/b", "{p}/d", "{p}/d/_h", "{p}/d/x", "{p}"]
PARAMS = ["value", "ttl", "dir", "prevExist", "prevValue", "prevIndex", "recursive", "sorted",
          "quorum", "noValueOnSuccess", "refresh", "waitIndex", "stream", "Value", "wait"]
VALUES = ["", "1", "0", "true", "false", "True", "yes", "x", "007", "18446744073709551615",
          "18446744073709551616", "-1", "{i+1}", "{i+3}", "100", "v", "v w", "%zz"]
# TTLs that could expire while the script runs would make indices depend on timing.
TTL_VALUES = ["", "x", "100", "500", "-1", "18446744073709551616", "v w", "%zz", "1.5"]
# Mostly valid values, so that scripts also reach the store operations and their errors.
VALID = {"value": ["", "v", "w"], "ttl": ["", "100"], "dir": ["true", "false"],
         "prevExist": ["true", "false"], "prevValue": ["v", "w"],
         "prevIndex": ["0", "{i+1}", "{i+2}", "{i+5}"], "recursive": ["true"], "sorted": ["true"],
         "quorum": ["true", "false"], "noValueOnSuccess": ["true"], "refresh": ["false", "true"],
         "waitIndex": ["{i+1}"], "stream": ["false"], "Value": ["z"], "wait": ["false"]}
METHODS = ["GET", "GET", "PUT", "PUT", "PUT", "POST", "DELETE", "DELETE", "HEAD"]


def random_request(rng: random.Random, valid: bool) -> Req:
    method = rng.choice(METHODS)
    query: list[str] = []
    body: list[str] = []
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(PARAMS)
        if valid:
            value = rng.choice(VALID[name])
        else:
            value = rng.choice(TTL_VALUES if name == "ttl" else VALUES)
        if name == "wait" and value in ("1", "true", "True") and method == "GET":
            value = "false"  # a live watch would block the script
        pair = f"{name}={value if value == '%zz' else urllib.parse.quote(value, safe='{}+')}"
        (body if method in ("PUT", "POST") and rng.random() < 0.5 else query).append(pair)
    target = "/v2/keys" + rng.choice(KEYS) + ("?" + "&".join(query) if query else "")
    if body:
        return Req(method, target, "&".join(body), FORM)
    return Req(method, target)


CASES = []
for seed in range(8):
    rng = random.Random(seed)
    valid = seed % 2 == 1
    CASES.append(Case(f"random_{'valid' if valid else 'any'}_{seed}",
                      [random_request(rng, valid) for _ in range(80)], fresh=True))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_random(case: Case, check: Callable[[Case], None]) -> None:
    check(case)
