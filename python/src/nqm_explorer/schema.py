"""The parameter schema as the Rust core exports it: keys, kinds, ranges, choices and defaults.

`make dist` reads it from the WebAssembly (`schema()` and `panels_json()`) into
``static/schema.json``; nothing here is a second copy of it. Values are checked field by field
as the core checks them (a number in its range, a whole number, one of the choices); the rules
between fields (such as batch <= n_data) are the panel's, and come back from it as named errors.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode


@lru_cache(maxsize=None)
def _data() -> dict:
    text = resources.files(__package__).joinpath("static/schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def fields() -> dict[str, dict]:
    """Every field of the schema, by key."""
    return {f["key"]: f for f in _data()["fields"]}


def panels() -> dict[str, dict]:
    """Every panel's spec (name, title, claim, keys, presets, ...), by name."""
    return {p["name"]: p for p in _data()["panels"]}


def panel_spec(name: str) -> dict:
    """The spec of panel `name`; ValueError naming the panels if there is none."""
    specs = panels()
    if name not in specs:
        raise ValueError(f"unknown panel {name!r}; the panels are {', '.join(specs)}")
    return specs[name]


def describe(field: dict) -> str:
    """The values a field takes, in words: its range or its choices."""
    kind = field["kind"]
    if kind == "real":
        return f"a number in [{_num(field['min'])}, {_num(field['max'])}]"
    if kind == "int":
        return f"a whole number in [{_num(field['min'])}, {_num(field['max'])}]"
    if kind == "bool":
        return "True or False"
    return "one of " + ", ".join(repr(o) for o in field["options"])


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def to_query_value(panel: str, key: str, value: Any) -> str:
    """`value` of `key` as the permalink writes it, after checking it against the schema.

    Raises ValueError naming the key and its range (or choices) for a value the core would
    refuse, and for a key that is not a parameter of `panel`.
    """
    spec = panel_spec(panel)
    if key not in spec["keys"]:
        raise ValueError(f"{key!r} is not a parameter of panel {panel!r}; its keys are {', '.join(spec['keys'])}")
    f = fields()[key]
    label = f" ({f['label']})" if f.get("label") else ""

    def bad(why: str) -> ValueError:
        return ValueError(f"{key} = {value!r}{label}: {why}; {key} takes {describe(f)}")

    kind = f["kind"]
    # A word some panels accept besides the range (`mu="auto"` on batch-size).
    if f.get("word") and isinstance(value, str) and value.strip() == f["word"]:
        return f["word"]
    if kind in ("real", "int"):
        if isinstance(value, bool):
            raise bad("not a number")
        if isinstance(value, str):
            try:
                value_num = float(value.strip())
            except ValueError:
                raise bad("not a number") from None
        elif isinstance(value, (int, float)):
            value_num = float(value)
        else:
            try:
                value_num = float(value)  # numpy scalars and the like
            except (TypeError, ValueError):
                raise bad("not a number") from None
        if not math.isfinite(value_num):
            raise bad("not a finite number")
        if kind == "int":
            if not value_num.is_integer():
                raise bad("not a whole number")
            out = str(int(value_num))
        else:
            out = repr(value_num)
        if not (f["min"] <= value_num <= f["max"]):
            raise bad("outside its range")
        return out
    if kind == "bool":
        if value in (True, 1, "1", "true"):
            return "1"
        if value in (False, 0, "0", "false"):
            return "0"
        raise bad("not True or False")
    if not isinstance(value, str) or value not in f["options"]:
        raise bad("not one of its choices")
    return value


def from_query_value(key: str, raw: str) -> Any:
    """A permalink value as a Python value of its field's kind."""
    f = fields()[key]
    kind = f["kind"]
    if f.get("word") and raw == f["word"]:
        return raw
    if kind == "real":
        return float(raw)
    if kind == "int":
        return int(raw)
    if kind == "bool":
        return raw in ("1", "true")
    return raw


def query(panel: str, params: dict[str, Any], base: str = "") -> str:
    """The permalink query of `panel` with `params` set on top of query `base` (each checked)."""
    panel_spec(panel)
    pairs = [(k, v) for k, v in parse_qsl(base, keep_blank_values=True) if k != "panel"]
    values = dict(pairs)
    for k, v in params.items():
        values[k] = to_query_value(panel, k, v)
    head = [("v", values.pop("v"))] if "v" in values else []
    return urlencode(head + [("panel", panel)] + list(values.items()), safe=",")


def params_of(panel: str, q: str) -> dict[str, Any]:
    """The panel's parameters in query `q`, with the schema's defaults for keys it lacks."""
    spec = panel_spec(panel)
    given = dict(parse_qsl(spec["defaults"], keep_blank_values=True))
    given.update(parse_qsl(q, keep_blank_values=True))
    known = fields()
    out = {}
    for k in spec["keys"]:
        raw = given.get(k, known[k]["default"])
        try:
            out[k] = from_query_value(k, raw)
        except ValueError:
            out[k] = raw
    return out
