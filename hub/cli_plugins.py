"""``fiscalhub plugins``: every plugin the hub loads, with its version and hooks."""
from __future__ import annotations

import json

import click


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
def plugins(as_json) -> None:
    """List the plugins (built-in and installed) with their versions and hooks.

    FISCALHUB_DISABLED_PLUGINS=a,b leaves plugins out by name."""
    from hub.plugins import default_host, disabled_from_env, list_plugins
    items = list_plugins(default_host().pm)
    if as_json:
        click.echo(json.dumps({"items": items, "disabled": disabled_from_env()}, indent=2))
        return
    for p in items:
        origin = "built in" if p["builtin"] else f"{p['package']} {p['version']}"
        click.echo(f"{p['name']:<24} {origin:<28} {', '.join(p['hooks'])}")
    if disabled_from_env():
        click.echo(f"disabled: {', '.join(disabled_from_env())}")
