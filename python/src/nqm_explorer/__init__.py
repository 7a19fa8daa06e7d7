"""nqm-explorer in a notebook: ``from nqm_explorer import Panel``.

A live panel of nqm-explorer (SGD on noisy quadratic models: the exact discrete-time theory
beside the continuous-time approximation, with Monte Carlo) in a notebook cell, computed in the
notebook's frontend by the explorer's own WebAssembly, which the package carries.
"""

from ._version import __version__
from .panel import DEFAULT_BASE_URL, Panel
from .schema import fields, panels

__all__ = ["Panel", "DEFAULT_BASE_URL", "fields", "panels", "__version__"]
