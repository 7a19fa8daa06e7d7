"""`Panel`: a live nqm-explorer panel in a notebook cell (an anywidget)."""

from __future__ import annotations

import copy
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any, Optional

import anywidget
import traitlets

from . import schema

STATIC = Path(str(resources.files(__package__).joinpath("static")))

#: The explorer that `Panel.link` points to when no `base_url` is given: `make serve`'s address,
#: unless the environment variable NQM_EXPLORER_URL names another (your deployment's).
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"


def default_base_url() -> str:
    return os.environ.get("NQM_EXPLORER_URL") or DEFAULT_BASE_URL


class Panel(anywidget.AnyWidget):
    """A live panel of nqm-explorer, drawn and computed in the notebook's frontend.

    ``Panel("ellipses", lr=1.2, noise="general")`` takes the permalink's keys; each value is
    checked against the Rust schema at once (ValueError naming the key and its range). Set a
    parameter as an attribute (``p.lr = 1.8``) or several with ``p.set(...)``; read them with
    ``p.lr`` or ``p.params``.

    The panel computes in the frontend, not in the kernel: ``readouts`` (a dict keyed by the
    readouts' keys) and ``figure()`` follow once the frontend has sent them back. ``p.wait()``
    blocks until the frontend has finished the current state (theory, and every Monte Carlo
    point); the panel must be shown in a cell for that to happen. Rules between fields (such
    as batch <= n_data) are the panel's: what it changed comes back in ``errors``.
    """

    _esm = STATIC / "widget.mjs"
    _css = STATIC / "widget.css"

    query = traitlets.Unicode("").tag(sync=True)
    _wasm = traitlets.Bytes(b"").tag(sync=True)
    readouts = traitlets.Dict().tag(sync=True)
    errors = traitlets.List().tag(sync=True)
    _state = traitlets.Dict().tag(sync=True)
    _figure = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, panel: str = "ellipses", *, base_url: Optional[str] = None, **params: Any):
        spec = schema.panel_spec(panel)
        q = schema.query(panel, params, spec["defaults"])
        object.__setattr__(self, "_keys", tuple(spec["keys"]))
        object.__setattr__(self, "_panel", panel)
        object.__setattr__(self, "base_url", base_url or default_base_url())
        super().__init__(query=q, _wasm=(STATIC / "nqm_explorer_bg.wasm").read_bytes())

    # Parameters as attributes: p.lr, p.lr = 1.8.
    def __getattr__(self, name: str) -> Any:
        keys = self.__dict__.get("_keys", ())
        if name in keys:
            return self.params[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        keys = self.__dict__.get("_keys", ())
        if name in keys and not self.has_trait(name):
            self.set(**{name: value})
        elif not name.startswith("_") and name in schema.fields() and not self.has_trait(name) and keys:
            raise ValueError(f"{name!r} is not a parameter of panel {self._panel!r}; its keys are {', '.join(keys)}")
        else:
            super().__setattr__(name, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_keys", ())))

    @property
    def panel(self) -> str:
        """The panel's name."""
        return self._panel

    @property
    def params(self) -> dict:
        """The panel's parameters, keyed as in the permalink."""
        return schema.params_of(self._panel, self.query)

    def set(self, **params: Any) -> "Panel":
        """Sets parameters (each checked: ValueError naming the key and its range); the panel
        follows in the frontend."""
        self.query = schema.query(self._panel, params, self.query)
        return self

    @property
    def link(self) -> str:
        """The permalink to this state on the explorer at `base_url`."""
        return f"{self.base_url}?{self.query}"

    @property
    def complete(self) -> bool:
        """Whether the frontend has finished the current state (theory and Monte Carlo)."""
        return self._state.get("query") == self.query and bool(self._state.get("complete"))

    def figure(self, wait: bool = False, timeout: float = 120.0) -> Optional[dict]:
        """The latest complete figure the frontend sent back, in the public JSON format (None
        before the first); with ``wait=True``, that of the current state (see `wait`)."""
        if wait:
            self.wait(timeout)
        return copy.deepcopy(self._figure)

    def wait(self, timeout: float = 120.0) -> "Panel":
        """Blocks until the frontend has computed the current state: readouts and figure are
        then those of ``p.query``. The panel computes in the notebook's frontend, so it must be
        shown in a cell; widget messages are processed meanwhile (jupyter-ui-poll)."""
        if self.complete:
            return self
        from jupyter_ui_poll import ui_events

        deadline = time.monotonic() + timeout
        with ui_events() as poll:
            while not self.complete:
                poll(20)
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the panel did not finish within {timeout} s: it computes in the notebook's "
                        "frontend, so it must be shown in a cell (end a cell with the panel, or "
                        "display(p)); a long Monte Carlo run may need a longer timeout"
                    )
                time.sleep(0.02)
        return self

    def __repr__(self) -> str:
        return f"Panel({self._panel!r}, query={self.query!r})"
