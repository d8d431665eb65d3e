"""Shtrih-M values on the wire: command codes, numbers, money, text, dates, TLVs.

Numbers are binary little-endian; money is an integer of kopecks, usually 5 bytes; dates are
``DD MM YY`` and times ``HH MM SS``, but FN commands use ``YY MM DD [HH MM]``; text is cp1251
and NUL-terminated, FN TLV strings cp866 (research/fiscal.md §1.2). Outside the wire, money,
quantities and percentages are ``Decimal``: converting rounds half-up, explicitly, because the
default decimal context rounds half-even and a register does not.

Everything public here is re-exported by ``fiscal.protocols.shtrih_commands``.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import IntEnum

from fiscal.protocols.shtrih import FrameError


class Cmd(IntEnum):
    SHORT_STATUS = 0x10
    FULL_STATUS = 0x11
    BEEP = 0x13
    PRINT_LINE = 0x17
    READ_MONEY_REGISTER = 0x1A
    CUT = 0x25
    X_REPORT = 0x40
    Z_REPORT = 0x41
    CASH_IN = 0x50
    CASH_OUT = 0x51
    SALE = 0x80
    RETURN_SALE = 0x82
    CLOSE_RECEIPT = 0x85
    CANCEL_RECEIPT = 0x88
    SUBTOTAL = 0x89
    REPEAT_DOCUMENT = 0x8C
    OPEN_RECEIPT = 0x8D
    CONTINUE_PRINTING = 0xB0
    OPEN_SHIFT = 0xE0
    DEVICE_TYPE = 0xFC
    FN_STATUS = 0xFF01
    FN_EXPIRY = 0xFF03
    FN_FIND_DOCUMENT = 0xFF0A
    FN_SEND_TLV = 0xFF0C
    FN_SHIFT_PARAMS = 0xFF40
    CLOSE_RECEIPT_V2 = 0xFF45
    OPERATION_V2 = 0xFF46
    CORRECTION_V2 = 0xFF4A


class ReceiptType(IntEnum):
    """0x8D open receipt; also the status nibble of mode 8 (an open document)."""
    SALE = 0
    BUY = 1
    SALE_RETURN = 2
    BUY_RETURN = 3


class Mode(IntEnum):
    """Low nibble of the mode byte in 0x10/0x11 (SH-PROTO-2.0 Приложение 1)."""
    WORKING = 0
    DATA_OUTPUT = 1
    SHIFT_OPEN = 2
    SHIFT_EXPIRED = 3           # open longer than 24 h: sales refused, Z report needed
    SHIFT_CLOSED = 4
    PASSWORD_LOCK = 5
    DATE_CONFIRMATION = 6
    DECIMAL_POINT = 7
    OPEN_DOCUMENT = 8           # high nibble: ReceiptType, 4 non-fiscal
    TECH_RESET = 9
    TEST_RUN = 10
    FULL_FISCAL_REPORT = 11
    EKLZ_REPORT = 12
    SLIP_FISCAL = 13
    SLIP_PRINTING = 14
    SLIP_READY = 15


class Submode(IntEnum):
    PAPER_OK = 0
    PASSIVE_NO_PAPER = 1        # out of paper while idle: print commands refused
    ACTIVE_NO_PAPER = 2         # ran out while printing
    AFTER_NO_PAPER = 3          # paper back: waits for 0xB0 continue printing
    PRINTING_REPORT = 4
    PRINTING = 5


class UnknownCommand(FrameError):
    """A payload whose command code has no codec here (an emulator answers it with 0x37)."""

    def __init__(self, command: int):
        self.command = command
        super().__init__(f"no codec for command 0x{command:02X}")


# A context wide enough that quantizing any value that fits 6 bytes is exact.
_CONTEXT = Context(prec=40, rounding=ROUND_HALF_UP)


# --- numbers and money ---------------------------------------------------------------------
def to_units(value: Decimal | int, places: int) -> int:
    """``value`` in units of 10**-places, rounded half-up (money: places=2, kopecks)."""
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{type(value).__name__} {value!r}: pass a Decimal or an int")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    step = Decimal(1).scaleb(-places)
    return int(number.quantize(step, rounding=ROUND_HALF_UP, context=_CONTEXT)
               .scaleb(places, context=_CONTEXT))


def from_units(units: int, places: int) -> Decimal:
    """The Decimal that ``units`` of 10**-places make, with exactly ``places`` decimals."""
    return Decimal(units).scaleb(-places, context=_CONTEXT)


def to_kopecks(amount: Decimal | int) -> int:
    return to_units(amount, 2)


def from_kopecks(kopecks: int) -> Decimal:
    return from_units(kopecks, 2)


def int_le(value: int, size: int, signed: bool = False) -> bytes:
    try:
        return int(value).to_bytes(size, "little", signed=signed)
    except OverflowError:
        raise ValueError(f"{value} does not fit {size} byte(s)") from None


def le_int(data: bytes, signed: bool = False) -> int:
    return int.from_bytes(data, "little", signed=signed)


# --- text ----------------------------------------------------------------------------------
def text_cp1251(text: str, size: int | None = None) -> bytes:
    """cp1251 bytes (unencodable characters become ``?``), NUL-padded to ``size`` and
    truncated to fit it when ``size`` is given."""
    data = text.encode("cp1251", errors="replace")
    if size is None:
        return data
    return data[:size].ljust(size, b"\0")


def read_cp1251(data: bytes) -> str:
    """Text up to the first NUL."""
    return bytes(data).split(b"\0", 1)[0].decode("cp1251", errors="replace")


# --- dates and times -----------------------------------------------------------------------
# All-zero bytes mean "not set" (a register that was never fiscalised reports zero dates).
def encode_date(value: date | None) -> bytes:
    return bytes(3) if value is None else bytes([value.day, value.month, value.year - 2000])


def decode_date(data: bytes) -> date | None:
    return None if not any(data) else date(2000 + data[2], data[1], data[0])


def encode_fn_date(value: date | None) -> bytes:
    return bytes(3) if value is None else bytes([value.year - 2000, value.month, value.day])


def decode_fn_date(data: bytes) -> date | None:
    return None if not any(data) else date(2000 + data[0], data[1], data[2])


def encode_time(value: time) -> bytes:
    return bytes([value.hour, value.minute, value.second])


def decode_time(data: bytes) -> time:
    return time(data[0], data[1], data[2])


def encode_fn_datetime(value: datetime | None) -> bytes:
    if value is None:
        return bytes(5)
    return bytes([value.year - 2000, value.month, value.day, value.hour, value.minute])


def decode_fn_datetime(data: bytes) -> datetime | None:
    return None if not any(data) else datetime(2000 + data[0], *data[1:5])


# --- TLV (FFD tags) ------------------------------------------------------------------------
def tlv(tag: int, value: bytes) -> bytes:
    """tag (2 LE) + length (2 LE) + value."""
    return int_le(tag, 2) + int_le(len(value), 2) + bytes(value)


def tlv_string(tag: int, text: str) -> bytes:
    """A TLV whose value is a string: FN strings are cp866."""
    return tlv(tag, text.encode("cp866", errors="replace"))


def read_tlv_string(value: bytes) -> str:
    return bytes(value).decode("cp866", errors="replace")


def parse_tlvs(data: bytes) -> list[tuple[int, bytes]]:
    """``[(tag, value), ...]``; ValueError if a TLV is cut short."""
    out, pos = [], 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError(f"TLV header cut short at byte {pos}")
        tag, length = le_int(data[pos:pos + 2]), le_int(data[pos + 2:pos + 4])
        if pos + 4 + length > len(data):
            raise ValueError(f"TLV {tag} wants {length} bytes, {len(data) - pos - 4} left")
        out.append((tag, bytes(data[pos + 4:pos + 4 + length])))
        pos += 4 + length
    return out
