"""The register's refusals: Shtrih-M result codes, their texts, and what the hub makes of them.

The code table lives in ``fiscal.protocols.shtrih_errors`` (the protocol owns it: the emulator
puts ``device_code`` straight into an answer frame, the driver decodes it from one); it is
re-exported here so the simulator and the drivers keep importing it from this module. The
simulator refuses with ``RegisterRefusal``; drivers classify a code with ``classify`` into the
contract's error kinds.
"""
from __future__ import annotations

from fiscal.protocols.shtrih_errors import (BAD_PARAMETERS, FN_EXPIRED, FN_FAILURE, MESSAGES,
                                            NONCASH_EXCEEDS_TOTAL, NOT_ENOUGH_CASH,
                                            NOTHING_TO_REPEAT, NO_PAPER,
                                            PAYMENTS_LESS_THAN_TOTAL, RECEIPT_BUFFER_FULL,
                                            RECEIPT_CLOSED, RECEIPT_OPEN, SHIFT_ALREADY_OPEN,
                                            SHIFT_EXPIRED, SHIFT_NOT_OPEN,
                                            WAITING_CONTINUE_PRINTING, WRONG_RECEIPT_OPERATION,
                                            ZERO_TOTAL, Classification, classify, message)

__all__ = ["BAD_PARAMETERS", "FN_EXPIRED", "FN_FAILURE", "MESSAGES", "NONCASH_EXCEEDS_TOTAL",
           "NOT_ENOUGH_CASH", "NOTHING_TO_REPEAT", "NO_PAPER", "PAYMENTS_LESS_THAN_TOTAL",
           "RECEIPT_BUFFER_FULL", "RECEIPT_CLOSED", "RECEIPT_OPEN", "SHIFT_ALREADY_OPEN",
           "SHIFT_EXPIRED", "SHIFT_NOT_OPEN", "WAITING_CONTINUE_PRINTING",
           "WRONG_RECEIPT_OPERATION", "ZERO_TOTAL", "Classification", "RegisterRefusal",
           "classify", "message"]


class RegisterRefusal(Exception):
    """The register refused a command; nothing was registered by it."""

    def __init__(self, device_code: int, message_ru: str | None = None,
                 message_en: str | None = None):
        ru, en = message(device_code)
        self.device_code = device_code
        self.message_ru = message_ru or ru
        self.message_en = message_en or en
        super().__init__(f"0x{device_code:02X}: {self.message_ru} ({self.message_en})")
