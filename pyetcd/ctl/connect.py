"""From global flags to a connected client, as etcdctl's ``mustNewClient`` does it.

Endpoints come from ``--endpoints``, ``ETCDCTL_ENDPOINTS``, ``--endpoint``,
``ETCDCTL_ENDPOINT``, ``--peers``/``-C``, ``ETCDCTL_PEERS`` (first non-empty wins), else
``http://127.0.0.1:2379,http://127.0.0.1:4001``. Unless ``--no-sync`` is given the client
first asks ``/v2/members`` for the cluster's published client URLs and uses those; a
connection failure during that sync exits with code 2, other sync failures are ignored.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess

from pyetcd.ctl.api import KeysAPI, MembersAPI
from pyetcd.ctl.context import (
    EXIT_BAD_ARGS,
    EXIT_BAD_CONNECTION,
    EXIT_SERVER_ERROR,
    Exit,
    Invocation,
)
from pyetcd.ctl.gourl import Endpoint, EndpointError, parse_endpoint
from pyetcd.ctl.transport import (
    ClientConfig,
    ClusterError,
    GoClient,
    GoError,
    NoEndpoints,
    with_deadline,
)

DEFAULT_ENDPOINTS = "http://127.0.0.1:2379,http://127.0.0.1:4001"
DEFAULT_DIAL_TIMEOUT = 30.0


def handle_error(inv: Invocation, code: int, err: BaseException) -> Exit:
    """etcdctl's ``handleError``: print ``Error:  <err>`` (and a cluster error's detail).

    With ``-o json`` etcdctl means to print etcd errors as JSON, but its type check never
    matches the errors the client returns, so real etcdctl prints the plain form; so do we.
    """
    inv.io.err(f"Error:  {err}\n")
    if isinstance(err, ClusterError):
        inv.io.err(err.detail() + "\n")
    return Exit(code)


def endpoint_list(inv: Invocation) -> str:
    env = inv.io.env
    for value in (inv.globals.string("endpoints"), env.get("ETCDCTL_ENDPOINTS", ""),
                  inv.globals.string("endpoint"), env.get("ETCDCTL_ENDPOINT", ""),
                  inv.globals.string("peers"), env.get("ETCDCTL_PEERS", "")):
        if value:
            return value
    return DEFAULT_ENDPOINTS


def _ssl_context(inv: Invocation) -> ssl.SSLContext | None:
    env = inv.io.env
    ca = inv.globals.string("ca-file") or env.get("ETCDCTL_CA_FILE", "")
    cert = inv.globals.string("cert-file") or env.get("ETCDCTL_CERT_FILE", "")
    key = inv.globals.string("key-file") or env.get("ETCDCTL_KEY_FILE", "")
    if not (ca or cert or key):
        return None
    if (cert or key) and not (cert and key):
        raise ValueError(f"KeyFile and CertFile must both be present[key: {key}, cert: {cert}]")
    for path in (cert, key, ca):
        if path:
            try:
                open(path, "rb").close()
            except OSError as exc:
                raise ValueError(f"open {path}: {(exc.strerror or '').lower()}") from None
    context = ssl.create_default_context(cafile=ca or None)
    if cert:
        context.load_cert_chain(cert, key)
    return context


def _credentials(inv: Invocation) -> tuple[str | None, str | None]:
    flag = inv.globals.string("username") or inv.io.env.get("ETCDCTL_USERNAME", "")
    if not flag:
        return None, None
    user, colon, password = flag.partition(":")
    if not colon:
        password = ask_password(inv)
    return user, password


def ask_password(inv: Invocation, prompt: str = "Password: ") -> str:
    """etcdctl's prompt (``Password: ``, or ``New password: `` for ``user``) on stdout, echo turned off with ``stty -echo`` on
    stdin (as etcdctl does, so ``stty``'s complaints about a stdin that is not a terminal
    are the same), one line read from stdin, echo back on, then a newline on stdout."""
    inv.io.out(prompt)
    _stty(inv, "-echo")
    try:
        line = bytearray()
        while (byte := inv.io.stdin.read(1)) and byte != b"\n":
            line += byte
    finally:
        _stty(inv, "echo")
    inv.io.out("\n")
    return line.decode("utf-8", "surrogateescape").removesuffix("\r").strip()


def _stty(inv: Invocation, setting: str) -> None:
    try:
        fd = inv.io.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a file (in-process use): there is no terminal to configure
    proc = subprocess.run(["stty", setting], executable=shutil.which("stty") or "/bin/stty",
                          stdin=fd, capture_output=True, check=False)
    inv.io.out(proc.stdout.decode("utf-8", "surrogateescape"))
    inv.io.err(proc.stderr.decode("utf-8", "surrogateescape"))


def new_client(inv: Invocation) -> GoClient:
    """``newClient``: parse endpoints, TLS and credentials; failures exit with code 1."""
    if inv.globals.string("discovery-srv") or inv.io.env.get("ETCDCTL_DISCOVERY_SRV"):
        # etcdctl would look up SRV records; pyetcdctl has no DNS client. Same exit code
        # as etcdctl's failed lookup.
        inv.io.err("pyetcdctl: DNS discovery (--discovery-srv) is not supported; "
                   "use --endpoints\n")
        raise Exit(EXIT_BAD_ARGS)
    try:
        endpoints: list[Endpoint] = [parse_endpoint(e) for e in endpoint_list(inv).split(",")]
        ssl_context = _ssl_context(inv)
    except (EndpointError, ValueError, ssl.SSLError) as exc:
        inv.io.err(f"{exc}\n")
        raise Exit(EXIT_BAD_ARGS) from None
    user, password = _credentials(inv)
    total = inv.globals.duration("total-timeout")
    dial = DEFAULT_DIAL_TIMEOUT if total == 0 or total >= DEFAULT_DIAL_TIMEOUT else total
    config = ClientConfig(endpoints, header_timeout=inv.globals.duration("timeout"),
                          dial_timeout=max(dial, 0.001), ssl_context=ssl_context,
                          username=user, password=password)
    client = GoClient(config)
    inv.closers.append(client.close)
    return client


async def connect(inv: Invocation, *, sync: bool = True) -> GoClient:
    """``mustNewClient`` (``sync=True``, honouring ``--no-sync``) or ``mustNewClientNoSync``."""
    client = new_client(inv)
    debug = inv.globals.bool("debug")
    if not sync:
        if debug:
            inv.io.err(f"Cluster-Endpoints: {', '.join(client.endpoint_strings())}\n")
            client.enable_debug(inv.io.err)
        return client
    if debug:
        client.enable_debug(inv.io.err)
    if not inv.globals.bool("no-sync"):
        if debug:
            inv.io.err("start to sync cluster using endpoints("
                       f"{','.join(client.endpoint_strings())})\n")
        try:
            await with_deadline(sync_endpoints(client), inv.globals.duration("total-timeout"))
        except NoEndpoints as exc:
            inv.io.err("etcd cluster has no published client endpoints.\n")
            inv.io.err("Try '--no-sync' if you want to access non-published client "
                       f"endpoints({','.join(client.endpoint_strings())}).\n")
            raise handle_error(inv, EXIT_SERVER_ERROR, exc) from None
        except GoError as exc:
            if exc.connection:
                raise handle_error(inv, EXIT_BAD_CONNECTION, exc) from None
        except EndpointError:
            pass  # a member published a URL Go cannot parse: the sync is skipped
        if debug:
            inv.io.err(f"got endpoints({','.join(client.endpoint_strings())}) after sync\n")
    if debug:
        inv.io.err(f"Cluster-Endpoints: {', '.join(client.endpoint_strings())}\n")
    return client


async def sync_endpoints(client: GoClient) -> None:
    """``Client.Sync``: replace the endpoints with the members' published client URLs."""
    members = await MembersAPI(client).list()
    urls = [u for m in members for u in m.client_urls]
    if not urls:
        raise NoEndpoints()
    endpoints = [parse_endpoint(u) for u in urls]
    if sorted(map(str, endpoints)) == sorted(client.endpoint_strings()):
        return
    client.endpoints = endpoints
    client.pinned = 0


async def keys_api(inv: Invocation) -> KeysAPI:
    return KeysAPI(await connect(inv))
