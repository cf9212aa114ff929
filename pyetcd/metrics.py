"""Prometheus metrics: counters, gauges and histograms, rendered in the text format (0.0.4).

Small on purpose (no prometheus_client): pyetcd needs a few dozen series, rendered exactly as
etcd's Go client renders them (names, HELP texts, bucket bounds, Go's float formatting and
sorted label sets), and the hot path must stay cheap: ``Counter.inc`` is one addition on a
child found by label values, ``Histogram.observe`` one ``bisect``.

Usage, for any module that wants to count something::

    from pyetcd.metrics import REGISTRY, Counter
    AUTH_FAILURES = REGISTRY.add(Counter("etcd_debugging_auth_failures_total", "help", ("user",)))
    AUTH_FAILURES.labels("root").inc()

Metrics whose value lives elsewhere (the watcher count, the process RSS) are a
:class:`Gauge` with a ``source`` function read at render time, so the hot path pays nothing.
Not thread-safe by design: update metrics from the event loop (the WAL thread hands its
timings back to the loop).
"""

from __future__ import annotations

import bisect
import math
import os
import resource
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TypeVar

Labels = tuple[str, ...]
M = TypeVar("M", bound="Metric")


def go_float(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 64)``: what Go's Prometheus client writes."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    sign, digits, exp = Decimal(repr(float(value))).normalize().as_tuple()
    assert isinstance(exp, int)
    text = "".join(map(str, digits))
    point = len(text) + exp  # position of the decimal point
    x = point - 1
    if x < -4 or x >= 6:  # Go's shortest %g switches to an exponent at 1e+06
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        out = f"{mantissa}e{'-' if x < 0 else '+'}{abs(x):02d}"
    elif point <= 0:
        out = "0." + "0" * -point + text
    elif point >= len(text):
        out = text + "0" * (point - len(text))
    else:
        out = text[:point] + "." + text[point:]
    return ("-" if sign else "") + out


def exponential_buckets(start: float, factor: float, count: int) -> tuple[float, ...]:
    """``prometheus.ExponentialBuckets``."""
    return tuple(start * factor ** i for i in range(count))


def _label_text(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    pairs = sorted(zip(names, values, strict=True))
    return "{" + ",".join(f'{n}="{_escape(v)}"' for n, v in pairs) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


class Metric:
    kind = "untyped"

    def __init__(self, name: str, help: str, label_names: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help
        self.label_names = tuple(label_names)

    def samples(self) -> Iterable[str]:
        raise NotImplementedError

    def render(self) -> str:
        help_text = self.help.replace("\\", r"\\").replace("\n", r"\n")
        lines = [f"# HELP {self.name} {help_text}", f"# TYPE {self.name} {self.kind}"]
        lines.extend(self.samples())
        return "\n".join(lines)


class _Value:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount

    def set(self, value: float) -> None:
        self.value = value


class Counter(Metric):
    """A monotonically increasing count; with labels, one child per label set."""

    kind = "counter"

    def __init__(self, name: str, help: str, label_names: Sequence[str] = ()) -> None:
        super().__init__(name, help, label_names)
        self._children: dict[Labels, _Value] = {}
        self._plain = _Value()

    def labels(self, *values: str) -> _Value:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = _Value()
        return child

    def inc(self, amount: float = 1.0) -> None:
        self._plain.value += amount

    @property
    def value(self) -> float:
        return self._plain.value

    def samples(self) -> Iterable[str]:
        if not self.label_names:
            yield f"{self.name} {go_float(self._plain.value)}"
            return
        for values in sorted(self._children):
            text = _label_text(self.label_names, values)
            yield f"{self.name}{text} {go_float(self._children[values].value)}"


class Gauge(Counter):
    """A value that goes up and down, or is read from ``source`` at render time.

    ``source`` returns a number, or for a labelled gauge a list of (label values, number).
    """

    kind = "gauge"

    def __init__(self, name: str, help: str, label_names: Sequence[str] = (),
                 source: Callable[[], float | list[tuple[Labels, float]]] | None = None) -> None:
        super().__init__(name, help, label_names)
        self.source = source

    def set(self, value: float) -> None:
        self._plain.value = value

    def samples(self) -> Iterable[str]:
        if self.source is None:
            yield from super().samples()
            return
        got = self.source()
        if isinstance(got, list):
            for values, number in sorted(got):
                yield f"{self.name}{_label_text(self.label_names, values)} {go_float(number)}"
        else:
            yield f"{self.name} {go_float(got)}"


class _HistogramChild:
    __slots__ = ("bounds", "counts", "sum", "count")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * len(bounds)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        i = bisect.bisect_left(self.bounds, value)  # "le": a value equal to a bound is in it
        if i < len(self.counts):
            self.counts[i] += 1
        self.sum += value
        self.count += 1


class Histogram(Metric):
    kind = "histogram"

    def __init__(self, name: str, help: str, buckets: Sequence[float],
                 label_names: Sequence[str] = ()) -> None:
        super().__init__(name, help, label_names)
        self.buckets = tuple(buckets)
        self._children: dict[Labels, _HistogramChild] = {}
        if not label_names:
            self._children[()] = _HistogramChild(self.buckets)

    def labels(self, *values: str) -> _HistogramChild:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = _HistogramChild(self.buckets)
        return child

    def observe(self, value: float) -> None:
        self._children[()].observe(value)

    def child(self) -> _HistogramChild:
        return self._children[()]

    def samples(self) -> Iterable[str]:
        for values in sorted(self._children):
            child = self._children[values]
            base = list(zip(self.label_names, values, strict=True))
            cumulative = 0
            for bound, n in zip(self.buckets + (math.inf,),
                                child.counts + [child.count - sum(child.counts)], strict=True):
                cumulative += n
                labels = "{" + ",".join([f'{k}="{_escape(v)}"' for k, v in sorted(base)]
                                        + [f'le="{go_float(bound)}"']) + "}"
                yield f"{self.name}_bucket{labels} {cumulative}"
            text = _label_text(self.label_names, values)
            yield f"{self.name}_sum{text} {go_float(child.sum)}"
            yield f"{self.name}_count{text} {child.count}"


class Registry:
    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}

    def add(self, metric: M) -> M:
        """Register ``metric``; a second metric with the same name replaces the first."""
        self._metrics[metric.name] = metric
        return metric

    def get(self, name: str) -> Metric | None:
        return self._metrics.get(name)

    def render(self) -> bytes:
        """The text exposition format, metrics sorted by name (as Go's client does)."""
        parts = [self._metrics[name].render() for name in sorted(self._metrics)]
        return ("\n".join(parts) + "\n").encode()


# ---- process metrics (Go's process collector, read from /proc) -------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


def _stat() -> list[str]:
    with open("/proc/self/stat", "rb") as f:
        text = f.read().decode()
    return text[text.rindex(")") + 2:].split()  # fields from "state" (field 3) on


def _boot_time() -> float:
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("btime "):
                return float(line.split()[1])
    return 0.0


def add_process_metrics(registry: Registry) -> None:
    """process_* as the Go client's process collector reports them."""
    start = _boot_time() + int(_stat()[19]) / _TICKS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    for metric in (
        Gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
              source=lambda: (int(_stat()[11]) + int(_stat()[12])) / _TICKS),
        Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
              source=lambda: int(_stat()[21]) * _PAGE),
        Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
              source=lambda: int(_stat()[20])),
        Gauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.", source=lambda: start),
        Gauge("process_open_fds", "Number of open file descriptors.",
              source=lambda: len(os.listdir("/proc/self/fd"))),
        Gauge("process_max_fds", "Maximum number of open file descriptors.",
              source=lambda: soft),
    ):
        registry.add(metric)
    registry.get("process_cpu_seconds_total").kind = "counter"  # type: ignore[union-attr]


__all__ = ["Counter", "Gauge", "Histogram", "Registry", "exponential_buckets", "go_float",
           "add_process_metrics", "REGISTRY"]

REGISTRY = Registry()
"""The process-wide registry that ``/metrics`` renders (servers in tests may use their own)."""
