"""``fiscalhub emulate``: register emulators that speak a real register's protocol.

``fiscalhub emulate shtrih`` serves a Shtrih-M register (ШТРИХ-М-01Ф) on a pty and/or TCP, its
fiscal memory at ``<data-dir>/registers/shtrih.sqlite`` (or ``--memory``), until SIGINT/SIGTERM.
"""
from __future__ import annotations

import os
from pathlib import Path

import click


@click.group()
def emulate() -> None:
    """Register emulators (for tests and demos without hardware)."""


@emulate.command("shtrih")
@click.option("--pty", "use_pty", is_flag=True,
              help="Serve on a pty (the default when --tcp is not given); prints its path.")
@click.option("--tcp", "tcp_port", type=click.IntRange(0, 65535),
              help="Serve on 127.0.0.1:PORT (0: any free port; socket://127.0.0.1:PORT).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="The fiscal memory is <data-dir>/registers/shtrih.sqlite "
                   "(default ./var, or FISCALHUB_DATA_DIR).")
@click.option("--memory", "memory_path", type=click.Path(dir_okay=False),
              help="The fiscal memory file (overrides --data-dir).")
@click.option("--baud", type=click.IntRange(min=50),
              help="Simulate this line rate (each byte takes 10/N s).")
@click.option("--delay", type=click.FloatRange(min=0), default=0.0,
              help="Seconds before every answer.")
def shtrih(use_pty, tcp_port, data_dir, memory_path, baud, delay) -> None:
    """A Shtrih-M register on a pty and/or TCP: prints the pty's path on a line of its own and
    'tcp: 127.0.0.1:PORT'; Ctrl-C stops it."""
    from fiscal.simulators.shtrih_process import serve
    if memory_path is None:
        base = Path(data_dir or os.environ.get("FISCALHUB_DATA_DIR") or "var")
        memory_path = base / "registers" / "shtrih.sqlite"
    serve(Path(memory_path).resolve(), pty=use_pty or tcp_port is None, tcp=tcp_port,
          baud=baud, delay=delay, echo=lambda line: click.echo(line))
