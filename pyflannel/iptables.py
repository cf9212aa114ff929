"""iptables rules flannel installs (``--ip-masq`` and ``--iptables-forward-rules``).

The rule sets are pure functions of the network (N) and our lease (S):

masquerade, ``nat POSTROUTING``, appended in this order::

    -s N -d N -j RETURN
    -s N ! -d 224.0.0.0/4 -j MASQUERADE --random-fully
    ! -s N -d S -j RETURN
    ! -s N -d N -j MASQUERADE --random-fully

forward, ``filter FORWARD``: ``-s N -j ACCEPT`` and ``-d N -j ACCEPT``.

``--random-fully`` is added only when the installed iptables knows it (>= 1.6.2), as
flannel v0.11+ does. We write the v0.11-v0.16.1 form (no ``-m comment``).

:func:`ensure` keeps a set in place as flannel does: if any rule is missing, delete every
rule of the set (ignoring "does not exist") and append them all again, since order
matters. Every call uses ``-w`` to wait for the xtables lock.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rule:
    table: str
    chain: str
    spec: tuple[str, ...]


def masq_rules(network: IPv4Network, lease: IPv4Network, random_fully: bool) -> list[Rule]:
    n, s = str(network), str(lease)
    masq = ("-j", "MASQUERADE", "--random-fully") if random_fully else ("-j", "MASQUERADE")
    return [
        Rule("nat", "POSTROUTING", ("-s", n, "-d", n, "-j", "RETURN")),
        Rule("nat", "POSTROUTING", ("-s", n, "!", "-d", "224.0.0.0/4", *masq)),
        Rule("nat", "POSTROUTING", ("!", "-s", n, "-d", s, "-j", "RETURN")),
        Rule("nat", "POSTROUTING", ("!", "-s", n, "-d", n, *masq)),
    ]


def forward_rules(network: IPv4Network) -> list[Rule]:
    n = str(network)
    return [
        Rule("filter", "FORWARD", ("-s", n, "-j", "ACCEPT")),
        Rule("filter", "FORWARD", ("-d", n, "-j", "ACCEPT")),
    ]


def supports_random_fully(version_output: str) -> bool:
    m = re.search(r"v(\d+)\.(\d+)\.(\d+)", version_output)
    return bool(m) and tuple(int(x) for x in m.groups()) >= (1, 6, 2)  # type: ignore[union-attr]


class IPTables:
    def __init__(self, binary: str | None = None):
        self.binary = binary or shutil.which("iptables") or ""

    @property
    def available(self) -> bool:
        return bool(self.binary)

    async def _run(self, *args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            self.binary, "-w", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode(errors="replace")

    async def random_fully(self) -> bool:
        proc = await asyncio.create_subprocess_exec(
            self.binary, "--version", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return supports_random_fully(out.decode(errors="replace"))

    async def exists(self, rule: Rule) -> bool:
        code, _ = await self._run("-t", rule.table, "-C", rule.chain, *rule.spec)
        return code == 0

    async def append(self, rule: Rule) -> None:
        code, out = await self._run("-t", rule.table, "-A", rule.chain, *rule.spec)
        if code:
            raise RuntimeError(f"iptables -A {rule.chain} {' '.join(rule.spec)}: {out.strip()}")

    async def delete(self, rule: Rule) -> None:
        await self._run("-t", rule.table, "-D", rule.chain, *rule.spec)  # absent is fine

    async def ensure(self, rules: Sequence[Rule]) -> bool:
        """Make sure every rule is present in order; True when they had to be re-added."""
        for rule in rules:
            if not await self.exists(rule):
                break
        else:
            return False
        await self.delete_all(rules)
        for rule in rules:
            await self.append(rule)
        return True

    async def delete_all(self, rules: Sequence[Rule]) -> None:
        for rule in rules:
            await self.delete(rule)


async def keep_rules(ipt: IPTables, rules: Sequence[Rule], resync_seconds: float, what: str) -> None:
    """Run forever: ensure ``rules`` every ``resync_seconds`` (flannel's SetupAndEnsureIPTables)."""
    while True:
        try:
            if await ipt.ensure(rules):
                log.info("%s iptables rules (re)installed", what)
        except (RuntimeError, OSError) as exc:
            log.error("Failed to ensure iptables rules: %s", exc)
        await asyncio.sleep(resync_seconds)
