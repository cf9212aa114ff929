# Everything a fresh Debian 12 machine needs, in two targets:
#   make run   - the main job: the kubelite master (pyetcd on 127.0.0.1:2379 + apiserver on
#                127.0.0.1:8080, data and logs under ./data), until Ctrl-C
#   make test  - installs what the tests need (Debian packages, Python packages) and runs them
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Debian packages the tests use: the reference etcd and its etcdctl, load and network tools.
APT_PACKAGES := python3-venv etcd-server etcd-client curl wrk iperf3 iproute2 iptables \
	tcpdump iputils-ping busybox-static procps openssl
PYTEST_ARGS ?=

.PHONY: run test deps apt-deps venv lint typecheck bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

apt-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

deps: apt-deps venv

run: deps
	$(VENV)/bin/kubelite up --data-dir ./data

test: deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check pyetcd pyflannel kubelite tests bench

typecheck: venv
	$(VENV)/bin/mypy

bench: deps
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache
