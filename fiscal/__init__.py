"""The fiscal core: canonical jobs, money, the ledger, register drivers and the print service.

Nothing here imports Flask or ``hub``: the worker runs this package without building the web app.
"""
