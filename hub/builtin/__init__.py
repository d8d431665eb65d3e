"""The hub's own plugins: the built-in drivers and the default routing, registered through the
same hooks a vendor's package implements. They are essential: they cannot be disabled."""
