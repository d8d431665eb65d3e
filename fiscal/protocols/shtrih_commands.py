"""Shtrih-M commands: one frozen dataclass per request and per answer (research/fiscal.md §1.4).

``encode()`` gives the payload (command + data; an answer also carries result code 0) and
``decode(payload)`` reads one back, so the emulator decodes requests and encodes answers with
the very code the driver uses the other way. ``decode_request`` and ``decode_answer`` dispatch
on the command code; an answer with a non-zero result code raises ``DeviceError``, and
``error_answer`` builds one. The FN (``FF xx``) commands live in ``shtrih_fn``, the value
helpers in ``shtrih_values``; all are re-exported here, the one module to import from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from fiscal.protocols.shtrih import FrameError, join_command, split_command
from fiscal.protocols.shtrih_errors import DeviceError
from fiscal.protocols.shtrih_fields import (DATE, MONEY, TIME, U8, U16, U32, Answer, Ascii,
                                            Flag, Many, Message, Raw, Reader, Request,  # noqa: F401
                                            Rest, Text, Trailing, UInt, Units, admin_password,
                                            password, wire)
from fiscal.protocols.shtrih_fn import (CloseReceiptV2Answer, DocumentType, TaxRate,  # noqa: F401
                                        CloseReceiptV2Request, CorrectionV2Answer,
                                        CorrectionV2Request, FnDocumentAnswer,
                                        FnExpiryAnswer, FnExpiryRequest, FnFindDocumentRequest,
                                        FnReceiptDocument, FnSendTlvRequest, FnShiftDocument,
                                        FnShiftParamsAnswer, FnShiftParamsRequest,
                                        FnStatusAnswer, FnStatusRequest, OperationV2Request)
from fiscal.protocols.shtrih_values import (Cmd, Mode, ReceiptType, Submode,  # noqa: F401
                                            UnknownCommand, decode_date, decode_fn_date,
                                            decode_fn_datetime, decode_time, encode_date,
                                            encode_fn_date, encode_fn_datetime, encode_time,
                                            from_kopecks, from_units, int_le, le_int, parse_tlvs,
                                            read_cp1251, read_tlv_string, text_cp1251, tlv,
                                            tlv_string, to_kopecks, to_units)

ZERO = Decimal("0.00")
TEXT_WIDTH = 40                 # text fields are at least 40 bytes (SH-PROTO-2.0, 12H/80H)
CASH_IN_DRAWER = 241            # 0x1A money register: cash in the drawer
PRINT_CONTROL_TAPE, PRINT_RECEIPT_TAPE = 0x01, 0x02     # 0x17 flags


# --- shared layouts ------------------------------------------------------------------------
@dataclass(frozen=True)
class OperatorAnswer(Answer):
    """op# only: 0x13 0x17 0x25 0x40 0x41 0x80 0x82 0x88 0x8C 0x8D 0xB0."""
    command: int
    operator: int = wire(U8)


@dataclass(frozen=True)
class EmptyAnswer(Answer):
    """Nothing after the result code: 0xE0, 0xFF0C, 0xFF46."""
    command: int


class _ModeMixin:
    @property
    def mode_number(self) -> int:
        return self.mode & 0x0F

    @property
    def mode_status(self) -> int:
        return self.mode >> 4


# --- 0x10 / 0x11 status --------------------------------------------------------------------
@dataclass(frozen=True)
class ShortStatusRequest(Request):
    COMMAND = Cmd.SHORT_STATUS
    password: int = password()


@dataclass(frozen=True)
class ShortStatusAnswer(_ModeMixin, Answer):
    """The count of operations in the receipt travels as a low and a high byte, apart."""
    COMMAND = Cmd.SHORT_STATUS
    operator: int
    flags: int
    mode: int                       # low nibble Mode, high nibble its status
    submode: int
    operations_in_receipt: int
    battery_voltage: int
    power_voltage: int
    fp_error: int
    eklz_error: int
    reserved: bytes = bytes(3)
    last_print_result: int | None = None    # the 17th byte some models add

    _HEAD = ((U8, "operator"), (U16, "flags"), (U8, "mode"), (U8, "submode"))
    _MIDDLE = ((U8, "battery_voltage"), (U8, "power_voltage"), (U8, "fp_error"),
               (U8, "eklz_error"))

    def _pack(self) -> bytes:
        ops = self.operations_in_receipt
        if not 0 <= ops <= 0xFFFF:
            raise ValueError(f"operations_in_receipt {ops} does not fit 2 bytes")
        head = b"".join(c.pack(getattr(self, n), self) for c, n in self._HEAD)
        middle = b"".join(c.pack(getattr(self, n), self) for c, n in self._MIDDLE)
        return head + bytes([ops & 0xFF]) + middle + bytes([ops >> 8]) \
            + Raw(3).pack(self.reserved, self) + Trailing(U8).pack(self.last_print_result, self)

    @classmethod
    def _unpack(cls, reader: Reader, got: dict) -> dict:
        got.update((n, c.unpack(reader, got)) for c, n in cls._HEAD)
        low = U8.unpack(reader, got)
        got.update((n, c.unpack(reader, got)) for c, n in cls._MIDDLE)
        got["operations_in_receipt"] = low | U8.unpack(reader, got) << 8
        got["reserved"] = Raw(3).unpack(reader, got)
        got["last_print_result"] = Trailing(U8).unpack(reader, got)
        return got


@dataclass(frozen=True)
class FullStatusRequest(Request):
    COMMAND = Cmd.FULL_STATUS
    password: int = password()


@dataclass(frozen=True)
class FullStatusAnswer(_ModeMixin, Answer):
    COMMAND = Cmd.FULL_STATUS
    operator: int = wire(U8)
    fw_version: str = wire(Ascii(2))
    fw_build: int = wire(U16)
    fw_date: date | None = wire(DATE)
    hall_number: int = wire(U8)
    document_number: int = wire(U16)
    flags: int = wire(U16)
    mode: int = wire(U8)
    submode: int = wire(U8)
    port: int = wire(U8)
    fp_version: str = wire(Ascii(2))
    fp_build: int = wire(U16)
    fp_date: date | None = wire(DATE)
    date: date | None = wire(DATE)
    time: time = wire(TIME)
    fp_flags: int = wire(U8)
    serial_number: int = wire(U32)
    last_closed_shift: int = wire(U16)
    free_fp_records: int = wire(U16)
    refiscalizations: int = wire(U8)
    refiscalizations_left: int = wire(U8)
    inn: int = wire(UInt(6))
    extra: bytes = wire(Rest(), default=b"")    # what newer models append


# --- simple commands: password only (0x13 0x40 0x41 0x88 0x8C 0xB0), 0x25 cut -------------
@dataclass(frozen=True)
class BeepRequest(Request):
    COMMAND = Cmd.BEEP
    password: int = password()


@dataclass(frozen=True)
class XReportRequest(Request):
    COMMAND = Cmd.X_REPORT
    password: int = admin_password()


@dataclass(frozen=True)
class ZReportRequest(Request):
    COMMAND = Cmd.Z_REPORT
    password: int = admin_password()


@dataclass(frozen=True)
class CancelReceiptRequest(Request):
    COMMAND = Cmd.CANCEL_RECEIPT
    password: int = password()


@dataclass(frozen=True)
class RepeatDocumentRequest(Request):
    COMMAND = Cmd.REPEAT_DOCUMENT
    password: int = password()


@dataclass(frozen=True)
class ContinuePrintingRequest(Request):
    COMMAND = Cmd.CONTINUE_PRINTING
    password: int = admin_password()


@dataclass(frozen=True)
class OpenShiftRequest(Request):
    COMMAND = Cmd.OPEN_SHIFT
    password: int = password()


@dataclass(frozen=True)
class CutRequest(Request):
    COMMAND = Cmd.CUT
    password: int = password()
    partial: bool = wire(Flag(strict=True), default=False)  # type byte: 0 full, 1 partial


@dataclass(frozen=True)
class PrintLineRequest(Request):
    COMMAND = Cmd.PRINT_LINE
    password: int = password()
    flags: int = wire(U8, default=PRINT_RECEIPT_TAPE)
    text: str = wire(Text(padded=True), default="")
    width: int = TEXT_WIDTH         # the text field's length on the wire, NUL-padded


# --- 0x1A money register, 0x50 / 0x51 cash in / out ----------------------------------------
@dataclass(frozen=True)
class ReadMoneyRegisterRequest(Request):
    COMMAND = Cmd.READ_MONEY_REGISTER
    password: int = password()
    register: int = wire(U8, default=CASH_IN_DRAWER)


@dataclass(frozen=True)
class MoneyRegisterAnswer(Answer):
    COMMAND = Cmd.READ_MONEY_REGISTER
    operator: int = wire(U8)
    value: Decimal = wire(Units(6, 2))


@dataclass(frozen=True)
class CashInRequest(Request):
    COMMAND = Cmd.CASH_IN
    password: int = password()
    amount: Decimal = wire(MONEY)


@dataclass(frozen=True)
class CashOutRequest(Request):
    COMMAND = Cmd.CASH_OUT
    password: int = password()
    amount: Decimal = wire(MONEY)


@dataclass(frozen=True)
class CashAnswer(Answer):
    """0x50 / 0x51."""
    command: int
    operator: int = wire(U8)
    document_number: int = wire(U16)


# --- receipts: 0x80 0x82 0x85 0x89 0x8D ----------------------------------------------------
@dataclass(frozen=True)
class SaleRequest(Request):
    """0x80 (0x82 ``ReturnSaleRequest`` has the same layout). ``taxes``: 4 tax group bytes,
    0 none or 1..4."""
    COMMAND = Cmd.SALE
    password: int = password()
    quantity: Decimal = wire(Units(5, 3))           # thousandths on the wire
    price: Decimal = wire(MONEY)
    department: int = wire(U8, default=1)           # 0..16; 255 = by goods code
    taxes: tuple[int, ...] = wire(Many(U8, 4), default=(0, 0, 0, 0))
    text: str = wire(Text(padded=True), default="")
    width: int = TEXT_WIDTH


@dataclass(frozen=True)
class ReturnSaleRequest(SaleRequest):
    COMMAND = Cmd.RETURN_SALE


@dataclass(frozen=True)
class CloseReceiptRequest(Request):
    """``cash`` and payment types 2..4; ``discount`` is a percentage (0.01 % on the wire)."""
    COMMAND = Cmd.CLOSE_RECEIPT
    password: int = password()
    cash: Decimal = wire(MONEY, default=ZERO)
    pay2: Decimal = wire(MONEY, default=ZERO)
    pay3: Decimal = wire(MONEY, default=ZERO)
    pay4: Decimal = wire(MONEY, default=ZERO)
    discount: Decimal = wire(Units(2, 2, signed=True), default=ZERO)
    taxes: tuple[int, ...] = wire(Many(U8, 4), default=(0, 0, 0, 0))
    text: str = wire(Text(padded=True), default="")
    width: int = TEXT_WIDTH


@dataclass(frozen=True)
class CloseReceiptAnswer(Answer):
    COMMAND = Cmd.CLOSE_RECEIPT
    operator: int = wire(U8)
    change: Decimal = wire(MONEY)


@dataclass(frozen=True)
class SubtotalRequest(Request):
    COMMAND = Cmd.SUBTOTAL
    password: int = password()


@dataclass(frozen=True)
class SubtotalAnswer(Answer):
    COMMAND = Cmd.SUBTOTAL
    operator: int = wire(U8)
    subtotal: Decimal = wire(MONEY)


@dataclass(frozen=True)
class OpenReceiptRequest(Request):
    COMMAND = Cmd.OPEN_RECEIPT
    password: int = password()
    receipt_type: int = wire(UInt(1, range(4)), default=ReceiptType.SALE)


# --- 0xFC device type ----------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceTypeRequest(Request):
    COMMAND = Cmd.DEVICE_TYPE           # the one command without a password


@dataclass(frozen=True)
class DeviceTypeAnswer(Answer):
    COMMAND = Cmd.DEVICE_TYPE
    device_type: int = wire(U8)
    subtype: int = wire(U8)
    protocol_version: int = wire(U8)
    protocol_subversion: int = wire(U8)
    model: int = wire(U8)               # pyshtrih parses flags differently for 4, 9 and 12
    language: int = wire(U8)
    name: str = wire(Text())


# --- dispatch ------------------------------------------------------------------------------
REQUESTS: dict[int, type[Request]] = {cls.COMMAND: cls for cls in (
    ShortStatusRequest, FullStatusRequest, BeepRequest, PrintLineRequest,
    ReadMoneyRegisterRequest, CutRequest, XReportRequest, ZReportRequest, CashInRequest,
    CashOutRequest, SaleRequest, ReturnSaleRequest, CloseReceiptRequest, CancelReceiptRequest,
    SubtotalRequest, RepeatDocumentRequest, OpenReceiptRequest, ContinuePrintingRequest,
    OpenShiftRequest, DeviceTypeRequest, FnStatusRequest, FnExpiryRequest,
    FnFindDocumentRequest, FnSendTlvRequest, FnShiftParamsRequest, CloseReceiptV2Request,
    OperationV2Request, CorrectionV2Request)}

ANSWERS: dict[int, type[Answer]] = {
    **{cls.COMMAND: cls for cls in (
        ShortStatusAnswer, FullStatusAnswer, MoneyRegisterAnswer, CloseReceiptAnswer,
        SubtotalAnswer, DeviceTypeAnswer, FnStatusAnswer, FnExpiryAnswer, FnDocumentAnswer,
        FnShiftParamsAnswer, CloseReceiptV2Answer, CorrectionV2Answer)},
    **{cmd: OperatorAnswer for cmd in (
        Cmd.BEEP, Cmd.PRINT_LINE, Cmd.CUT, Cmd.X_REPORT, Cmd.Z_REPORT, Cmd.SALE,
        Cmd.RETURN_SALE, Cmd.CANCEL_RECEIPT, Cmd.REPEAT_DOCUMENT, Cmd.OPEN_RECEIPT,
        Cmd.CONTINUE_PRINTING)},
    Cmd.CASH_IN: CashAnswer, Cmd.CASH_OUT: CashAnswer,
    **{cmd: EmptyAnswer for cmd in (Cmd.OPEN_SHIFT, Cmd.FN_SEND_TLV, Cmd.OPERATION_V2)},
}


def decode_request(payload: bytes) -> Request:
    """The typed request; ``UnknownCommand`` for a code without a codec, ValueError (or its
    subclass FrameError) for a malformed one — an emulator answers 0x37 and 0x33."""
    command, _ = split_command(payload)
    if command not in REQUESTS:
        raise UnknownCommand(command)
    return REQUESTS[command].decode(payload)


def decode_answer(command: int, payload: bytes) -> Answer:
    """The typed answer to ``command``; ``DeviceError`` if its result code is not zero."""
    answered, data = split_command(payload)
    if answered != command:
        # JPOS: when a 2-byte command's answer carries another code, its low byte is the result.
        if command > 0xFF and answered > 0xFF and payload[1]:
            raise DeviceError(payload[1], command)
        raise FrameError(f"answer to 0x{answered:02X}, expected 0x{command:02X}")
    if not data:
        raise FrameError(f"answer to 0x{command:02X} without a result code")
    if data[0]:
        raise DeviceError(data[0], command)
    if command not in ANSWERS:
        raise UnknownCommand(command)
    return ANSWERS[command].decode(payload)


def error_answer(command: int, code: int) -> bytes:
    """An error answer: the command and the non-zero result code, nothing else."""
    if not 1 <= code <= 0xFF:
        raise ValueError(f"result code {code} is not an error")
    return join_command(command, bytes([code]))


__all__ = [
    "Cmd", "Mode", "Submode", "ReceiptType", "TaxRate", "DocumentType", "CASH_IN_DRAWER",
    "PRINT_CONTROL_TAPE", "PRINT_RECEIPT_TAPE", "TEXT_WIDTH", "ZERO",
    "to_kopecks", "from_kopecks", "to_units", "from_units", "int_le", "le_int", "text_cp1251",
    "read_cp1251", "encode_date", "decode_date", "encode_time", "decode_time",
    "encode_fn_date", "decode_fn_date", "encode_fn_datetime", "decode_fn_datetime", "tlv",
    "tlv_string", "read_tlv_string", "parse_tlvs",
    "DeviceError", "FrameError", "UnknownCommand",
    "Message", "Request", "Answer", "OperatorAnswer", "EmptyAnswer", "CashAnswer",
    "ShortStatusRequest", "ShortStatusAnswer", "FullStatusRequest", "FullStatusAnswer",
    "BeepRequest", "PrintLineRequest", "ReadMoneyRegisterRequest", "MoneyRegisterAnswer",
    "CutRequest", "XReportRequest", "ZReportRequest", "CashInRequest", "CashOutRequest",
    "SaleRequest", "ReturnSaleRequest", "CloseReceiptRequest", "CloseReceiptAnswer",
    "CancelReceiptRequest", "SubtotalRequest", "SubtotalAnswer", "RepeatDocumentRequest",
    "OpenReceiptRequest", "ContinuePrintingRequest", "OpenShiftRequest", "DeviceTypeRequest",
    "DeviceTypeAnswer", "FnStatusRequest", "FnStatusAnswer", "FnExpiryRequest",
    "FnExpiryAnswer", "FnFindDocumentRequest", "FnDocumentAnswer", "FnShiftDocument",
    "FnReceiptDocument", "FnSendTlvRequest", "FnShiftParamsRequest", "FnShiftParamsAnswer",
    "CloseReceiptV2Request", "CloseReceiptV2Answer", "OperationV2Request",
    "CorrectionV2Request", "CorrectionV2Answer",
    "REQUESTS", "ANSWERS", "decode_request", "decode_answer", "error_answer",
]
