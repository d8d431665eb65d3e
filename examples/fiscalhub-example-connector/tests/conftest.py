# fiscalhub's pytest plugin: a hub on a real Redis and SQLite, the Shtrih-M emulator, a
# connection factory and the contract kit, as fixtures named fiscalhub_*.
pytest_plugins = ["fiscalhub.testing"]
