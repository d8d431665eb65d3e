"""The ``shtrih`` driver: Shtrih-M registers over serial (a device path, a pty) or Ethernet
(``socket://host:port``), with the FN-era commands (research/fiscal.md §1.4).

A receipt is its items (0xFF46, with tax rate, payment method and payment object), TLVs for the
customer's contact and the cashier (0xFF0C) and the close (0xFF45, payment types and tax
system). The register's last fiscal document number (0xFF01) and reading a document back
(0xFF0A) give the print service what it needs to reconcile after a crash or a lost answer; the
link layer never resends a frame the register may have executed (``shtrih_link``).

Register settings the driver reads: ``baudrate`` (115200), ``password`` (cashier, 1),
``admin_password`` (30), ``tax_groups`` (VAT rate → the register's tax group 1..6, for rates the
protocol table has no fixed place for), ``department`` (1), ``timeout_scale`` (1.0: the
vendor's answer timeouts; tests shorten them).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from fiscal import money
from fiscal.drivers.base import (Ambiguous, FiscalDocument, Identity, NeedsOperator, NotPrinted,
                                 RegisterDriver, RegisterError, RegisterStatus)
from fiscal.drivers.shtrih_link import ShtrihLink
from fiscal.model import (OPERATION_TAG_1054, PAYMENT_METHOD_TAG_1214, PAYMENT_OBJECT_TAG_1212,
                          TAXATION_TAG_1055_BIT)
from fiscal.protocols import shtrih_commands as c
from fiscal.protocols.shtrih import ADMIN_PASSWORD, CASHIER_PASSWORD
from fiscal.protocols.shtrih_errors import DeviceError, classify

# The register's fixed tax groups (FF46 bit i = group i+1; FF45 tax sums in the same order).
# Group 1 is the general rate, programmed in the register's tax table: 20 % until 2025,
# 22 % since 2026 — both map there, and so do their calculated rates to group 5.
TAX_GROUPS = {"vat20": 1, "vat22": 1, "vat10": 2, "vat0": 3, "none": 4, "vat120": 5,
              "vat122": 5, "vat110": 6}
TURNOVER_GROUPS = (3, 4)          # FF45 sums for 0 % and "no VAT" are turnovers, not tax
DOC_TYPES = {c.DocumentType.SHIFT_OPEN: "open_shift", c.DocumentType.RECEIPT: "receipt",
             c.DocumentType.SHIFT_CLOSE: "close_shift", c.DocumentType.CORRECTION: "correction"}
OPERATIONS = {v: k.value for k, v in OPERATION_TAG_1054.items()}
PAPER = {c.Submode.PASSIVE_NO_PAPER: "out", c.Submode.ACTIVE_NO_PAPER: "out",
         c.Submode.AFTER_NO_PAPER: "continue"}
NO_DATA = 0x08                    # FN: no requested data (no such document)
RECEIPT_CLOSED = 0x55
TAG_CUSTOMER, TAG_CASHIER, TAG_CASHIER_INN = 1008, 1021, 1203


def register_error(code: int, message_ru: str, message_en: str) -> RegisterError:
    """The contract's error for a Shtrih-M result code, with the register's own words."""
    cls = classify(code)
    kind = NeedsOperator if cls.needs_operator else NotPrinted
    err = kind(cls.code, f"{message_ru} ({message_en})", cls.action, device_code=code)
    err.message_ru, err.message_en = message_ru, message_en
    return err


class ShtrihDriver(RegisterDriver):
    name = "shtrih"
    title = "Shtrih-M (serial or Ethernet)"

    def __init__(self, url: str, settings: Mapping[str, Any] | None = None):
        super().__init__(url, settings)
        s = self.settings
        self.link = ShtrihLink(url, baudrate=int(s.get("baudrate", 115200)),
                               timeout_scale=float(s.get("timeout_scale", 1.0)))
        self.passwords = {"password": int(s.get("password", CASHIER_PASSWORD)),
                          "admin": int(s.get("admin_password", ADMIN_PASSWORD))}
        self.tax_groups = {**TAX_GROUPS, **dict(s.get("tax_groups") or {})}
        self.department = int(s.get("department", 1))
        self._fn_expiry = None
        self._model_name: str | None = None

    # the line ---------------------------------------------------------------------------
    def open(self) -> None:
        self.link.open()

    def close(self) -> None:
        self.link.close()

    def call(self, request: c.Request) -> c.Answer:
        """Run one command; a refusal becomes the contract's error with the register's text."""
        request = self._with_password(request)
        answer = self.link.exchange(request.COMMAND, request.encode())
        try:
            return c.decode_answer(request.COMMAND, answer)
        except DeviceError as exc:
            raise register_error(exc.code, exc.message_ru, exc.message_en) from exc
        except ValueError as exc:        # FrameError too: an answer we cannot read
            raise Ambiguous("bad_answer", f"Unreadable answer to 0x{request.COMMAND:02X}: "
                            f"{exc}", "The hub checks the register's fiscal memory") from exc

    def _with_password(self, request: c.Request) -> c.Request:
        if not any(f.name == "password" for f in dataclasses.fields(request)):
            return request
        admin = request.password == ADMIN_PASSWORD
        wanted = self.passwords["admin" if admin else "password"]
        return request if request.password == wanted else dataclasses.replace(
            request, password=wanted)

    # reading ----------------------------------------------------------------------------
    def identity(self) -> Identity:
        full = self.call(c.FullStatusRequest())
        fn = self.call(c.FnStatusRequest())
        return Identity(model=self._model(), serial_number=str(full.serial_number),
                        fn_number=fn.fn_number)

    def _model(self) -> str:
        if self._model_name is None:
            self._model_name = self.call(c.DeviceTypeRequest()).name
        return self._model_name

    def status(self) -> RegisterStatus:
        full = self.call(c.FullStatusRequest())
        fn = self.call(c.FnStatusRequest())
        shift = self.call(c.FnShiftParamsRequest())
        cash = self.call(c.ReadMoneyRegisterRequest(register=c.CASH_IN_DRAWER))
        if self._fn_expiry is None:
            self._fn_expiry = self.call(c.FnExpiryRequest()).expiry
        clock = (datetime.combine(full.date, full.time).astimezone()
                 if full.date is not None else None)
        mode = full.mode_number
        return RegisterStatus(
            model=self._model(),
            serial_number=str(full.serial_number),
            shift_open=bool(shift.shift_open) or mode in (c.Mode.SHIFT_OPEN,
                                                          c.Mode.SHIFT_EXPIRED),
            shift_number=shift.shift_number, shift_opened_at=None,
            shift_expired=mode == c.Mode.SHIFT_EXPIRED,
            receipt_open=mode == c.Mode.OPEN_DOCUMENT,
            paper=PAPER.get(full.submode, "ok"),
            last_fd_number=fn.last_fd_number, last_doc_number=full.document_number,
            cash_in_drawer=cash.value, fn_number=fn.fn_number, fn_expires_on=self._fn_expiry,
            clock=clock)

    def last_document(self) -> int:
        return self.call(c.FnStatusRequest()).last_fd_number

    def document(self, fd_number: int) -> FiscalDocument | None:
        try:
            found = self.call(c.FnFindDocumentRequest(fd_number=fd_number))
        except NotPrinted as exc:
            if exc.device_code == NO_DATA:
                return None
            raise
        doc_type = DOC_TYPES.get(found.document_type)
        body = found.document
        if doc_type is None or isinstance(body, bytes):
            return FiscalDocument(doc_type=f"type_{found.document_type}", doc_number=0,
                                  issued_at=datetime.now().astimezone(), fd_number=fd_number)
        issued = body.datetime.astimezone() if body.datetime else datetime.now().astimezone()
        common = dict(doc_type=doc_type, doc_number=0, issued_at=issued,
                      fd_number=body.fd_number, fiscal_sign=f"{body.fiscal_sign:010d}")
        if isinstance(body, c.FnShiftDocument):
            return FiscalDocument(**common, shift_number=body.shift_number)
        return FiscalDocument(**common, operation=OPERATIONS.get(body.operation),
                              total=body.total)

    def _registered(self, fd_number: int, **extra) -> FiscalDocument:
        """The document the register just made, read back with its shift and numbers."""
        doc = self.document(fd_number)
        shift = self.call(c.FnShiftParamsRequest())
        full = self.call(c.FullStatusRequest())
        fields = {**dataclasses.asdict(doc), "doc_number": full.document_number,
                  "shift_number": doc.shift_number or shift.shift_number,
                  "number_in_shift": shift.receipt_number,
                  "fn_number": self.call(c.FnStatusRequest()).fn_number, **extra}
        return FiscalDocument(**fields)

    # fiscal documents -------------------------------------------------------------------
    def open_shift(self, cashier: Mapping | None = None) -> FiscalDocument:
        self._cashier_tlvs(cashier)
        self.call(c.OpenShiftRequest())
        return self._registered(self.last_document())

    def close_shift(self, cashier: Mapping | None = None) -> FiscalDocument:
        self._cashier_tlvs(cashier)
        self.call(c.ZReportRequest())
        return self._registered(self.last_document())

    def receipt(self, receipt: Mapping, cashier: Mapping | None = None) -> FiscalDocument:
        operation = OPERATION_TAG_1054[receipt["operation"]]
        groups = [self._tax_group(item["vat"]) for item in receipt["items"]]
        for item, group in zip(receipt["items"], groups):
            self.call(c.OperationV2Request(
                operation=operation, quantity=Decimal(item["quantity"]),
                price=Decimal(item["price"]), amount=Decimal(item["amount"]),
                tax_rate=1 << (group - 1), department=self.department,
                payment_method=PAYMENT_METHOD_TAG_1214[item.get("payment_method")
                                                       or "full_payment"],
                payment_object=PAYMENT_OBJECT_TAG_1212[item.get("payment_object")
                                                       or "commodity"],
                name=item["name"]))
        customer = receipt.get("customer") or {}
        contact = customer.get("email") or customer.get("phone")
        if contact:
            self.call(c.FnSendTlvRequest(tlv=c.tlv_string(TAG_CUSTOMER, contact)))
        self._cashier_tlvs(cashier)
        paid = money.payments_by_type(receipt["payments"])
        answer = self.call(c.CloseReceiptV2Request.make(
            cash=paid.get("cash", 0), electronic=paid.get("electronic", 0),
            prepaid=paid.get("prepaid", 0), credit=paid.get("credit", 0),
            other=paid.get("other", 0), taxes=_tax_sums(receipt["items"], groups),
            tax_system=TAXATION_TAG_1055_BIT[receipt["taxation"]]))
        return self._registered(answer.fd_number)

    def correction(self, correction: Mapping, cashier: Mapping | None = None) -> FiscalDocument:
        items = correction.get("items") or [{"amount": correction["total"],
                                             "vat": correction.get("vat") or "none"}]
        groups = [self._tax_group(item["vat"]) for item in items]
        self._cashier_tlvs(cashier)
        paid = money.payments_by_type(correction["payments"])
        answer = self.call(c.CorrectionV2Request(
            correction_type=0 if correction.get("correction_type", "self") == "self" else 1,
            operation=OPERATION_TAG_1054[correction["operation"]],
            total=Decimal(correction["total"]), cash=paid.get("cash", c.ZERO),
            electronic=paid.get("electronic", c.ZERO), prepaid=paid.get("prepaid", c.ZERO),
            postpaid=paid.get("credit", c.ZERO), counter=paid.get("other", c.ZERO),
            taxes=_tax_sums(items, groups),
            tax_system=TAXATION_TAG_1055_BIT[correction["taxation"]]))
        return self._registered(answer.fd_number, number_in_shift=answer.receipt_number)

    def _cashier_tlvs(self, cashier: Mapping | None) -> None:
        if not cashier:
            return
        if cashier.get("name"):
            self.call(c.FnSendTlvRequest(tlv=c.tlv_string(TAG_CASHIER, cashier["name"])))
        if cashier.get("inn"):
            self.call(c.FnSendTlvRequest(tlv=c.tlv_string(TAG_CASHIER_INN, cashier["inn"])))

    def _tax_group(self, vat: str) -> int:
        group = self.tax_groups.get(vat)
        if group is None or not 1 <= int(group) <= 6:
            raise NeedsOperator("unsupported_vat", f"The register has no tax group for {vat}",
                                f"Map {vat} to one of the register's tax groups 1-6 in the "
                                "register's settings (tax_groups), then repeat")
        return int(group)

    # cash and service -------------------------------------------------------------------
    def cash_in(self, amount: Decimal, cashier: Mapping | None = None) -> FiscalDocument:
        return self._cash("cash_in", self.call(c.CashInRequest(amount=Decimal(amount))), amount)

    def cash_out(self, amount: Decimal, cashier: Mapping | None = None) -> FiscalDocument:
        return self._cash("cash_out", self.call(c.CashOutRequest(amount=Decimal(amount))),
                          amount)

    @staticmethod
    def _cash(doc_type: str, answer, amount) -> FiscalDocument:
        return FiscalDocument(doc_type=doc_type, doc_number=answer.document_number,
                              issued_at=datetime.now().astimezone(),
                              total=money.money(Decimal(amount)))

    def x_report(self) -> None:
        self.call(c.XReportRequest())

    def cancel_receipt(self) -> None:
        full = self.call(c.FullStatusRequest())
        if full.submode == c.Submode.AFTER_NO_PAPER:
            self.call(c.ContinuePrintingRequest())
        try:
            self.call(c.CancelReceiptRequest())
        except NotPrinted as exc:
            if exc.device_code != RECEIPT_CLOSED:       # nothing open: nothing to cancel
                raise

    def continue_printing(self) -> None:
        self.call(c.ContinuePrintingRequest())

    def reprint_last(self) -> None:
        self.call(c.RepeatDocumentRequest())

    def cut(self) -> None:
        self.call(c.CutRequest(partial=False))


def _tax_sums(items, groups) -> tuple[Decimal, ...]:
    """FF45/FF4A's six sums: VAT per group, and the turnover for the 0 % and no-VAT groups."""
    sums = [Decimal("0.00")] * 6
    for item, group in zip(items, groups):
        amount = Decimal(item["amount"])
        part = amount if group in TURNOVER_GROUPS else (money.vat_amount(amount, item["vat"])
                                                       or Decimal("0.00"))
        sums[group - 1] += part
    return tuple(sums)
