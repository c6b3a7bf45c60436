"""The simulated monitoring as files Prometheus loads: ``metrics.om`` and TSDB blocks.

Each run writes in its worker (:func:`export_run`), per 2-hour TSDB block window (aligned
as ``promtool`` aligns blocks: multiples of 2 h since the Unix epoch), one OpenMetrics
file that ``promtool tsdb create-blocks-from openmetrics`` turns into that window's block
— promtool (2.42, ``cmd/promtool/backfill.go``) re-reads its whole input once per 2-hour
block, so one file per window makes it read each sample once instead of 84 times for a
week — and it appends each metric's text of the window to a per-family fragment with an
index. The parent then merges the fragments of all runs into one ``metrics.om``
(:func:`assemble_export`) by copying byte ranges, family by family, metric by metric, as
OpenMetrics requires (families and metrics not interleaved, timestamps increasing). Only
one window's text (a few MB) is in memory at a time.

Runs follow each other in time: run ``r`` starts ``run_shift(r, duration)`` after
``epoch`` (default :data:`DEFAULT_EPOCH`, Monday 2026-01-05 00:00 UTC), the smallest whole
number of weeks longer than the run plus an hour, so weekdays stay weekdays and no rate
window or lookback reaches from one run into the next.

:func:`process_run` is what a study hands the observer
(``MonitoringSettings(process=functools.partial(process_run, ...))``): the alerts of
:mod:`capacity.analysis.monitoring_summary` and, with an export folder, the files.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import pickle
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from capacity.analysis.monitoring_summary import (
    RULE_INTERVAL,
    evaluate_alerts,
    rule_metric_names,
    series_store,
)
from capacity.analysis.openmetrics import OpenMetricsWriter
from capacity.sim.monitoring import FAMILIES, LE, MonitoringRun

__all__ = [
    "BLOCK_SECONDS",
    "DEFAULT_EPOCH",
    "assemble_export",
    "export_run",
    "export_staging",
    "process_run",
    "run_shift",
]

#: Run 0 starts at 2026-01-05T00:00:00Z, a Monday (the load profiles' default start).
DEFAULT_EPOCH = 1767571200.0
#: ``tsdb.DefaultBlockDuration``: promtool cuts its input into blocks of 2 hours.
BLOCK_SECONDS = 7200.0
WEEK = 7 * 86400.0
_BLOCK_MS = int(BLOCK_SECONDS * 1000)


def run_shift(run: int, duration: float) -> float:
    """Seconds from run 0's start to run ``run``'s in the exported files."""
    weeks = math.floor((duration + 3600.0) / WEEK) + 1
    return run * weeks * WEEK


def process_run(run: MonitoringRun, *, alerts: bool = True,
                rule_interval: float | None = RULE_INTERVAL, export_dir: str | None = None,
                epoch: float = DEFAULT_EPOCH, promtool: str | None = None,
                keep_store: bool = False) -> dict[str, Any]:
    """A run's monitoring result (``outcome.extra["monitoring"]``): ``scrape_interval``,
    ``scrapes``, ``series``, ``samples``, the alerts of
    :func:`~capacity.analysis.monitoring_summary.evaluate_alerts` (``alerts``,
    ``alert_intervals``, ``rule_interval``; None with ``alerts=False``), ``export`` (what
    :func:`assemble_export` needs, with ``export_dir``) and ``store`` (with
    ``keep_store``: the series with staleness markers). Raises RuntimeError if promtool
    fails."""
    out: dict[str, Any] = {
        "scrape_interval": run.scrape_interval, "scrapes": run.scrapes,
        "series": run.series_count(), "samples": run.samples(),
        "alerts": None, "alert_intervals": None, "rule_interval": rule_interval,
        "export": None,
    }
    if alerts or keep_store:
        # Only what the rules read, unless the caller wants the whole store.
        store = series_store(run, names=None if keep_store else rule_metric_names(run.rule))
        if alerts:
            out.update(evaluate_alerts(run, store, rule_interval))
        if keep_store:
            out["store"] = store
        del store  # not held while the files are written
    if export_dir is not None:
        out["export"] = export_run(run, export_dir, epoch=epoch, promtool=promtool)
    return out


def export_run(run: MonitoringRun, export_dir: str | os.PathLike[str], *,
               epoch: float = DEFAULT_EPOCH, promtool: str | None = None) -> dict[str, Any]:
    """Write one run's window files (→ promtool blocks, with ``promtool``) and family
    fragments under ``export_dir/run-<n>``; returns their description for
    :func:`assemble_export`. Raises RuntimeError if promtool fails, OSError on I/O."""
    root = Path(export_dir) / f"run-{run.run}"
    root.mkdir(parents=True, exist_ok=True)
    base_ms = round((epoch + run_shift(run.run, run.duration)) * 1000)
    step_ms = round(run.scrape_interval * 1000)
    order = list(FAMILIES)
    series = sorted(run.series, key=lambda s: (order.index(s.family), s.key))
    abs_ms = [base_ms + s.k * step_ms for s in series]
    all_w = (np.unique(np.concatenate([np.unique(ms // _BLOCK_MS) for ms in abs_ms]))
             if series else np.zeros(0, np.int64))
    cursor = [0] * len(series)
    frags: dict[str, Any] = {}
    index: list[tuple[str, tuple[tuple[str, str], ...], int, int, int]] = []
    blocks = root / "blocks"
    written = 0
    try:
        for w in all_w.tolist():
            buf = io.StringIO()
            wr = OpenMetricsWriter(buf)
            fam_writer: Any = None
            fam_name = None
            spans: list[tuple[str, tuple[tuple[str, str], ...], int, int]] = []
            for i, s in enumerate(series):
                lo = cursor[i]
                ms = abs_ms[i]
                if lo >= len(ms) or ms[lo] // _BLOCK_MS != w:
                    continue
                hi = int(np.searchsorted(ms, (w + 1) * _BLOCK_MS, side="left"))
                cursor[i] = hi
                if s.family != fam_name:
                    fam_name = s.family
                    ty, help_ = FAMILIES[s.family]
                    fam_writer = wr.family(s.family, ty, help_)
                a = buf.tell()
                t = abs_ms[i][lo:hi] / 1000.0
                if s.hist is not None:
                    bk, sm, ct = s.hist
                    fam_writer.histogram(s.labels, t, LE, bk[lo:hi], sm[lo:hi], ct[lo:hi])
                else:
                    fam_writer.samples(s.labels, t, s.v[lo:hi])  # type: ignore[index]
                spans.append((s.family, s.key, a, buf.tell()))
            wr.close()
            text = buf.getvalue()
            # The writer and its family writer refer to each other: free the buffer now
            # rather than when the cycle collector gets to it (memory stays one window).
            buf.close()
            for fam, key, a, b in spans:
                fh = frags.get(fam)
                if fh is None:
                    fh = frags[fam] = open(root / f"{fam}.frag", "ab")  # noqa: SIM115
                data = text[a:b].encode("utf-8")
                index.append((fam, key, w, fh.tell(), len(data)))
                fh.write(data)
                written += len(data)
            if promtool is not None:
                win = root / f"window-{w}.om"
                win.write_text(text, encoding="utf-8")
                r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "-q",
                                    str(win), str(blocks)],
                                   capture_output=True, text=True, timeout=600)
                win.unlink()
                if r.returncode != 0:
                    raise RuntimeError("promtool tsdb create-blocks-from openmetrics failed on "
                                       f"run {run.run}: {(r.stderr or r.stdout).strip()[-2000:]}")
    finally:
        for fh in frags.values():
            fh.close()
    idx_path = root / "index.pkl"
    with open(idx_path, "wb") as fh:
        pickle.dump(index, fh)
    return {"dir": str(root), "index": str(idx_path), "bytes": written,
            "blocks": str(blocks) if promtool is not None else None,
            "start": base_ms / 1000.0, "windows": len(all_w)}


# --- the parent: one metrics.om and one blocks/ from every run ------------------------------


@contextlib.contextmanager
def export_staging(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder beside ``target`` for the runs' exports; removed afterwards
    (with the parent folders it had to create, when nothing landed in them)."""
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    made = []
    p = parent
    while not p.exists() and p != p.parent:
        made.append(p)
        p = p.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for d in made:
            with contextlib.suppress(OSError):
                d.rmdir()


def _header(family: str) -> str:
    buf = io.StringIO()
    ty, help_ = FAMILIES[family]
    OpenMetricsWriter(buf).family(family, ty, help_)
    return buf.getvalue()


def assemble_export(target: str | os.PathLike[str], staging: str | os.PathLike[str],
                    exports: Sequence[dict[str, Any] | None]) -> dict[str, Any]:
    """Merge the runs' exports (:func:`export_run`'s results, in run order) into
    ``target/metrics.om`` and ``target/blocks/`` (when blocks were built), written whole:
    everything is assembled in ``staging`` (on the same file system) and renamed into
    place at the end; an existing ``metrics.om`` and ``blocks/`` are replaced, other files
    in ``target`` are left alone. Returns ``{"path", "bytes", "blocks", "runs"}``."""
    target, staging = Path(target), Path(staging)
    parts = [e for e in exports if e is not None]
    out = staging / "assembled"
    out.mkdir()
    by_family: dict[str, dict[tuple[tuple[str, str], ...], list[tuple[int, int, int, int]]]] = {}
    for r, e in enumerate(parts):
        with open(e["index"], "rb") as fh:
            for fam, key, w, off, n in pickle.load(fh):
                by_family.setdefault(fam, {}).setdefault(key, []).append((r, w, off, n))
    om = out / "metrics.om"
    with open(om, "wb") as dst:
        for fam in FAMILIES:
            metrics = by_family.get(fam)
            if not metrics:
                continue
            dst.write(_header(fam).encode("utf-8"))
            handles = {r: open(Path(e["dir"]) / f"{fam}.frag", "rb")  # noqa: SIM115
                       for r, e in enumerate(parts) if (Path(e["dir"]) / f"{fam}.frag").exists()}
            try:
                for key in sorted(metrics):
                    # runs in order, windows in order: the metric's samples in time order
                    for r, _w, off, n in sorted(metrics[key]):
                        fh = handles[r]
                        fh.seek(off)
                        dst.write(fh.read(n))
            finally:
                for fh in handles.values():
                    fh.close()
        dst.write(b"# EOF\n")
    nblocks = 0
    blocks = [Path(e["blocks"]) for e in parts if e.get("blocks")]
    if blocks:
        bdir = out / "blocks"
        bdir.mkdir()
        for b in blocks:
            if not b.exists():
                continue
            for d in sorted(b.iterdir()):
                if d.is_dir() and not d.name.startswith(".") and (d / "meta.json").exists():
                    os.replace(d, bdir / d.name)
                    nblocks += 1
    size = om.stat().st_size
    _land(out, target, ["metrics.om", "blocks"] if blocks else ["metrics.om"])
    return {"path": str(target / "metrics.om"), "bytes": size,
            "blocks": nblocks if blocks else None, "runs": len(parts)}


def _land(src: Path, target: Path, names: list[str]) -> None:
    """Rename ``src`` to ``target`` (absent), or its ``names`` into ``target`` (present),
    the old ones moved aside first and put back if a rename fails."""
    if not target.exists():
        os.replace(src, target)
        return
    if not target.is_dir():
        raise OSError(f"{target}: exists and is not a directory")
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    moved: list[str] = []
    done: list[str] = []
    try:
        for n in names:
            if (target / n).exists():
                os.replace(target / n, aside / n)
                moved.append(n)
        for n in names:
            os.replace(src / n, target / n)
            done.append(n)
    except OSError:
        for n in done:
            with contextlib.suppress(OSError):
                os.replace(target / n, src / n)
        for n in moved:
            with contextlib.suppress(OSError):
                os.replace(aside / n, target / n)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
