"""A measured spectrum for the panels that take one (``Panel("batch-size", spectrum=...)``).

The spectrum is checked here first — a 1-D array of curvatures h, or a 2-D array of n rows
(h, c) or (h, c, count), every value finite and non-negative, every count a whole number of at
least 1 — with a ValueError naming the row (from 1) and the column, as the Rust core names
them. It then goes to the panel as CSV text, each number written with ``repr`` so that it reads
back exactly, and the core checks it again (the rules it alone knows, such as the largest value,
come back in ``Panel.errors``).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

#: The columns of a spectrum, in order.
COLUMNS = ("h", "c", "count")


def _rows_of(value: Any) -> list:
    """`value` (a numpy array, a list, a tuple) as a list of rows (or of numbers)."""
    if hasattr(value, "tolist"):
        value = value.tolist()  # numpy: nested lists of Python numbers
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(
            f"spectrum: expected a 1-D array of h or a 2-D array of rows (h, c) or (h, c, count), "
            f"got {type(value).__name__}"
        )
    return list(value)


def _number(x: Any, row: int, column: str) -> float:
    """One cell, checked: a finite, non-negative number."""
    where = f"spectrum row {row}, column {column}"
    if isinstance(x, bool) or isinstance(x, (str, bytes)):
        raise ValueError(f"{where}: {x!r} is not a number")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {x!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{where}: not a finite number")
    if v < 0:
        raise ValueError(f"{where}: {v!r} is negative")
    return v


def rows(value: Any) -> list[tuple]:
    """The validated rows of `value`: tuples (h,), (h, c) or (h, c, count)."""
    data = _rows_of(value)
    if not data:
        raise ValueError("spectrum: it has no rows")
    one_d = not isinstance(data[0], (list, tuple))
    width = 1 if one_d else len(data[0])
    if not 1 <= width <= 3:
        raise ValueError(f"spectrum row 1: has {width} columns; a spectrum has 1 to 3 (h, c, count)")
    out = []
    for i, r in enumerate(data):
        row = i + 1
        cells = [r] if one_d else r
        if one_d and isinstance(r, (list, tuple)) or not one_d and not isinstance(r, (list, tuple)):
            raise ValueError(f"spectrum row {row}: the rows are not all of the same shape")
        if len(cells) != width:
            raise ValueError(f"spectrum row {row}: has {len(cells)} columns, expected {width}")
        values = [_number(x, row, COLUMNS[k]) for k, x in enumerate(cells)]
        if width == 3:
            if not values[2].is_integer() or values[2] < 1:
                raise ValueError(f"spectrum row {row}, column count: {cells[2]!r} is not a whole number of at least 1")
            values[2] = int(values[2])
        out.append(tuple(values))
    if all(r[0] == 0 for r in out):
        raise ValueError("spectrum row 1, column h: every curvature is 0")
    return out


def to_csv(checked: list[tuple]) -> str:
    """Rows from :func:`rows` as CSV with a header, numbers written to read back exactly."""
    width = len(checked[0])
    lines = [",".join(COLUMNS[:width])]
    for r in checked:
        lines.append(",".join(str(x) if isinstance(x, int) else repr(x) for x in r))
    return "\n".join(lines) + "\n"
