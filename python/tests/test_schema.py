"""The widget's parameters against the Rust schema (static/schema.json, exported from the
WebAssembly by `make dist`): keys, ranges, choices and defaults come from there, a bad value
raises ValueError naming the key and its range, and the version is Cargo.toml's."""

import asyncio
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

import nqm_explorer
from nqm_explorer import Panel, schema

ROOT = Path(__file__).resolve().parents[2]
# The permalink schema's version `v`, from the Rust source that writes it.
V = re.search(r"SCHEMA_VERSION: u32 = (\d+);", (ROOT / "src/params/query.rs").read_text()).group(1)


def test_version_is_cargo_tomls():
    cargo = (ROOT / "Cargo.toml").read_text()
    assert nqm_explorer.__version__ == re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
    assert schema._data()["version"] == nqm_explorer.__version__


def test_schema_is_the_one_rust_exports():
    # Every panel and field the Rust core knows, nothing added or left out.
    fields = schema.fields()
    assert {"lr", "mu", "noise", "walkers", "seed", "batch", "n_data"} <= set(fields)
    for spec in schema.panels().values():
        assert set(spec["keys"]) <= set(fields), spec["name"]
        assert dict(parse_qsl(spec["defaults"]))["panel"] == spec["name"]
    assert fields["lr"]["kind"] == "real" and fields["lr"]["min"] > 0
    assert "general" in fields["noise"]["options"]


def test_panel_query_holds_the_given_values_on_the_panels_defaults():
    p = Panel("ellipses", lr=1.2, noise="general")
    q = dict(parse_qsl(p.query))
    assert (q["v"], q["panel"], q["lr"], q["noise"]) == (V, "ellipses", "1.2", "general")
    assert p.lr == 1.2 and p.noise == "general"
    assert p.params["mu"] == 0.0 and isinstance(p.params["walkers"], int)
    p.lr = 1.8
    assert p.lr == 1.8 and dict(parse_qsl(p.query))["lr"] == "1.8"
    p.set(mu=0.5, walkers=2000)
    assert (p.mu, p.walkers) == (0.5, 2000)


def test_every_default_validates():
    for spec in schema.panels().values():
        params = schema.params_of(spec["name"], spec["defaults"])
        for key, value in params.items():
            schema.to_query_value(spec["name"], key, value)


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("lr", 99, ["lr", "[0.001, 4]"]),
        ("lr", -1.0, ["lr", "range"]),
        ("lr", float("nan"), ["lr", "finite"]),
        ("lr", "fast", ["lr", "not a number"]),
        ("lr", True, ["lr", "not a number"]),
        ("walkers", 10.5, ["walkers", "whole number"]),
        ("walkers", 0, ["walkers", "range"]),
        ("noise", "pink", ["noise", "'general'"]),
        ("replace", "maybe", ["replace", "True or False"]),
    ],
)
def test_a_bad_value_raises_naming_the_key_and_its_range(key, value, words):
    p = Panel("ellipses")
    before = p.query
    with pytest.raises(ValueError) as e:
        setattr(p, key, value)
    for w in words:
        assert w in str(e.value)
    assert p.query == before, "a refused value changed the state"
    with pytest.raises(ValueError):
        Panel("ellipses", **{key: value})


def test_ranges_are_the_schemas():
    f = schema.fields()["lr"]
    Panel("ellipses", lr=f["max"])
    Panel("ellipses", lr=f["min"])
    with pytest.raises(ValueError):
        Panel("ellipses", lr=f["max"] * 1.001)


def test_keys_of_another_panel_and_unknown_panels_are_refused():
    with pytest.raises(ValueError, match="'points' is not a parameter of panel 'ellipses'"):
        Panel("ellipses", points=5)
    p = Panel("ellipses")
    with pytest.raises(ValueError, match="points"):
        p.points = 5
    with pytest.raises(ValueError, match="unknown panel 'nope'; the panels are ellipses"):
        Panel("nope")
    assert Panel("lr-sweep", points=5).points == 5


def test_link_uses_the_base_url(monkeypatch):
    p = Panel("lr-sweep", points=5, base_url="https://example.org/nqm/")
    assert p.link == "https://example.org/nqm/?" + p.query
    monkeypatch.setenv("NQM_EXPLORER_URL", "https://notes.example/explorer/")
    assert Panel("ellipses").link.startswith(f"https://notes.example/explorer/?v={V}&panel=ellipses&")
    monkeypatch.delenv("NQM_EXPLORER_URL")
    assert Panel("ellipses").link.startswith(nqm_explorer.DEFAULT_BASE_URL + "?")


def test_the_wheel_carries_the_widget():
    static = Path(schema.__file__).parent / "static"
    wasm = (static / "nqm_explorer_bg.wasm").read_bytes()
    assert wasm[:4] == b"\0asm"
    js = (static / "widget.mjs").read_text()
    assert "export default { render }" in js and "class PanelView" in js
    assert Panel("ellipses")._wasm == wasm


def test_figure_and_readouts_before_the_frontend_answers():
    p = Panel("ellipses")
    assert p.figure() is None and p.readouts == {} and not p.complete
    # What the frontend sends back is what Python reads.
    p._state = {"query": p.query, "complete": True}
    p._figure = {"panel": "ellipses", "complete": True}
    assert p.complete and p.figure() == {"panel": "ellipses", "complete": True}
    asyncio.run(p.wait(timeout=1))  # complete: returns at once
    p.lr = 1.9
    assert not p.complete, "the state changed: the frontend's answer is for the old one"
    json.dumps(p.figure())
    with pytest.raises(TimeoutError, match="computes in the notebook's frontend"):
        asyncio.run(p.wait(timeout=0.1))
