"""Putting the example connector (examples/fiscalhub-example-connector) on sys.path as an
installed distribution with its entry point, the way tests/hub/test_plugins.py fakes one."""
import sys
from pathlib import Path

from hub import plugins

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fiscalhub-example-connector"
GOLDEN = EXAMPLE / "golden"
MODULE = "fiscalhub_example_connector"


def fake_install(tmp_path, monkeypatch) -> None:
    dist = tmp_path / "fiscalhub_example_connector-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fiscalhub-example-connector\n"
                                   "Version: 0.1.0\n")
    (dist / "entry_points.txt").write_text(f"[fiscalhub]\nexample = {MODULE}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    monkeypatch.delenv("FISCALHUB_DISABLED_PLUGINS", raising=False)
    plugins._host_for.cache_clear()
