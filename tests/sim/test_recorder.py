"""The recorder's rows become one contiguous array per column, and can let go of the rows."""

from __future__ import annotations

import numpy as np

from capacity.sim.recorder import TIMESERIES_COLUMNS, Recorder


def test_columns_from_rows_and_release():
    rec = Recorder(run=0)
    k = len(TIMESERIES_COLUMNS)
    rows = [tuple(float(10 * r + c) for c in range(k)) for r in range(3)]
    for row in rows:
        rec.row(row)
    assert rec.column("offered_rps").tolist() == [1.0, 11.0, 21.0]
    cols = rec.column_arrays(release=True)
    assert list(cols) == list(TIMESERIES_COLUMNS)
    for c, name in enumerate(TIMESERIES_COLUMNS):
        assert cols[name].tolist() == [r[c] for r in rows]
        assert cols[name].flags.c_contiguous
    assert len(rec.flat) == 0  # the rows are gone; the columns are the copy left
    block = cols["time"].base
    assert block is not None and block.flags.c_contiguous and block.shape == (k, 3)
    assert all(v.base is block for v in cols.values())  # one block, a row per column
    cols["time"][0] = -1.0  # columns do not alias each other
    assert cols["offered_rps"][0] == 1.0


def test_no_rows_give_empty_columns():
    cols = Recorder(run=0).column_arrays()
    assert all(isinstance(v, np.ndarray) and v.shape == (0,) for v in cols.values())
