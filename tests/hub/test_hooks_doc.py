"""docs/hooks.md names every hook of hub/hookspecs.py with exactly its arguments, and nothing
else (datasette keeps its plugin docs honest the same way)."""
import re
from pathlib import Path

from hub.plugins import make_plugin_manager

DOC = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def test_every_hook_is_documented_with_its_arguments():
    documented = dict(re.findall(r"^### (fiscalhub_\w+)\(([^)]*)\)$", DOC.read_text(), re.M))
    pm = make_plugin_manager(load_entrypoints=False)
    specs = {name: ", ".join(getattr(pm.hook, name).spec.argnames)
             for name in dir(pm.hook) if name.startswith("fiscalhub_")}
    assert documented == specs
