"""Lightspeed Restaurant K-Series: the hub is the PMS endpoint Lightspeed calls (README.md).

- :mod:`plugins.lightspeed.connector` — the connector: settings, verify, events, translate;
- :mod:`plugins.lightspeed.routes` — ``/search`` and ``/charge``, answered while the POS waits;
- :mod:`plugins.lightspeed.translation` — a charge body into a receipt and room-charge postings
  (pure), with :mod:`~plugins.lightspeed.body` and :mod:`~plugins.lightspeed.settings`;
- :mod:`plugins.lightspeed.revenue` — the day's non-room revenue for the PMS (pure);
- :mod:`plugins.lightspeed.messages` — what the waiter reads when a charge fails.
"""
