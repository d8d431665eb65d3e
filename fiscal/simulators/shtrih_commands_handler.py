"""The Shtrih-M emulator's commands: decode a request payload, run it on the simulated register,
encode the answer — all codecs from ``fiscal.protocols.shtrih_commands``.

``ShtrihCommandHandler(register).handle(payload) -> answer payload`` never raises for a bad or
refused command: refusals become error answers (command + the register's result code), an
unknown command 0x37, a malformed one 0x33, a wrong password 0x4F.

Passwords follow the register's default table: 1..28 cashiers, 29 administrator, 30 system
administrator (each row's password is its number); the operator number in answers is the row.
The X and Z reports need 29 or 30. TLVs (0xFF0C) go with the open receipt (kept in the fiscal
memory); sent with no receipt open they wait, in this process, for the next document (a shift
report, cash in/out, a receipt or a correction). Tags read: 1008 customer contact (email when it
has an @, else phone), 1021 cashier name, 1203 cashier INN.

Legacy receipts: 0x80/0x82 open a sale / sale-return receipt when none is open; the first tax
byte is the tax group (1 20 %, 2 10 %, 3 0 %, 4 no VAT, 5 20/120, 6 10/110, as FF46's bits);
0x85's payment types 2..4 are electronic; a non-zero 0x85 discount is refused (0x33: discounts
are not simulated). FF45's rounding and tax sums and FF4A's tax sums are not checked: the
simulator computes VAT per item.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from fiscal.model import (OPERATION_TAG_1054, TAXATION_TAG_1055_BIT, PaymentMethod,
                          PaymentObject)
from fiscal.protocols import shtrih_commands as C
from fiscal.protocols import shtrih_errors as E
from fiscal.protocols.shtrih_commands import Cmd, DocumentType
from fiscal.simulators import refusals as R
from fiscal.simulators.fiscal_memory import register_clock
from fiscal.simulators.refusals import RegisterRefusal
from fiscal.simulators.register import SimulatedRegister

MODEL_NAME = "ШТРИХ-М-01Ф"
# 0xFC: type 0 (ККМ), subtype 0, protocol 1.0, language 0 (Russian). The model number is ours:
# any but 4, 9 and 12 (pyshtrih parses the flags of those three models differently).
DEVICE_TYPE = dict(device_type=0, subtype=0, protocol_version=1, protocol_subversion=0,
                   model=0x11, language=0)
FIRMWARE = dict(version="C2", build=26040, date=date(2023, 3, 1))
INN = 7712345678                    # the registered owner's INN (a made-up one)
SYSADMIN, ADMIN = 30, 29
REPORT_PASSWORDS = frozenset({ADMIN, SYSADMIN})
RECEIPT_TYPES = {0: "sell", 1: "buy", 2: "sell_refund", 3: "buy_refund"}
OPERATIONS_1054 = {v: str(k) for k, v in OPERATION_TAG_1054.items()}
# Tax groups: FF46's bit i = group i+1; the legacy commands give the group number.
TAX_GROUPS = {1: "vat20", 2: "vat10", 3: "vat0", 4: "none", 5: "vat120", 6: "vat110"}
TAX_BITS = {1 << (g - 1): vat for g, vat in TAX_GROUPS.items()}
PAYMENT_METHODS = {i: str(m) for i, m in enumerate(PaymentMethod, start=1)}
PAYMENT_OBJECTS = {i: str(o) for i, o in enumerate(PaymentObject, start=1)}
TAXATION_BITS = {bit: str(t) for t, bit in TAXATION_TAG_1055_BIT.items()}
DOC_TYPES = {"open_shift": DocumentType.SHIFT_OPEN, "receipt": DocumentType.RECEIPT,
             "close_shift": DocumentType.SHIFT_CLOSE, "correction": DocumentType.CORRECTION}
TAG_CUSTOMER, TAG_CASHIER, TAG_CASHIER_INN = 1008, 1021, 1203
FN_NO_DATA, FN_BAD_FORMAT = 0x08, 0x01


class ShtrihCommandHandler:
    def __init__(self, register: SimulatedRegister):
        self.register = register
        self.memory = register.memory
        self._pending_tlvs: list[dict[str, Any]] = []
        self._handlers: dict[int, Callable[[Any], C.Answer]] = {
            Cmd.SHORT_STATUS: self.short_status, Cmd.FULL_STATUS: self.full_status,
            Cmd.BEEP: self.beep, Cmd.PRINT_LINE: self.print_line,
            Cmd.READ_MONEY_REGISTER: self.money_register, Cmd.CUT: self.cut,
            Cmd.X_REPORT: self.x_report, Cmd.Z_REPORT: self.z_report,
            Cmd.CASH_IN: self.cash, Cmd.CASH_OUT: self.cash,
            Cmd.SALE: self.sale, Cmd.RETURN_SALE: self.sale,
            Cmd.CLOSE_RECEIPT: self.close_receipt, Cmd.CANCEL_RECEIPT: self.cancel_receipt,
            Cmd.SUBTOTAL: self.subtotal, Cmd.REPEAT_DOCUMENT: self.repeat_document,
            Cmd.OPEN_RECEIPT: self.open_receipt, Cmd.CONTINUE_PRINTING: self.continue_printing,
            Cmd.OPEN_SHIFT: self.open_shift, Cmd.DEVICE_TYPE: self.device_type,
            Cmd.FN_STATUS: self.fn_status, Cmd.FN_EXPIRY: self.fn_expiry,
            Cmd.FN_FIND_DOCUMENT: self.fn_find_document, Cmd.FN_SEND_TLV: self.fn_send_tlv,
            Cmd.FN_SHIFT_PARAMS: self.fn_shift_params,
            Cmd.CLOSE_RECEIPT_V2: self.close_receipt_v2, Cmd.OPERATION_V2: self.operation_v2,
            Cmd.CORRECTION_V2: self.correction_v2,
        }

    # the entry point ------------------------------------------------------------------------
    def handle(self, payload: bytes) -> bytes:
        """The answer payload (command + result code + data) to a request payload."""
        command, _ = C.split_command(payload)
        handler = self._handlers.get(command)
        if handler is None:
            return self.error(command, E.COMMAND_NOT_SUPPORTED)
        try:
            request = C.decode_request(payload)
        except C.UnknownCommand:
            return self.error(command, E.COMMAND_NOT_SUPPORTED)
        except ValueError:                              # FrameError too: a malformed request
            return self.error(command, E.BAD_PARAMETERS)
        password = getattr(request, "password", None)
        if password is not None:
            if not 1 <= password <= SYSADMIN or (
                    command in (Cmd.X_REPORT, Cmd.Z_REPORT) and password not in REPORT_PASSWORDS):
                return self.error(command, E.WRONG_PASSWORD)
        try:
            return handler(request).encode()
        except RegisterRefusal as refusal:
            return self.error(command, refusal.device_code)

    @staticmethod
    def error(command: int, code: int) -> bytes:
        return C.error_answer(command, code)

    # status ---------------------------------------------------------------------------------
    def short_status(self, req: Any) -> C.Answer:
        reg = self.memory.state()
        mode, submode = self.register.modes()
        return C.ShortStatusAnswer(
            operator=req.password, flags=_flags(reg), mode=mode, submode=submode,
            operations_in_receipt=len((reg["open_receipt"] or {}).get("items", [])),
            battery_voltage=0x9B, power_voltage=0xC8, fp_error=0, eklz_error=0)

    def full_status(self, req: Any) -> C.Answer:
        reg = self.memory.state()
        mode, submode = self.register.modes()
        now = register_clock(reg["clock_offset"])
        shift = reg["shift_number"]
        return C.FullStatusAnswer(
            operator=req.password, fw_version=FIRMWARE["version"], fw_build=FIRMWARE["build"],
            fw_date=FIRMWARE["date"], hall_number=1, document_number=reg["last_doc_number"],
            flags=_flags(reg), mode=mode, submode=submode, port=0,
            fp_version=FIRMWARE["version"], fp_build=FIRMWARE["build"],
            fp_date=FIRMWARE["date"], date=now.date(), time=now.time(),
            fp_flags=0x03 | (0x40 if reg["shift_open"] else 0),
            serial_number=_serial(reg["serial_number"]),
            last_closed_shift=shift - 1 if reg["shift_open"] else shift,
            free_fp_records=max(0, 2000 - shift), refiscalizations=1,
            refiscalizations_left=11, inn=INN)

    def device_type(self, req: Any) -> C.Answer:
        return C.DeviceTypeAnswer(**DEVICE_TYPE, name=MODEL_NAME)

    def money_register(self, req: Any) -> C.Answer:
        value = Decimal("0.00")
        if req.register == C.CASH_IN_DRAWER:
            value = self.memory.state()["cash_in_drawer"]
        return C.MoneyRegisterAnswer(operator=req.password, value=value)

    def fn_status(self, req: Any) -> C.Answer:
        reg = self.memory.state()
        receipt = reg["open_receipt"]
        return C.FnStatusAnswer(
            life_phase=0x03, current_document=0x04 if receipt else 0x00,
            document_data=1 if receipt and receipt.get("items") else 0,
            shift_open=bool(reg["shift_open"]), warnings=0,
            datetime=_fn_time(register_clock(reg["clock_offset"])),
            fn_number=reg["fn_number"], last_fd_number=reg["last_fd_number"])

    def fn_expiry(self, req: Any) -> C.Answer:
        return C.FnExpiryAnswer(expiry=self.memory.state()["fn_expires_on"],
                                reregistrations_left=11, reregistrations_done=1)

    def fn_shift_params(self, req: Any) -> C.Answer:
        reg = self.memory.state()
        return C.FnShiftParamsAnswer(shift_open=bool(reg["shift_open"]),
                                     shift_number=reg["shift_number"],
                                     receipt_number=reg["receipt_number"])

    def fn_find_document(self, req: Any) -> C.Answer:
        doc = self.register.document(req.fd_number)
        if doc is None or doc.doc_type not in DOC_TYPES:
            raise RegisterRefusal(FN_NO_DATA)
        common = dict(datetime=_fn_time(doc.issued_at), fd_number=doc.fd_number,
                      fiscal_sign=int(doc.fiscal_sign or 0))
        if doc.doc_type in ("open_shift", "close_shift"):
            body = C.FnShiftDocument(**common, shift_number=doc.shift_number or 0)
        else:
            body = C.FnReceiptDocument(**common, operation=OPERATION_TAG_1054[doc.operation],
                                       total=doc.total or Decimal("0.00"))
        return C.FnDocumentAnswer(document_type=DOC_TYPES[doc.doc_type],
                                  ofd_acknowledged=False, document=body)

    # printing and service -------------------------------------------------------------------
    def beep(self, req: Any) -> C.Answer:
        return _op(Cmd.BEEP, req)

    def print_line(self, req: Any) -> C.Answer:
        paper = self.memory.state()["paper"]
        if paper == "out":
            raise RegisterRefusal(R.NO_PAPER)
        if paper == "continue":
            raise RegisterRefusal(R.WAITING_CONTINUE_PRINTING)
        return _op(Cmd.PRINT_LINE, req)

    def cut(self, req: Any) -> C.Answer:
        self.register.cut()
        return _op(Cmd.CUT, req)

    def continue_printing(self, req: Any) -> C.Answer:
        self.register.continue_printing()
        return _op(Cmd.CONTINUE_PRINTING, req)

    def repeat_document(self, req: Any) -> C.Answer:
        self.register.reprint_last()
        return _op(Cmd.REPEAT_DOCUMENT, req)

    # shift, reports, cash -------------------------------------------------------------------
    def open_shift(self, req: Any) -> C.Answer:
        self.register.open_shift(self._take_cashier())
        return C.EmptyAnswer(command=Cmd.OPEN_SHIFT)

    def z_report(self, req: Any) -> C.Answer:
        self.register.close_shift(self._take_cashier())
        return _op(Cmd.Z_REPORT, req)

    def x_report(self, req: Any) -> C.Answer:
        self.register.x_report()
        return _op(Cmd.X_REPORT, req)

    def cash(self, req: Any) -> C.Answer:
        cashier = self._take_cashier()
        if req.COMMAND == Cmd.CASH_IN:
            doc = self.register.cash_in(req.amount, cashier)
        else:
            doc = self.register.cash_out(req.amount, cashier)
        return C.CashAnswer(command=req.COMMAND, operator=req.password,
                            document_number=doc.doc_number & 0xFFFF)

    # receipts: the legacy flow --------------------------------------------------------------
    def open_receipt(self, req: Any) -> C.Answer:
        self.register.open_receipt(RECEIPT_TYPES[req.receipt_type])
        self._attach_pending_tlvs()
        return _op(Cmd.OPEN_RECEIPT, req)

    def sale(self, req: Any) -> C.Answer:
        """0x80 / 0x82: an item; with no receipt open it opens one (sale or sale return)."""
        operation = "sell" if req.COMMAND == Cmd.SALE else "sell_refund"
        vat = TAX_GROUPS.get(req.taxes[0], "none")
        self.register.add_item(req.text, req.price, req.quantity, None, vat,
                               operation=operation)
        self._attach_pending_tlvs()
        return _op(req.COMMAND, req)

    def close_receipt(self, req: Any) -> C.Answer:
        if req.discount:
            raise RegisterRefusal(R.BAD_PARAMETERS)     # discounts are not simulated
        payments = {"cash": req.cash, "electronic": req.pay2 + req.pay3 + req.pay4}
        doc = self._close(payments, None)
        return C.CloseReceiptAnswer(operator=req.password,
                                    change=Decimal(doc.details.get("change", "0.00")))

    def cancel_receipt(self, req: Any) -> C.Answer:
        self.register.cancel_receipt()
        self._pending_tlvs = []
        return _op(Cmd.CANCEL_RECEIPT, req)

    def subtotal(self, req: Any) -> C.Answer:
        return C.SubtotalAnswer(operator=req.password, subtotal=self.register.subtotal())

    # receipts: the FN flow ------------------------------------------------------------------
    def operation_v2(self, req: Any) -> C.Answer:
        vat = TAX_BITS.get(req.tax_rate)
        method = PAYMENT_METHODS.get(req.payment_method)
        obj = PAYMENT_OBJECTS.get(req.payment_object)
        if None in (vat, method, obj):
            raise RegisterRefusal(R.BAD_PARAMETERS)
        self.register.add_item(req.name, req.price, req.quantity, req.amount, vat, method, obj,
                               operation=OPERATIONS_1054[req.operation])
        self._attach_pending_tlvs()
        return C.EmptyAnswer(command=Cmd.OPERATION_V2)

    def fn_send_tlv(self, req: Any) -> C.Answer:
        try:
            tlvs = [{"tag": tag, "hex": value.hex()} for tag, value in C.parse_tlvs(req.tlv)]
        except ValueError:
            raise RegisterRefusal(FN_BAD_FORMAT) from None
        with self.memory.transaction() as t:
            receipt = t.register()["open_receipt"]
            if receipt is None:
                self._pending_tlvs.extend(tlvs)
            else:
                receipt["tlvs"] = [*receipt.get("tlvs", []), *tlvs]
                t.update(open_receipt=receipt)
        return C.EmptyAnswer(command=Cmd.FN_SEND_TLV)

    def close_receipt_v2(self, req: Any) -> C.Answer:
        payments = {"cash": req.cash, "electronic": req.electronic, "prepaid": req.prepaid,
                    "credit": req.credit, "other": req.other}
        doc = self._close(payments, _taxation(req.tax_system))
        return C.CloseReceiptV2Answer(change=Decimal(doc.details.get("change", "0.00")),
                                      fd_number=doc.fd_number,
                                      fiscal_sign=int(doc.fiscal_sign))

    def correction_v2(self, req: Any) -> C.Answer:
        operation = OPERATIONS_1054.get(req.operation)
        kind = {0: "self", 1: "instruction"}.get(req.correction_type)
        if operation is None or kind is None:
            raise RegisterRefusal(R.BAD_PARAMETERS)
        payments = {"cash": req.cash, "electronic": req.electronic, "prepaid": req.prepaid,
                    "credit": req.postpaid, "other": req.counter}
        doc = self.register.correction(operation, kind, taxation=_taxation(req.tax_system),
                                       payments=payments, total=req.total,
                                       cashier=self._take_cashier())
        return C.CorrectionV2Answer(receipt_number=doc.number_in_shift or 0,
                                    fd_number=doc.fd_number, fiscal_sign=int(doc.fiscal_sign))

    # TLVs -----------------------------------------------------------------------------------
    def _attach_pending_tlvs(self) -> None:
        if not self._pending_tlvs:
            return
        with self.memory.transaction() as t:
            receipt = t.register()["open_receipt"]
            if receipt is not None:
                receipt["tlvs"] = [*self._pending_tlvs, *receipt.get("tlvs", [])]
                t.update(open_receipt=receipt)
                self._pending_tlvs = []

    def _take_cashier(self) -> dict[str, str] | None:
        values = _tlv_strings(self._pending_tlvs)
        self._pending_tlvs = []
        return _cashier(values)

    def _close(self, payments: dict[str, Decimal], taxation: str | None) -> Any:
        receipt = self.memory.state()["open_receipt"]
        values = _tlv_strings([*((receipt or {}).get("tlvs") or []), *self._pending_tlvs])
        contact = values.get(TAG_CUSTOMER)
        customer = {"email" if "@" in contact else "phone": contact} if contact else None
        doc = self.register.close_receipt(payments, taxation, customer, _cashier(values))
        self._pending_tlvs = []
        return doc


def _op(command: int, req: Any) -> C.Answer:
    return C.OperatorAnswer(command=command, operator=req.password)


def _fn_time(when: datetime) -> datetime:
    """FN date-times carry minutes: YY MM DD HH MM."""
    return when.replace(second=0, microsecond=0, tzinfo=None)


def _serial(serial: str) -> int:
    """The serial number as the 4-byte field carries it (digits only; 0 if it has none)."""
    digits = "".join(ch for ch in str(serial) if ch.isdigit())
    return int(digits) & 0xFFFFFFFF if digits else 0


def _flags(reg: dict[str, Any]) -> int:
    """Receipt roll present (bit 1) and its optical sensor (bit 7) when there is paper."""
    return 0x0082 if reg["paper"] != "out" else 0x0000


def _taxation(mask: int) -> str | None:
    if not mask:
        return None
    if mask not in TAXATION_BITS:
        raise RegisterRefusal(R.BAD_PARAMETERS)
    return TAXATION_BITS[mask]


def _tlv_strings(tlvs: list[dict[str, Any]]) -> dict[int, str]:
    return {int(t["tag"]): C.read_tlv_string(bytes.fromhex(t["hex"])).rstrip("\x00")
            for t in tlvs}


def _cashier(values: dict[int, str]) -> dict[str, str] | None:
    if TAG_CASHIER not in values:
        return None
    cashier = {"name": values[TAG_CASHIER]}
    if TAG_CASHIER_INN in values:
        cashier["inn"] = values[TAG_CASHIER_INN]
    return cashier
