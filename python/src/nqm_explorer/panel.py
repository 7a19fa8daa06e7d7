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
from . import spectrum as _spectrum

STATIC = Path(str(resources.files(__package__).joinpath("static")))

#: The explorer that `Panel.link` points to when no `base_url` is given: `make serve`'s address,
#: unless the environment variable NQM_EXPLORER_URL names another (your deployment's).
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"


def default_base_url() -> str:
    return os.environ.get("NQM_EXPLORER_URL") or DEFAULT_BASE_URL


def _kernel_can_iterate() -> bool:
    """Whether the running IPython kernel processes its messages one at a time on request
    (ipykernel before 7, which jupyter-ui-poll drives)."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
    except ImportError:
        return False
    return kernel is not None and hasattr(kernel, "do_one_iteration")


class Panel(anywidget.AnyWidget):
    """A live panel of nqm-explorer, drawn and computed in the notebook's frontend.

    ``Panel("ellipses", lr=1.2, noise="general")`` takes the permalink's keys; each value is
    checked against the Rust schema at once (ValueError naming the key and its range). Set a
    parameter as an attribute (``p.lr = 1.8``) or several with ``p.set(...)``; read them with
    ``p.lr`` or ``p.params``.

    The panel computes in the frontend, not in the kernel: ``readouts`` (a dict keyed by the
    readouts' keys) and ``figure()`` follow once the frontend has sent them back. ``await
    p.wait()`` waits until the frontend has finished the current state (theory, and every Monte
    Carlo point); the panel must be shown in a cell for that to happen. Rules between fields (such
    as batch <= n_data) are the panel's: what it changed comes back in ``errors``.

    The panels that take a measured spectrum (``schema.panels()[name]["spectrum"]``) take it as
    ``spectrum=``: a 1-D array of curvatures h, or a 2-D array of rows (h, c) or (h, c, count)
    (numpy or lists), checked at once (ValueError naming the row and column); it replaces the
    power law. ``p.spectrum = None`` removes it.
    """

    _esm = STATIC / "widget.mjs"
    _css = STATIC / "widget.css"

    query = traitlets.Unicode("").tag(sync=True)
    # The measured spectrum as CSV text ("" for none) and a number that changes with it, which
    # the frontend echoes in its state (so that `complete` waits for the new spectrum).
    _spectrum = traitlets.Dict({"id": 0, "csv": ""}).tag(sync=True)
    _wasm = traitlets.Bytes(b"").tag(sync=True)
    # What the frontend sends back, as messages (see python/js/widget.js), for `_state["query"]`.
    readouts = traitlets.Dict()
    errors = traitlets.List()
    _state = traitlets.Dict()
    _figure = traitlets.Dict(allow_none=True, default_value=None)

    def __init__(
        self, panel: str = "ellipses", *, base_url: Optional[str] = None, spectrum: Any = None, **params: Any
    ):
        spec = schema.panel_spec(panel)
        q = schema.query(panel, params, spec["defaults"])
        object.__setattr__(self, "_keys", tuple(spec["keys"]))
        object.__setattr__(self, "_panel", panel)
        object.__setattr__(self, "base_url", base_url or default_base_url())
        object.__setattr__(self, "_spectrum_rows", None)
        first = self._checked_spectrum(spectrum)
        super().__init__(query=q, _wasm=(STATIC / "nqm_explorer_bg.wasm").read_bytes())
        self.on_msg(self._from_frontend)
        if first is not None:
            self._put_spectrum(first)

    def _checked_spectrum(self, value: Any) -> Optional[list]:
        """The rows of a spectrum for this panel (None: none), or ValueError saying why not."""
        if value is None:
            return None
        if not schema.panel_spec(self._panel).get("spectrum"):
            takes = [n for n, s in schema.panels().items() if s.get("spectrum")]
            raise ValueError(f"the panel {self._panel!r} takes no spectrum; the panels that do are {', '.join(takes)}")
        return _spectrum.rows(value)

    def _put_spectrum(self, rows: Optional[list]) -> None:
        object.__setattr__(self, "_spectrum_rows", rows)
        csv = _spectrum.to_csv(rows) if rows is not None else ""
        self._spectrum = {"id": self._spectrum["id"] + 1, "csv": csv}

    @property
    def spectrum(self) -> Optional[list]:
        """The measured spectrum in use, as rows (h,), (h, c) or (h, c, count); None for the
        power law. Set it to an array (checked at once) or to None."""
        rows = self._spectrum_rows
        return None if rows is None else list(rows)

    @spectrum.setter
    def spectrum(self, value: Any) -> None:
        self._put_spectrum(self._checked_spectrum(value))

    def _from_frontend(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "query" and isinstance(content.get("query"), str):
            self.query = content["query"]  # the controls in the cell changed the state
        elif content.get("type") == "state":
            readouts = content.get("readouts") or []
            self.readouts = {r["key"]: r["value"] for r in readouts}
            self.errors = list(content.get("errors") or [])
            if content.get("figure") is not None:
                self._figure = content["figure"]
            self._state = {
                k: content.get(k)
                for k in ("query", "complete", "jobs", "jobs_done", "readouts", "details", "spectrum_id", "link_query")
            }

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
        """The permalink to this state on the explorer at `base_url` (with the spectrum, once
        the frontend has it, if it fits in a link)."""
        q = self._state.get("link_query") if self.complete else None
        return f"{self.base_url}?{q or self.query}"

    @property
    def complete(self) -> bool:
        """Whether the frontend has finished the current state (theory and Monte Carlo)."""
        return (
            self._state.get("query") == self.query
            and self._state.get("spectrum_id", 0) == self._spectrum["id"]
            and bool(self._state.get("complete"))
        )

    def figure(self) -> Optional[dict]:
        """The latest complete figure the frontend sent back, in the public JSON format (None
        before the first). ``await p.wait()`` first for the figure of the current state."""
        return copy.deepcopy(self._figure)

    async def wait(self, timeout: float = 120.0) -> "Panel":
        """Waits until the frontend has computed the current state (theory and every Monte Carlo
        point): readouts and figure are then those of ``p.query``. In a notebook cell:
        ``await p.wait()``. The panel computes in the notebook's frontend, so it must be shown
        in a cell. Widget messages are received meanwhile: by ipykernel itself from version 7.4
        on (it hands widget messages to a cell that awaits), by jupyter-ui-poll before."""
        import asyncio

        deadline = time.monotonic() + timeout

        def check():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the panel did not finish within {timeout} s: it computes in the notebook's "
                    "frontend, so it must be shown in a cell (end a cell with the panel, or "
                    "display(p)); a long Monte Carlo run may need a longer timeout"
                )

        if self.complete:
            return self
        if _kernel_can_iterate():
            from jupyter_ui_poll import ui_events

            async with ui_events() as poll:
                while not self.complete:
                    await poll(20)
                    check()
                    await asyncio.sleep(0.02)
        else:
            while not self.complete:
                check()
                await asyncio.sleep(0.02)
        return self

    def __repr__(self) -> str:
        return f"Panel({self._panel!r}, query={self.query!r})"
