"""fiscalhub's helpers for the people who extend it.

* :mod:`fiscalhub.testing` — the pytest plugin a connector vendor enables in a conftest with
  ``pytest_plugins = ["fiscalhub.testing"]``: a hub app on a real Redis and a real SQLite ledger,
  a Shtrih-M register emulator, a connection factory, and the contract kit.
* :mod:`fiscalhub.testkit` — the plain functions and classes those fixtures are made of, for
  tests that build their own.

The hub itself lives in the ``hub`` and ``fiscal`` packages.
"""
