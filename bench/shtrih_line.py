"""Receipts per second through the Shtrih-M driver at 115200 and 9600 baud, with the line rate
simulated on both ends, beside the line-rate limit: the bytes one receipt puts on the wire
(both directions: the exchange is half-duplex) divided by the bytes the line carries per second
(8N1: baud / 10). The ratio says how close the driver gets to the wire's own limit.

    .venv/bin/python bench/shtrih_line.py [--receipts N] [--slow-receipts N]

The emulator paces what it writes (``ShtrihEmulator(baud=N)``); a pty does not pace what the
host writes, so this script makes the driver's writes take 10/baud s per byte as well.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fiscal.drivers import shtrih_link  # noqa: E402
from fiscal.drivers.shtrih import ShtrihDriver  # noqa: E402
from fiscal.samples import sample_receipt  # noqa: E402
from fiscal.schemas import load_job  # noqa: E402
from fiscal.simulators.shtrih import ShtrihEmulator  # noqa: E402


def paced_writes(baud: int):
    """Make the host's writes take as long as they would on a real line."""
    original = shtrih_link.ShtrihLink._perform

    def _perform(self, ex, actions):
        for action in actions:
            if isinstance(action, shtrih_link.Send):
                time.sleep(len(action.data) * 10 / baud)
        return original(self, ex, actions)
    shtrih_link.ShtrihLink._perform = _perform
    return lambda: setattr(shtrih_link.ShtrihLink, "_perform", original)


def run(baud: int, receipts: int, tmp: Path) -> dict:
    body = load_job(sample_receipt("bench"))
    restore = paced_writes(baud)
    try:
        with ShtrihEmulator(tmp / f"shtrih-{baud}.sqlite", baud=baud) as emulator:
            driver = ShtrihDriver(emulator.start_pty(), {"baudrate": baud})
            with driver:
                driver.open_shift(None)
                link = driver.link
                sent0, recv0 = link.bytes_sent, link.bytes_received
                started = time.perf_counter()
                for _ in range(receipts):
                    driver.receipt(body["receipt"], body["cashier"])
                elapsed = time.perf_counter() - started
                wire = (link.bytes_sent - sent0 + link.bytes_received - recv0) / receipts
            docs = len(emulator.memory.documents("receipt"))
    finally:
        restore()
    if docs != receipts:
        raise SystemExit(f"VERIFICATION FAILED: {docs} receipts registered for {receipts}")
    limit = (baud / 10) / wire
    return {"baud": baud, "receipts": receipts, "per_s": receipts / elapsed,
            "wire_bytes": wire, "limit_per_s": limit, "ratio": receipts / elapsed / limit}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--receipts", type=int, default=30, help="receipts at 115200 baud")
    p.add_argument("--slow-receipts", type=int, default=5, help="receipts at 9600 baud")
    args = p.parse_args(argv)
    print("shtrih_line: the sample receipt (2 items, cashier TLVs, FF46 ×2, FF0C ×2, FF45, "
          "then FF0A/FF40/0x11/FF01 to read the document back) through ShtrihDriver → pty → "
          "ShtrihEmulator, line rate simulated both ways\n")
    with tempfile.TemporaryDirectory(prefix="fhbench-shtrih-") as tmp:
        for baud, n in ((115200, args.receipts), (9600, args.slow_receipts)):
            r = run(baud, n, Path(tmp))
            print(f"  {baud:>6} baud: {r['per_s']:6.2f} receipts/s   line-rate limit "
                  f"{r['limit_per_s']:6.2f} receipts/s ({r['wire_bytes']:.0f} bytes on the wire "
                  f"per receipt ÷ {baud / 10:.0f} B/s)   ratio {r['ratio']:.2f}   "
                  f"[{r['receipts']} receipts, verified]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
