"""``mk-docker-opts``: turn subnet.env into docker daemon options, as flannel's script does.

Usage (same options as ``dist/mk-docker-opts.sh``)::

    python -m pyflannel.docker_opts [-f subnet.env] [-d /run/docker_opts.env] [-i] [-c] [-k KEY] [-m]
    pyflanneld mk-docker-opts ...

* ``FLANNEL_SUBNET`` -> ``--bip=<value>``, ``FLANNEL_MTU`` -> ``--mtu=<value>``;
  ``FLANNEL_IPMASQ=true`` -> ``--ip-masq=false`` and ``false`` -> ``--ip-masq=true`` (docker
  masquerades only when flannel does not); another value is an error (exit 1). ``-m`` leaves
  ip-masq out.
* ``-i``: one ``DOCKER_OPT_*`` variable per option (sorted by name); ``-c``: one combined
  variable named KEY (default ``DOCKER_OPTS``) whose value starts with the pre-existing
  ``$KEY`` from the environment, and always has a leading space. Neither: both.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from pyflannel import subnet_env


class OptsError(ValueError):
    pass


def render(
    values: Mapping[str, str], *, individual: bool, combined: bool, key: str,
    ip_masq: bool, inherited: str | None,
) -> str:
    """The output file's text (pure)."""
    if not individual and not combined:
        individual = combined = True
    opts: dict[str, str] = {}
    if values.get("FLANNEL_SUBNET"):
        opts["DOCKER_OPT_BIP"] = f"--bip={values['FLANNEL_SUBNET']}"
    if ip_masq and values.get("FLANNEL_IPMASQ"):
        masq = values["FLANNEL_IPMASQ"]
        if masq == "true":
            opts["DOCKER_OPT_IPMASQ"] = "--ip-masq=false"
        elif masq == "false":
            opts["DOCKER_OPT_IPMASQ"] = "--ip-masq=true"
        else:
            raise OptsError(f"Invalid value of FLANNEL_IPMASQ: {masq}")
    if values.get("FLANNEL_MTU"):
        opts["DOCKER_OPT_MTU"] = f"--mtu={values['FLANNEL_MTU']}"
    lines: list[str] = []
    combined_value = f"{inherited} " if inherited else ""
    for name in sorted(opts):
        if individual:
            lines.append(f'{name}="{opts[name]}"')
        combined_value += f" {opts[name]}"
    if combined:
        lines.append(f'{key}="{combined_value}"')
    return "".join(line + "\n" for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mk-docker-opts",
        description="Generate Docker daemon options based on flannel env file",
    )
    parser.add_argument("-f", dest="flannel_env", default=str(subnet_env.DEFAULT_PATH),
                        help="Path to flannel env file. Defaults to /run/flannel/subnet.env")
    parser.add_argument("-d", dest="docker_env", default="/run/docker_opts.env",
                        help="Path to Docker env file to write to. Defaults to /run/docker_opts.env")
    parser.add_argument("-i", dest="individual", action="store_true",
                        help="Output each Docker option as individual var. e.g. DOCKER_OPT_MTU=1500")
    parser.add_argument("-c", dest="combined", action="store_true",
                        help="Output combined Docker options into DOCKER_OPTS var")
    parser.add_argument("-k", dest="key", default="DOCKER_OPTS",
                        help="Set the combined options key to this value (default DOCKER_OPTS=)")
    parser.add_argument("-m", dest="no_masq", action="store_true",
                        help="Do not output --ip-masq (useful for older Docker version)")
    args = parser.parse_args(argv)
    try:
        text = Path(args.flannel_env).read_text()
    except OSError as exc:
        print(f"mk-docker-opts: cannot read {args.flannel_env}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        out = render(
            subnet_env.parse_dotenv(text), individual=args.individual, combined=args.combined,
            key=args.key, ip_masq=not args.no_masq, inherited=os.environ.get(args.key) or None,
        )
    except OptsError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    Path(args.docker_env).parent.mkdir(parents=True, exist_ok=True)
    Path(args.docker_env).write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
