"""Lightspeed Restaurant K-Series: the hub is the PMS endpoint Lightspeed calls.

So far only the pure translation of a ``POST …/charge`` body (:mod:`plugins.lightspeed.translation`)
and its settings (:mod:`plugins.lightspeed.settings`); the connector class, its routes and the
search come later.
"""
