"""Refuses to build a wheel without the widget's files, which `make dist` writes."""

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NEEDED = ["static/widget.mjs", "static/widget.css", "static/nqm_explorer_bg.wasm", "static/schema.json", "_version.py"]


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        pkg = Path(self.root) / "src" / "nqm_explorer"
        missing = [f for f in NEEDED if not (pkg / f).is_file()]
        if missing:
            raise RuntimeError(
                "nqm-explorer's widget files are missing (" + ", ".join(missing) + "): "
                "run `make dist` in the repository first, then `pip install ./python`"
            )
