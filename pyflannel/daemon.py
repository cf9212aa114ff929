"""pyflanneld's wiring, in flannel's startup order (spec §1):

1. (cli) flags + FLANNELD_*; 2. renew margin 1..1439; 3. external interface and public IP;
4. etcd client, previous subnet from the subnet file; 5. SIGINT/SIGTERM, /healthz;
6. network config, retried every second forever (with hints for the usual mistakes);
7. backend by type (unknown -> exit 1); 8. register: lease + device (failure -> exit 1);
9. --ip-masq: drop stale rules, keep ours; 10. FORWARD rules; 11. subnet file;
12. the backend follows the other leases; 13. sd_notify READY=1; 14. renew and watch our
lease until a signal (exit 0) or its revocation (exit 0, a supervisor restarts us).

Shutdown undoes what flannel undoes (the udp TUN), and also removes our iptables rules
(the issue asks for that; flannel v0.10-v0.17 leave them). The lease, the subnet file and
vxlan/host-gw kernel state stay, so a restart is seamless.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import ssl
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Any

from pyetcd.client import ClusterUnavailable, EtcdClient
from pyetcd.errors import KEY_NOT_FOUND, EtcdError
from pyetcd.sdnotify import sd_notify
from pyflannel import healthz, iface, subnet_env
from pyflannel.backend.base import BackendError, Network, make_backend
from pyflannel.config import Config
from pyflannel.iptables import IPTables, Rule, forward_rules, keep_rules, masq_rules
from pyflannel.lease import LeaseError
from pyflannel.manager import AcquireError, LocalManager
from pyflannel.netconfig import ConfigError, NetworkConfig, UnknownBackend
from pyflannel.registry import EtcdRegistry
from pyflannel.subnet_env import SubnetEnv
from pyflannel.watch import LeaseView, watch_leases

log = logging.getLogger("pyflanneld")
CONFIG_RETRY_SECONDS = 1.0


class Fatal(Exception):
    """A setup error after which flannel exits with status 1."""


def make_client(cfg: Config) -> EtcdClient:
    ctx = None
    if cfg.etcd_cafile or cfg.etcd_certfile or cfg.etcd_keyfile:
        ctx = ssl.create_default_context(cafile=cfg.etcd_cafile or None)
        if cfg.etcd_certfile:
            ctx.load_cert_chain(cfg.etcd_certfile, cfg.etcd_keyfile or None)
    return EtcdClient(
        cfg.etcd_endpoints, ssl_context=ctx,
        username=cfg.etcd_username or None, password=cfg.etcd_password or None,
    )


def config_hint(exc: BaseException, prefix: str) -> str:
    """A sentence for the mistakes users hit most (spec part III, themes 1 and 2)."""
    if isinstance(exc, EtcdError) and exc.code == KEY_NOT_FOUND:
        return (f" (hint: write the config with the etcd v2 API, e.g. ETCDCTL_API=2 etcdctl set "
                f"{prefix}/config '{{\"Network\":\"10.1.0.0/16\"}}'; keys written with the v3 API "
                "are invisible to flannel)")
    if isinstance(exc, EtcdError) and exc.code == 0:
        return " (hint: the endpoint did not answer like etcd v2; start etcd 3.4 with --enable-v2=true)"
    return ""


class Daemon:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.ipt = IPTables()
        self.installed_rules: list[Rule] = []

    async def fetch_config(self, manager: LocalManager) -> NetworkConfig:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await manager.get_network_config()
            except UnknownBackend:
                raise
            except (ConfigError, LeaseError, EtcdError, ClusterUnavailable) as exc:
                if attempt <= 3 or attempt % 30 == 0:
                    log.error("Couldn't fetch network config: %s%s (attempt %d, retrying every %.0fs)",
                              exc, config_hint(exc, self.cfg.etcd_prefix), attempt, CONFIG_RETRY_SECONDS)
            await asyncio.sleep(CONFIG_RETRY_SECONDS)

    async def register(self, manager: LocalManager, config: NetworkConfig, ext: iface.ExternalInterface) -> Network:
        backend = make_backend(config.backend.type, ext)
        while True:
            try:
                return await backend.register_network(manager, config)
            except ClusterUnavailable as exc:
                # flannel exits here; retrying keeps the node coming up once etcd is back.
                log.error("etcd unavailable while acquiring a lease (retrying): %s", exc)
                await asyncio.sleep(CONFIG_RETRY_SECONDS)
            except (AcquireError, BackendError, EtcdError, OSError) as exc:
                raise Fatal(f"failed to register network: {exc}") from None

    async def setup_iptables(self, stack: AsyncExitStack, tasks: list[Coroutine[Any, Any, None]],
                             config: NetworkConfig, network: Network,
                             previous: subnet_env.Previous) -> None:
        cfg = self.cfg
        if not (cfg.ip_masq or cfg.iptables_forward_rules):
            return
        if not self.ipt.available:
            log.error("iptables binary not found; not installing masquerade/forward rules")
            return
        random_fully = await self.ipt.random_fully()
        if cfg.ip_masq:
            if (previous.network and previous.subnet and previous.network != config.network
                    and previous.subnet != network.lease.subnet):
                log.info("removing stale masquerade rules for %s / %s", previous.network, previous.subnet)
                await self.ipt.delete_all(masq_rules(previous.network, previous.subnet, random_fully))
            rules = masq_rules(config.network, network.lease.subnet, random_fully)
            self.installed_rules += rules
            tasks.append(keep_rules(self.ipt, rules, cfg.iptables_resync_seconds, "masquerade"))
        if cfg.iptables_forward_rules:
            rules = forward_rules(config.network)
            self.installed_rules += rules
            tasks.append(keep_rules(self.ipt, rules, cfg.iptables_resync_seconds, "forward"))
        stack.push_async_callback(self.remove_rules)

    async def remove_rules(self) -> None:
        if self.installed_rules:
            await self.ipt.delete_all(self.installed_rules)
            log.info("removed %d iptables rules", len(self.installed_rules))

    async def run(self) -> int:
        cfg = self.cfg
        try:
            ext = await asyncio.to_thread(iface.choose, cfg.iface, cfg.iface_regex, cfg.public_ip)
        except iface.IfaceError as exc:
            log.error("Failed to find interface to use: %s", exc)
            return 1
        log.info("Using interface with name %s and address %s", ext.name, ext.address)
        log.info("Using %s as external address", ext.public_ip)
        previous = subnet_env.read_previous(cfg.subnet_file)
        async with AsyncExitStack() as stack:
            client = make_client(cfg)
            stack.push_async_callback(client.close)
            if cfg.healthz_port > 0:
                runner = await healthz.start(cfg.healthz_ip, cfg.healthz_port)
                stack.push_async_callback(runner.cleanup)
            manager = LocalManager(EtcdRegistry(client, cfg.etcd_prefix), ext.public_ip,
                                   previous.subnet, rng=random.SystemRandom())
            try:
                config = await self.fetch_config(manager)
                log.info("Created subnet manager; network %s, backend %s", config.network, config.backend.type)
                network = await self.register(manager, config, ext)
            except (UnknownBackend, Fatal) as exc:
                log.error("%s", exc)
                return 1
            stack.push_async_callback(network.close)
            tasks: list[Coroutine[Any, Any, None]] = []
            await self.setup_iptables(stack, tasks, config, network, previous)
            env = SubnetEnv(config.network, network.lease.subnet, network.mtu, cfg.ip_masq)
            try:
                subnet_env.write(cfg.subnet_file, env)
            except OSError as exc:
                log.warning("Failed to write subnet file %s: %s", cfg.subnet_file, exc)
            return await self.serve(manager, network, tasks)

    async def serve(self, manager: LocalManager, network: Network, tasks: list[Coroutine[Any, Any, None]]) -> int:
        view = LeaseView(network.lease.subnet)
        async with asyncio.TaskGroup() as tg:
            started: list[asyncio.Task[Any]] = [tg.create_task(t) for t in tasks]
            started.append(tg.create_task(network.run(watch_leases(manager.registry, view))))
            if sd_notify("READY=1"):  # as flanneld; logs its own failure to reach the socket
                log.info("sent READY=1 to systemd")
            margin = self.cfg.subnet_lease_renew_margin_minutes * 60
            reason = await manager.monitor_lease(network.lease, margin)
            log.error("%s", reason)
            log.info("Lease has been revoked. Shutting down daemon.")
            for task in started:
                task.cancel()
        return 0


async def run(cfg: Config) -> int:
    if not 1 <= cfg.subnet_lease_renew_margin_minutes <= 1439:
        log.error("Invalid subnet-lease-renew-margin option, out of acceptable range")
        return 1
    if cfg.kube_subnet_mgr:
        log.error("--kube-subnet-mgr is not supported by pyflanneld (etcd v2 mode only)")
        return 1
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal() -> None:
        log.info("Received signal; shutting down")
        stop.set()
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal kills us
            loop.remove_signal_handler(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    body = asyncio.ensure_future(Daemon(cfg).run())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({body, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if body in done:
            code = body.result()
        else:
            body.cancel()
            await asyncio.gather(body, return_exceptions=True)
            code = 0
    except* Exception as group:
        for exc in group.exceptions:
            log.error("fatal: %s", exc, exc_info=exc)
        code = 1
    finally:
        stopper.cancel()
    if code == 0:
        log.info("Exiting cleanly...")
    return code
