"""Shtrih-M fiscal storage (ФН) commands, the two-byte ``FF xx`` set (research/fiscal.md §1.4).

FN commands are documented with the system administrator's password, so they default to it.
Re-exported by ``fiscal.protocols.shtrih_commands``; import them from there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fiscal.protocols.shtrih_fields import (FN_DATE, FN_DATETIME, MONEY, U8, U16, U32, Answer,
                                            Ascii, Codec, Flag, Many, MaybeMoney, Request, Rest,
                                            Struct, Text, Trailing, UInt, Units, admin_password,
                                            wire)
from fiscal.protocols.shtrih_values import Cmd

ZERO = Decimal("0.00")
PAYMENT_SLOTS = 16          # FF45 sums: 1 cash, 2..13 electronic, 14 prepaid, 15 credit, 16 other
TAX_SLOTS = 6               # FF45/FF4A tax sums: 20 %, 10 %, 0 %, no VAT, 20/120, 10/110


class TaxRate:
    """FF46 tax-rate bits (bit i is tax group i+1)."""
    VAT20 = 0x01
    VAT10 = 0x02
    VAT0 = 0x04
    NO_VAT = 0x08
    VAT120 = 0x10
    VAT110 = 0x20


class DocumentType:
    """FFD document types returned by FF0A."""
    SHIFT_OPEN = 2
    RECEIPT = 3
    SHIFT_CLOSE = 5
    CORRECTION = 31


# --- FF01 FN status ------------------------------------------------------------------------
@dataclass(frozen=True)
class FnStatusRequest(Request):
    COMMAND = Cmd.FN_STATUS
    password: int = admin_password()


@dataclass(frozen=True)
class FnStatusAnswer(Answer):
    COMMAND = Cmd.FN_STATUS
    life_phase: int = wire(U8)          # bits: 0 configured, 1 fiscal mode, 2 closed, 3 OFD done
    current_document: int = wire(U8)    # 0x00 none, 0x04 receipt, ...
    document_data: int = wire(U8)
    shift_open: bool = wire(Flag())
    warnings: int = wire(U8)
    datetime: datetime | None = wire(FN_DATETIME)
    fn_number: str = wire(Ascii(16))
    last_fd_number: int = wire(U32)


# --- FF03 FN expiry ------------------------------------------------------------------------
@dataclass(frozen=True)
class FnExpiryRequest(Request):
    COMMAND = Cmd.FN_EXPIRY
    password: int = admin_password()


@dataclass(frozen=True)
class FnExpiryAnswer(Answer):
    COMMAND = Cmd.FN_EXPIRY
    expiry: date | None = wire(FN_DATE)
    reregistrations_left: int = wire(U8)
    reregistrations_done: int = wire(U8)


# --- FF0A find a fiscal document -----------------------------------------------------------
@dataclass(frozen=True)
class FnShiftDocument(Struct):
    """Body of a shift-open (2) or shift-close (5) report."""
    datetime: datetime | None = wire(FN_DATETIME)
    fd_number: int = wire(U32)
    fiscal_sign: int = wire(U32)
    shift_number: int = wire(U16)
    extra: bytes = wire(Rest(), default=b"")     # what a newer firmware appends


@dataclass(frozen=True)
class FnReceiptDocument(Struct):
    """Body of a receipt (3) or a correction receipt (31)."""
    datetime: datetime | None = wire(FN_DATETIME)
    fd_number: int = wire(U32)
    fiscal_sign: int = wire(U32)
    operation: int = wire(U8)            # tag 1054: 1 sale, 2 sale return, 3 buy, 4 buy return
    total: Decimal = wire(MONEY)
    extra: bytes = wire(Rest(), default=b"")


_BODIES = {DocumentType.SHIFT_OPEN: FnShiftDocument, DocumentType.SHIFT_CLOSE: FnShiftDocument,
           DocumentType.RECEIPT: FnReceiptDocument, DocumentType.CORRECTION: FnReceiptDocument}


class _DocumentBody(Codec):
    """Typed by the document type decoded just before it; other types stay raw bytes."""

    def pack(self, value, obj):
        return value if isinstance(value, bytes) else value.encode()

    def unpack(self, reader, got):
        body = _BODIES.get(got["document_type"])
        return reader.rest() if body is None else body.decode(reader.rest())


@dataclass(frozen=True)
class FnFindDocumentRequest(Request):
    COMMAND = Cmd.FN_FIND_DOCUMENT
    password: int = admin_password()
    fd_number: int = wire(U32)


@dataclass(frozen=True)
class FnDocumentAnswer(Answer):
    COMMAND = Cmd.FN_FIND_DOCUMENT
    document_type: int = wire(U8)
    ofd_acknowledged: bool = wire(Flag())
    document: FnShiftDocument | FnReceiptDocument | bytes = wire(_DocumentBody())


# --- FF0C send TLV -------------------------------------------------------------------------
@dataclass(frozen=True)
class FnSendTlvRequest(Request):
    COMMAND = Cmd.FN_SEND_TLV
    password: int = admin_password()
    # One or more ``tlv(...)`` joined. The FN takes up to 250 bytes, but FF 0C + password + 250
    # is 256 and LEN is one byte: 249 is what a v1 frame can carry.
    tlv: bytes = wire(Rest(249))


# --- FF40 shift parameters -----------------------------------------------------------------
@dataclass(frozen=True)
class FnShiftParamsRequest(Request):
    COMMAND = Cmd.FN_SHIFT_PARAMS
    password: int = admin_password()


@dataclass(frozen=True)
class FnShiftParamsAnswer(Answer):
    COMMAND = Cmd.FN_SHIFT_PARAMS
    shift_open: bool = wire(Flag())
    shift_number: int = wire(U16)
    receipt_number: int = wire(U16)


# --- FF45 close receipt v2 -----------------------------------------------------------------
@dataclass(frozen=True)
class CloseReceiptV2Request(Request):
    """``payments`` are the 16 sums in wire order: build them with ``make``."""
    COMMAND = Cmd.CLOSE_RECEIPT_V2
    password: int = admin_password()
    payments: tuple[Decimal, ...] = wire(Many(MONEY, PAYMENT_SLOTS))
    rounding: Decimal = wire(Units(1, 2), default=ZERO)
    taxes: tuple[Decimal, ...] = wire(Many(MONEY, TAX_SLOTS), default=(ZERO,) * TAX_SLOTS)
    tax_system: int = wire(U8, default=0x01)        # bitmask: 0x01 ОСН, 0x02 УСН доход, ...
    text: str = wire(Text(64), default="")

    @classmethod
    def make(cls, *, cash=ZERO, electronic=ZERO, prepaid=ZERO, credit=ZERO, other=ZERO,
             **kwargs) -> CloseReceiptV2Request:
        payments = (cash, electronic) + (ZERO,) * 11 + (prepaid, credit, other)
        return cls(payments=tuple(Decimal(p) for p in payments), **kwargs)

    @property
    def cash(self) -> Decimal:
        return self.payments[0]

    @property
    def electronic(self) -> Decimal:
        """Sums 2..13 are all electronic payment types."""
        return sum(self.payments[1:13], ZERO)

    @property
    def prepaid(self) -> Decimal:
        return self.payments[13]

    @property
    def credit(self) -> Decimal:
        return self.payments[14]

    @property
    def other(self) -> Decimal:
        return self.payments[15]


@dataclass(frozen=True)
class CloseReceiptV2Answer(Answer):
    COMMAND = Cmd.CLOSE_RECEIPT_V2
    change: Decimal = wire(MONEY)
    fd_number: int = wire(U32)
    fiscal_sign: int = wire(U32)
    datetime: datetime | None = wire(Trailing(FN_DATETIME), default=None)  # "РАСШИР. ОТВ."


# --- FF46 operation v2 ---------------------------------------------------------------------
@dataclass(frozen=True)
class OperationV2Request(Request):
    """One receipt item. ``amount`` None lets the register compute price × quantity;
    ``tax_amount`` None leaves the tax to it."""
    COMMAND = Cmd.OPERATION_V2
    password: int = admin_password()
    operation: int = wire(UInt(1, range(1, 5)))     # 1 sale, 2 sale return, 3 buy, 4 buy return
    quantity: Decimal = wire(Units(6, 6))
    price: Decimal = wire(MONEY)
    amount: Decimal | None = wire(MaybeMoney(), default=None)
    tax_amount: Decimal | None = wire(MaybeMoney(), default=None)
    tax_rate: int = wire(U8, default=TaxRate.NO_VAT)
    department: int = wire(U8, default=1)
    payment_method: int = wire(U8, default=4)       # tag 1214; 4 = full payment
    payment_object: int = wire(U8, default=1)       # tag 1212; 1 = commodity
    name: str = wire(Text(128), default="")


# --- FF4A correction receipt v2 ------------------------------------------------------------
@dataclass(frozen=True)
class CorrectionV2Request(Request):
    COMMAND = Cmd.CORRECTION_V2
    password: int = admin_password()
    correction_type: int = wire(U8)                 # tag 1173: 0 self-initiated, 1 by order
    operation: int = wire(U8)                       # tag 1054
    total: Decimal = wire(MONEY)
    cash: Decimal = wire(MONEY, default=ZERO)
    electronic: Decimal = wire(MONEY, default=ZERO)
    prepaid: Decimal = wire(MONEY, default=ZERO)
    postpaid: Decimal = wire(MONEY, default=ZERO)
    counter: Decimal = wire(MONEY, default=ZERO)
    taxes: tuple[Decimal, ...] = wire(Many(MONEY, TAX_SLOTS), default=(ZERO,) * TAX_SLOTS)
    tax_system: int = wire(U8, default=0x01)


@dataclass(frozen=True)
class CorrectionV2Answer(Answer):
    COMMAND = Cmd.CORRECTION_V2
    receipt_number: int = wire(U16)
    fd_number: int = wire(U32)
    fiscal_sign: int = wire(U32)
    datetime: datetime | None = wire(Trailing(FN_DATETIME), default=None)
