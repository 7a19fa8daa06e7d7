"""A measured spectrum from Python: checked before it reaches the panel (ValueError naming the
row, from 1, and the column h, c or count), written as CSV that reads back exactly, refused by
the panels that take none, and removed with ``p.spectrum = None``."""

import math

import pytest

from nqm_explorer import Panel, schema
from nqm_explorer.spectrum import rows, to_csv

try:
    import numpy as np
except ImportError:  # numpy is optional: lists work the same
    np = None


def test_the_spectrum_panels_are_the_cores():
    takes = sorted(n for n, s in schema.panels().items() if s.get("spectrum"))
    assert takes == ["batch-size", "bayes", "escape", "training-loss", "your-model"]


@pytest.mark.parametrize(
    "value, shape",
    [
        ([3.0, 1.0, 0.25], [(3.0,), (1.0,), (0.25,)]),
        ([[3, 1.5], [1, 0.5]], [(3.0, 1.5), (1.0, 0.5)]),
        ([[3, 1.5, 2], [1, 0.5, 10.0]], [(3.0, 1.5, 2), (1.0, 0.5, 10)]),
    ],
)
def test_lists_of_one_two_or_three_columns(value, shape):
    assert rows(value) == shape
    if np is not None:
        assert rows(np.array(value, dtype=float)) == shape


@pytest.mark.parametrize(
    "value, words",
    [
        ([1.0, 0.5, -0.1], "spectrum row 3, column h: -0.1 is negative"),
        ([[1.0, 0.5], [2.0, math.nan]], "spectrum row 2, column c: not a finite number"),
        ([[1.0, 0.5], [2.0, math.inf]], "spectrum row 2, column c: not a finite number"),
        ([[1.0, 0.5, 1], [2.0, 0.1, 1.5]], "spectrum row 2, column count: 1.5 is not a whole number of at least 1"),
        ([[1.0, 0.5, 0]], "spectrum row 1, column count: 0 is not a whole number of at least 1"),
        ([[1.0, 0.5], [2.0, 0.1, 3]], "spectrum row 2: has 3 columns, expected 2"),
        ([[1, 2, 3, 4]], "spectrum row 1: has 4 columns; a spectrum has 1 to 3"),
        ([1.0, "x"], "spectrum row 2, column h: 'x' is not a number"),
        ([1.0, True], "spectrum row 2, column h: True is not a number"),
        ([[1.0], 2.0], "spectrum row 2: the rows are not all of the same shape"),
        ([0.0, 0.0], "spectrum row 1, column h: every curvature is 0"),
        ([], "spectrum: it has no rows"),
        ("1 2 3", "spectrum: expected a 1-D array"),
        (5.0, "spectrum: expected a 1-D array"),
    ],
)
def test_a_bad_spectrum_names_its_row_and_column(value, words):
    with pytest.raises(ValueError) as e:
        rows(value)
    assert words in str(e.value)


@pytest.mark.skipif(np is None, reason="numpy is not installed")
def test_numpy_arrays_of_every_shape_and_a_bad_one():
    assert rows(np.array([2.0, 1.0])) == [(2.0,), (1.0,)]
    with pytest.raises(ValueError, match="row 2, column h: -1.0 is negative"):
        rows(np.array([[1.0, 0.5], [-1.0, 0.5]]))
    with pytest.raises(ValueError, match="has 1 to 3"):
        rows(np.zeros((3, 4)))


def test_csv_reads_back_exactly():
    values = [0.1, 1 / 3, 2.0**-40, 1e-300, 123456789.123456789, 0.0]
    text = to_csv(rows([[h, h / 7, 3] for h in values[:-1]] + [[0.0, 0.0, 1]]))
    lines = text.splitlines()
    assert lines[0] == "h,c,count"
    back = [tuple(float(x) for x in line.split(",")) for line in lines[1:]]
    assert [b[0] for b in back] == values
    assert [b[1] for b in back] == [h / 7 for h in values]
    assert to_csv(rows([2.5, 1e-05])) == "h\n2.5\n1e-05\n"


def test_panel_takes_removes_and_refuses_a_spectrum():
    p = Panel("batch-size", spectrum=[[3.0, 1.5], [1.0, 0.5]])
    assert p.spectrum == [(3.0, 1.5), (1.0, 0.5)]
    assert p._spectrum["csv"] == "h,c\n3.0,1.5\n1.0,0.5\n"
    first = p._spectrum["id"]
    assert not p.complete  # the frontend has not answered for this spectrum
    p.spectrum = None
    assert p.spectrum is None and p._spectrum == {"id": first + 1, "csv": ""}
    with pytest.raises(ValueError, match="spectrum row 2, column h: -2.0 is negative"):
        p.spectrum = [1.0, -2.0]
    assert p.spectrum is None and p._spectrum["id"] == first + 1  # nothing changed
    assert "spectrum" not in p.query
    with pytest.raises(ValueError, match="the panel 'ellipses' takes no spectrum; the panels that do are .*batch-size"):
        Panel("ellipses", spectrum=[1.0])
    with pytest.raises(ValueError, match="row 1, column h"):
        Panel("batch-size", spectrum=[-1.0])
