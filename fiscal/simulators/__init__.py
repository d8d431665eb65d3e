"""Register simulators: a register's persistent fiscal memory and its behaviour, no hardware.

``fiscal_memory.FiscalMemory`` is the register's state in one SQLite file (shared by every
process that talks to, arms faults on or inspects the same register); ``register.SimulatedRegister``
is the engine whose command-level methods the ``virtual`` driver calls directly and a protocol
emulator maps wire commands onto; ``refusals`` holds the Shtrih-M result codes the engine refuses
with and how the hub classifies them.
"""
