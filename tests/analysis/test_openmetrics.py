"""The OpenMetrics writer and reader; ``promtool tsdb create-blocks-from openmetrics``
accepts the writer's output and stores every sample exactly."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from capacity.analysis.openmetrics import (
    MetricFamily,
    OpenMetricsError,
    OpenMetricsWriter,
    SeriesChunk,
    _timestamps,
    format_le,
    read_openmetrics,
    store_families,
    write_openmetrics,
)
from capacity.analysis.promql import STALE_NAN, SeriesStore
from tests.manifests.conftest import tool

ODD = 'quote " backslash \\ newline \n unicode é'


def sample_store() -> SeriesStore:
    st = SeriesStore()
    t = np.array([0.0, 15.001, 30.5, 45.999, 60.0])
    st.add({"__name__": "reqs_total", "code": "200", "path": ODD}, t, [0, 1, 2.5, 1e17, 3])
    st.add({"__name__": "reqs_total", "code": "500"}, t[1:], [7, 8, 9, 10])
    st.add({"__name__": "temp_celsius", "room": "a"}, t,
           [1.5, float("nan"), float("inf"), float("-inf"), -0.0])
    for le, c in (("0.1", 1), ("1.0", 3), ("+Inf", 4)):
        st.add({"__name__": "lat_seconds_bucket", "le": le, "pod": "p"}, t[:2], [c, 2 * c])
    st.add({"__name__": "lat_seconds_sum", "pod": "p"}, t[:2], [1.25, 2.5])
    st.add({"__name__": "lat_seconds_count", "pod": "p"}, t[:2], [4, 8])
    return st


TYPES = {"reqs": "counter", "temp_celsius": "gauge", "lat_seconds": "histogram"}


def _same(a: SeriesStore, b: SeriesStore) -> None:
    assert [s.labels for s in a] == [s.labels for s in b]
    for s in a:
        o = b.get(s.label_dict)
        assert o is not None and np.array_equal(s.t_ms, o.t_ms)
        assert np.array_equal(s.v.view(np.uint64), o.v.view(np.uint64)), s  # bit for bit


def test_round_trip_is_exact(tmp_path: Path):
    st = sample_store()
    write_openmetrics(tmp_path / "m.om", store_families(st, TYPES, {"reqs": "Requests."}))
    back = read_openmetrics(tmp_path / "m.om")
    _same(st, back.store)
    assert back.families["reqs"].type == "counter" and back.families["reqs"].help == "Requests."
    assert back.families["lat_seconds"].type == "histogram"


def test_text_layout():
    buf = io.StringIO()
    with OpenMetricsWriter(buf, time_offset=1000) as w:
        f = w.family("lat_seconds", "histogram", help="Latency\nin s.", unit="seconds")
        f.histogram({"pod": "p"}, [0, 1.5], [0.5, float("inf")], [[1, 2], [3, 3]], [0.4, 1.9],
                    [2, 3])
        c = w.family("jobs_total", "counter")
        c.samples({"q": 'a"b'}, [0], [1])
    assert buf.getvalue() == (
        "# TYPE lat_seconds histogram\n"
        "# UNIT lat_seconds seconds\n"
        "# HELP lat_seconds Latency\\nin s.\n"
        'lat_seconds_bucket{pod="p",le="0.5"} 1 1000\n'
        'lat_seconds_bucket{pod="p",le="+Inf"} 2 1000\n'
        'lat_seconds_sum{pod="p"} 0.4 1000\n'
        'lat_seconds_count{pod="p"} 2 1000\n'
        'lat_seconds_bucket{pod="p",le="0.5"} 3 1001.5\n'
        'lat_seconds_bucket{pod="p",le="+Inf"} 3 1001.5\n'
        'lat_seconds_sum{pod="p"} 1.9 1001.5\n'
        'lat_seconds_count{pod="p"} 3 1001.5\n'
        "# TYPE jobs counter\n"
        'jobs_total{q="a\\"b"} 1.0 1000\n'
        "# EOF\n")


def test_le_is_canonical():
    # The examples of OpenMetrics 1.0, "Considerations: Canonical Numbers".
    for x, s in ((0.0, "0.0"), (0.001, "0.001"), (0.002, "0.002"), (0.01, "0.01"),
                 (0.1, "0.1"), (0.9, "0.9"), (0.95, "0.95"), (0.99, "0.99"), (0.999, "0.999"),
                 (1.0, "1.0"), (1.7, "1.7"), (10.0, "10.0"), (1e-10, "1e-10"), (1e-09, "1e-09"),
                 (1e-05, "1e-05"), (0.0001, "0.0001"), (100000.0, "100000.0"),
                 (1e6, "1e+06"), (1e10, "1e+10"), (float("inf"), "+Inf"), (2.5e-3, "0.0025")):
        assert format_le(x) == s, x


def test_timestamps_survive_the_parsers_truncation():
    """The Go parser stores ``int64(ParseFloat(text) * 1000)``: every millisecond written
    comes back, including the ones where ms / 1000 * 1000 rounds below the integer."""
    rng = np.random.default_rng(0)
    ms = np.concatenate([np.arange(0, 200_000), 1_700_000_000_000 + rng.integers(0, 10**9, 50_000),
                         -np.arange(1, 5000)]).astype(np.int64)
    text = _timestamps(ms)
    back = np.array([int(float(s) * 1000.0) for s in text])
    assert np.array_equal(back, ms)
    assert text[:3] == ["0", "0.001", "0.002"] and _timestamps(np.array([1500]))[0] == "1.5"
    assert any(len(s) > 14 for s in text)  # some needed the neighbouring double


def test_streams_chunk_by_chunk(tmp_path: Path):
    """A week of 30 s samples written in one-hour chunks: each chunk is written before the
    next is produced, and the file reads back whole."""
    buf = io.StringIO()
    sizes: list[int] = []

    def chunks():
        for h in range(7 * 24):
            sizes.append(len(buf.getvalue()))
            t = h * 3600 + np.arange(0, 3600, 30.0)
            yield SeriesChunk({"pod": "a"}, t, t / 10)

    write_openmetrics(buf, [MetricFamily("up_seconds", "counter", chunks=chunks()),
                            MetricFamily("g", "gauge",
                                         chunks=[SeriesChunk({}, [0, 1], [1, 2])])])
    assert all(b > a for a, b in itertools.pairwise(sizes))
    back = read_openmetrics(io.StringIO(buf.getvalue())).store
    s = back.get({"__name__": "up_seconds_total", "pod": "a"})
    assert s is not None and len(s.t) == 7 * 24 * 120 and s.t[-1] == 7 * 86400 - 30


@pytest.mark.parametrize(("action", "match"), [
    (lambda w: w.family("x", "summary"), "not supported"),
    (lambda w: (w.family("x", "gauge"), w.family("x", "gauge")), "twice"),
    (lambda w: (w.family("x", "counter"), w.family("x_total", "gauge")), "clashes"),
    (lambda w: w.family("x_seconds", "gauge", unit="bytes"), "unit"),
    (lambda w: w.family("1x", "gauge"), "bad family name"),
    (lambda w: _two(w.family("x", "gauge"), {"a": "1"}, {"a": "2"}, {"a": "1"}), "interleaved"),
    (lambda w: w.family("x", "gauge").samples({}, [0, 0], [1, 2]), "strictly increase"),
    (lambda w: _later(w.family("x", "gauge")), "strictly increase"),
    (lambda w: w.family("x", "counter").samples({}, [0], [float("nan")]), "non-negative"),
    (lambda w: w.family("x", "counter").samples({}, [0], [-1]), "non-negative"),
    (lambda w: w.family("x", "gauge").samples({}, [0], [STALE_NAN]), "staleness"),
    (lambda w: w.family("x", "gauge").samples({"1a": "v"}, [0], [1]), "label name"),
    (lambda w: w.family("x", "gauge").samples({"__name__": "y"}, [0], [1]), "named y"),
    (lambda w: w.family("x", "gauge").samples({}, [0, 1], [1]), "values"),
    (lambda w: w.family("h", "histogram").samples({}, [0], [1]), "histogram()"),
    (lambda w: w.family("h", "histogram").histogram({"le": "1"}, [0], [float("inf")], [[1]],
                                                      [1], [1]), "'le'"),
    (lambda w: w.family("h", "histogram").histogram({}, [0], [1.0], [[1]], [1], [1]), r"\+Inf"),
    (lambda w: w.family("h", "histogram").histogram({}, [0], [1, float("inf")], [[2, 1]], [1],
                                                      [1]), "cumulative"),
    (lambda w: w.family("h", "histogram").histogram({}, [0], [float("inf")], [[2]], [1], [3]),
     "count differs"),
    (lambda w: w.family("g", "gauge").histogram({}, [0], [float("inf")], [[2]], [1], [2]),
     "not a histogram"),
    (lambda w: _old_family(w), "already finished"),
])
def test_writer_refuses(action, match):
    w = OpenMetricsWriter(io.StringIO())
    with pytest.raises(OpenMetricsError, match=match):
        action(w)


def _two(f, *labelsets):
    for i, lab in enumerate(labelsets):
        f.samples(lab, [i], [1])


def _later(f):
    f.samples({}, [0, 10], [1, 2])
    f.samples({}, [10], [3])


def _old_family(w):
    f = w.family("a", "gauge")
    w.family("b", "gauge")
    f.samples({}, [0], [1])


def test_staleness_markers_can_be_dropped():
    buf = io.StringIO()
    with OpenMetricsWriter(buf, drop_stale=True) as w:
        w.family("g", "gauge").samples({}, [0, 30, 60], [1, STALE_NAN, 2])
    assert buf.getvalue().count("\ng ") + buf.getvalue().startswith("g ") == 2


def test_store_families_needs_every_type():
    st = sample_store()
    with pytest.raises(OpenMetricsError, match="no type"):
        list(store_families(st, {"reqs": "counter"}))
    st.add({"__name__": "lat_seconds_bucket", "le": "0.5", "pod": "p"}, [0], [1])
    with pytest.raises(OpenMetricsError, match="different timestamps"):
        list(store_families(st, TYPES))


@pytest.mark.parametrize(("text", "match"), [
    ("# TYPE a gauge\na 1 0\n", "EOF"),
    ("# TYPE a gauge\na 1 0\n# EOF\na 2 1\n", "after # EOF"),
    ("# TYPE a gauge\na 1 0\n# TYPE b gauge\nb 1 0\na 2 1\n# EOF\n", "interleaved"),
    ('# TYPE a gauge\na{x="1"} 1 0\na{x="2"} 1 0\na{x="1"} 2 1\n# EOF\n', "interleaved"),
    ("# TYPE a gauge\na 1 5\na 2 5\n# EOF\n", "do not increase"),
    ("# TYPE a gauge\na 1\n# EOF\n", "without timestamp"),
    ("# TYPE a gauge\na{x=1} 1 0\n# EOF\n", "cannot parse|bad labels"),
    ("# TYPE a gauge\n# TYPE b gauge\n# TYPE a gauge\n# EOF\n", "interleaved"),
    ("# FOO a\n# EOF\n", "TYPE/HELP"),
    ('# TYPE h histogram\nh_bucket{le="1"} 1 0\nh_bucket{le="1"} 2 1\nh_count 1 0\n# EOF\n',
     "interleaved"),
])
def test_reader_refuses(text, match):
    with pytest.raises(OpenMetricsError, match=match):
        read_openmetrics(io.StringIO(text))


def _dump(promtool: str, db: Path) -> dict[tuple[tuple[str, str], ...], list[tuple[int, float]]]:
    """``promtool tsdb dump`` parsed: {labels: [(ms, value)]}."""
    (db / "wal").mkdir(exist_ok=True)  # dump opens the WAL too
    r = subprocess.run([promtool, "tsdb", "dump", str(db)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    out: dict[tuple[tuple[str, str], ...], list[tuple[int, float]]] = {}
    for line in r.stdout.splitlines():
        labels_text, value, ts = line.rsplit(" ", 2)
        pairs = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels_text)
        unq = {k: re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m[1], m[1]), v) for k, v in pairs}
        out.setdefault(tuple(sorted(unq.items())), []).append((int(ts), float(value)))
    return out


def test_promtool_builds_blocks_holding_every_sample(tmp_path: Path):
    promtool = tool("promtool")
    st = sample_store()
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.001, 20, 2000)).round(3)  # odd milliseconds, > 2 h of data
    st.add({"__name__": "temp_celsius", "room": "b"}, t, rng.normal(20, 3, len(t)))
    om = tmp_path / "m.om"
    offset = 1_700_000_000.0
    write_openmetrics(om, store_families(st, TYPES), time_offset=offset)
    r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(om),
                        str(tmp_path / "db")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    got = _dump(promtool, tmp_path / "db")
    assert set(got) == {s.labels for s in st}
    for s in st:
        pts = got[s.labels]
        assert [p[0] for p in pts] == (s.t_ms + round(offset * 1000)).tolist(), s
        vals = np.array([p[1] for p in pts])
        assert np.array_equal(vals, s.v, equal_nan=True), s


def test_promtool_silently_drops_out_of_order_samples(tmp_path: Path):
    """Why the writer and reader insist on increasing timestamps: promtool (2.42) does not
    reject a series that goes back in time, it keeps one of the samples and says nothing."""
    promtool = tool("promtool")
    bad = tmp_path / "bad.om"
    bad.write_text("# TYPE a gauge\na 1 10\na 2 5\n# EOF\n")
    r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(bad),
                        str(tmp_path / "db")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    assert sum(len(v) for v in _dump(promtool, tmp_path / "db").values()) == 1
    with pytest.raises(OpenMetricsError, match="do not increase"):
        read_openmetrics(bad)
    with pytest.raises(OpenMetricsError, match="strictly increase"):
        OpenMetricsWriter(io.StringIO()).family("a", "gauge").samples({}, [10, 5], [1, 2])
