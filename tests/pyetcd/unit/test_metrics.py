"""Prometheus text rendering, checked against lines etcd 3.4.23's /metrics really prints."""

from __future__ import annotations

import pytest

from pyetcd.metrics import (
    Counter,
    Gauge,
    Histogram,
    Registry,
    add_process_metrics,
    exponential_buckets,
    go_float,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (1, "1"), (44, "44"), (8176, "8176"), (123456, "123456"),
    (1234567, "1.234567e+06"), (2147483648, "2.147483648e+09"), (25276416, "2.5276416e+07"),
    (1795672751.83, "1.79567275183e+09"), (0.04801866400000001, "0.04801866400000001"),
    (0.0005, "0.0005"), (0.00005, "5e-05"), (655.36, "655.36"), (2.048, "2.048"),
    (1.8446744073709552e19, "1.8446744073709552e+19"), (-3.5, "-3.5"),
    (float("inf"), "+Inf"), (float("nan"), "NaN"),
])
def test_floats_are_written_as_go_writes_them(value: float, text: str) -> None:
    assert go_float(value) == text


def test_labelled_counter_is_sorted_by_label_name_and_values() -> None:
    c = Counter("etcd_http_failed_total", "Counter of handle failures of requests "
                "(non-watches), by method (GET/PUT etc.) and code (400, 500 etc.).",
                ("method", "code"))
    c.labels("PUT", "404").inc()
    c.labels("GET", "404").inc()
    assert c.render().splitlines() == [
        "# HELP etcd_http_failed_total Counter of handle failures of requests (non-watches), "
        "by method (GET/PUT etc.) and code (400, 500 etc.).",
        "# TYPE etcd_http_failed_total counter",
        'etcd_http_failed_total{code="404",method="GET"} 1',
        'etcd_http_failed_total{code="404",method="PUT"} 1',
    ]


def test_histogram_matches_etcd_bucket_lines() -> None:
    h = Histogram("etcd_http_successful_duration_seconds", "h",
                  exponential_buckets(0.0005, 2, 13), ("method",))
    h.labels("DELETE").observe(0.001096375)
    lines = h.render().splitlines()[2:]
    assert lines[0] == 'etcd_http_successful_duration_seconds_bucket{method="DELETE",le="0.0005"} 0'
    assert lines[1] == 'etcd_http_successful_duration_seconds_bucket{method="DELETE",le="0.001"} 0'
    assert lines[2] == 'etcd_http_successful_duration_seconds_bucket{method="DELETE",le="0.002"} 1'
    assert lines[12] == 'etcd_http_successful_duration_seconds_bucket{method="DELETE",le="2.048"} 1'
    assert lines[13] == 'etcd_http_successful_duration_seconds_bucket{method="DELETE",le="+Inf"} 1'
    assert lines[14:] == ['etcd_http_successful_duration_seconds_sum{method="DELETE"} 0.001096375',
                          'etcd_http_successful_duration_seconds_count{method="DELETE"} 1']


def test_a_value_on_a_bound_falls_in_that_bucket_and_big_ones_only_in_inf() -> None:
    h = Histogram("x", "h", (0.001, 0.002))
    for v in (0.001, 0.0015, 99.0):
        h.observe(v)
    assert [line.rsplit(" ", 1)[1] for line in h.render().splitlines()[2:5]] == ["1", "2", "3"]


def test_gauges_read_their_source_at_render_time_and_escape_labels() -> None:
    value = [3]
    g = Gauge("w", "a\\b", source=lambda: value[0])
    value[0] = 5
    assert g.render().splitlines() == ["# HELP w a\\\\b", "# TYPE w gauge", "w 5"]
    labelled = Gauge("v", "h", ("server_version",), source=lambda: [(('3.4"\n',), 1)])
    assert labelled.render().splitlines()[2] == 'v{server_version="3.4\\"\\n"} 1'


def test_registry_renders_metrics_sorted_by_name() -> None:
    r = Registry()
    r.add(Counter("b_total", "b")).inc()
    r.add(Counter("a_total", "a"))
    add_process_metrics(r)
    text = r.render().decode()
    names = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert names == sorted(names) and names[0] == "a_total"
    assert "# TYPE process_cpu_seconds_total counter" in text
    rss = next(line for line in text.splitlines() if line.startswith("process_resident_memory"))
    assert float(rss.split()[1]) > 1e6
