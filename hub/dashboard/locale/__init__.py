"""Translations of the dashboard's texts: ``ru_<part>.py`` modules with a ``MESSAGES`` dict
(English text → Russian), merged by :mod:`hub.dashboard.i18n`."""
