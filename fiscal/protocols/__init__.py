"""Register protocols as pure bytes: frames, link state machines and command codecs, no I/O.

``shtrih`` is the Shtrih-M link layer (protocol v1, research/fiscal.md §1.1): frames, an
incremental frame parser and the two sans-io state machines, ``HostExchange`` for the driver and
``DeviceLink`` for the emulator. ``shtrih_commands`` (with ``shtrih_values`` and ``shtrih_fn``)
encodes and decodes every command's request and answer; ``shtrih_errors`` names the result codes.
Both the driver (host side) and the emulator (register side) use the same code, so what one
encodes the other decodes by construction. Nothing here opens a port, sleeps or logs.
"""
