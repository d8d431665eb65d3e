"""Examples for fiscal.schemas: every rule, the good case next to each bad one."""
import copy
import datetime
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from fiscal.model import Vat
from fiscal.schemas import (CashierSchema, CorrectionSchema, CustomerSchema, ItemSchema,
                            JobSchema, PaymentSchema, ReceiptSchema, dump_job, job_total,
                            load_job)

D = Decimal


def an_item(**changes):
    item = {"name": "Борщ", "price": "350.00", "quantity": "2", "amount": "700.00",
            "vat": "vat20"}
    item.update(changes)
    return item


def a_receipt(**changes):
    receipt = {"operation": "sell", "taxation": "osn", "items": [an_item()],
               "payments": [{"type": "cash", "amount": "1000.00"}], "total": "700.00"}
    receipt.update(changes)
    return receipt


def a_job(**changes):
    job = {"kind": "receipt", "register": "reg-1", "receipt": a_receipt()}
    job.update(changes)
    return job


def a_correction(**changes):
    correction = {"operation": "sell", "correction_type": "self",
                  "base": {"date": "2026-11-20"}, "taxation": "osn", "vat": "vat20",
                  "payments": [{"type": "cash", "amount": "1000.00"}], "total": "1000.00"}
    correction.update(changes)
    return correction


def errors(data):
    with pytest.raises(ValidationError) as caught:
        load_job(data)
    return caught.value.messages


def receipt_errors(**changes):
    return errors(a_job(receipt=a_receipt(**changes)))["receipt"]


def item_errors(**changes):
    return receipt_errors(items=[an_item(**changes)], total=an_item(**changes)["amount"])


# --- the good case, loaded and dumped -------------------------------------------------------

def test_full_receipt_loads_to_plain_dict_with_decimals_and_defaults():
    supplier = {"inn": "7707083893", "name": "ООО Ромашка", "phones": ["+79990000000"]}
    customer = {"email": "guest@example.com", "phone": "+79991234567", "name": "Петров"}
    job = load_job(a_job(idempotency_key="order-1234", cashier={"name": "Иванова А."},
                         receipt=a_receipt(customer=customer, items=[an_item(
                             agent={"type": "commission_agent"}, sku="B-12",
                             supplier=supplier, vat=Vat.VAT20)])))
    assert job["receipt"] == {
        "operation": "sell", "taxation": "osn", "customer": customer, "paperless": False,
        "total": D("700.00"), "payments": [{"type": "cash", "amount": D("1000.00")}],
        "items": [{"name": "Борщ", "price": D("350.00"), "quantity": D("2.000"),
                   "amount": D("700.00"), "measure": "piece", "vat": "vat20",
                   "payment_method": "full_payment", "payment_object": "commodity",
                   "agent": {"type": "commission_agent"}, "supplier": supplier,
                   "sku": "B-12"}]}
    item = job["receipt"]["items"][0]
    assert str(item["quantity"]) == "2.000" and str(item["price"]) == "350.00"
    assert type(job["kind"]) is str and type(item["vat"]) is str   # not the StrEnum member


def test_ints_and_decimals_are_accepted_and_quantized_half_up():
    job = load_job(a_job(receipt=a_receipt(
        items=[an_item(price=350, quantity=D("2"), amount=D("700.004"))],
        total="700.00", payments=[{"type": "cash", "amount": D("700.005")}])))
    assert job["receipt"]["items"][0]["amount"] == D("700.00")
    assert job["receipt"]["payments"][0]["amount"] == D("700.01")


def test_dump_gives_strings_for_money_and_quantities():
    dumped = dump_job(load_job(a_job()))
    item = dumped["receipt"]["items"][0]
    assert (item["price"], item["quantity"], item["amount"]) == ("350.00", "2.000", "700.00")
    assert dumped["receipt"]["total"] == "700.00"
    assert dumped["receipt"]["payments"] == [{"type": "cash", "amount": "1000.00"}]
    assert load_job(dumped) == load_job(a_job())


def test_job_total():
    assert job_total(load_job(a_job())) == D("700.00")
    assert job_total(load_job({"kind": "correction", "register": "r",
                               "correction": a_correction()})) == D("1000.00")
    assert job_total(load_job({"kind": "cash_out", "register": "r", "amount": "50"})) == D("50.00")
    assert job_total(load_job({"kind": "x_report", "register": "r"})) is None


def test_schema_classes_are_exported_and_usable_alone():
    assert ItemSchema().load(an_item())["amount"] == D("700.00")
    assert PaymentSchema().load({"type": "electronic", "amount": "1"})["amount"] == D("1.00")
    assert CashierSchema().load({"name": "Иванова А."}) == {"name": "Иванова А."}
    assert CustomerSchema().load({"phone": "+79991234567"}) == {"phone": "+79991234567"}
    assert ReceiptSchema().load(a_receipt())["total"] == D("700.00")
    assert CorrectionSchema().load(a_correction())["vat"] == "vat20"
    assert JobSchema().load(a_job())["kind"] == "receipt"


# --- amount = price × quantity within one kopeck --------------------------------------------

@pytest.mark.parametrize("amount", ["700.00", "700.01", "699.99"])
def test_amount_within_one_kopeck_of_price_times_quantity(amount):
    load_job(a_job(receipt=a_receipt(items=[an_item(amount=amount)], total=amount)))


def test_amount_off_by_two_kopecks():
    assert item_errors(amount="700.02") == {"items": {0: {"amount": [
        "amount 700.02 is not price × quantity = 350.00 × 2.000 = 700.00 (within 0.01)"]}}}


def test_amount_check_uses_the_exact_product():
    # 33.33 × 0.125 = 4.16625: 4.17 and 4.16 are within a kopeck, 4.15 is not
    for amount in ("4.17", "4.16"):
        load_job(a_job(receipt=a_receipt(
            items=[an_item(price="33.33", quantity="0.125", amount=amount)], total=amount)))
    assert item_errors(price="33.33", quantity="0.125", amount="4.15") == {"items": {0: {
        "amount": ["amount 4.15 is not price × quantity = 33.33 × 0.125 = 4.17 (within 0.01)"]}}}


# --- item fields ----------------------------------------------------------------------------

@pytest.mark.parametrize("qty", ["0", "-1", "0.0004"])
def test_quantity_must_be_positive_on_every_operation(qty):
    for operation in ("sell", "sell_refund", "buy", "buy_refund"):
        errs = errors(a_job(receipt=a_receipt(operation=operation,
                                              items=[an_item(quantity=qty, amount="0")],
                                              total="700.00")))
        message = errs["receipt"]["items"][0]["quantity"][0]
        assert message.startswith(f"quantity must be greater than 0, got {D(qty):.3f}")


def test_price_may_be_zero_but_not_negative():
    load_job(a_job(receipt=a_receipt(
        items=[an_item(), an_item(name="Хлеб", price="0", amount="0")])))
    assert item_errors(price="-1", amount="0")["items"][0]["price"] == [
        "price must not be negative, got -1.00"]


def test_item_name_length():
    load_job(a_job(receipt=a_receipt(items=[an_item(name="x" * 128)])))
    for name in ("", "x" * 129):
        assert item_errors(name=name)["items"][0]["name"] == [
            "item name must be 1 to 128 characters long"]


def test_measure_from_the_fixed_list():
    assert load_job(a_job(receipt=a_receipt(items=[an_item(measure="kilogram")])))[
        "receipt"]["items"][0]["measure"] == "kilogram"
    message = item_errors(measure="bushel")["items"][0]["measure"][0]
    assert message.startswith("Must be one of: piece, gram, kilogram")


def test_vat_required_and_from_the_list():
    item = an_item()
    del item["vat"]
    assert receipt_errors(items=[item])["items"][0]["vat"] == [
        "Missing data for required field."]
    assert item_errors(vat="vat18")["items"][0]["vat"][0].startswith("Must be one of: none, vat0")


def test_agent_needs_supplier():
    load_job(a_job(receipt=a_receipt(items=[an_item(
        agent={"type": "paying_agent"}, supplier={"inn": "500100732259", "name": "ИП Сидоров"})])))
    assert item_errors(agent={"type": "commission_agent"}) == {"items": {0: {"supplier": [
        "supplier (INN and name) is required when agent is given (FFD 1224/1226)"]}}}


def test_supplier_inn_and_phones():
    errs = item_errors(agent={"type": "attorney"},
                       supplier={"inn": "12345", "name": "X", "phones": ["89990000000"]})
    supplier = errs["items"][0]["supplier"]
    assert supplier["inn"] == ["INN must be 10 or 12 digits, got 12345"]
    assert supplier["phones"] == {0: [
        "phone must be + and 10 to 15 digits, e.g. +79991234567; got 89990000000"]}


def test_sku_length():
    load_job(a_job(receipt=a_receipt(items=[an_item(sku="x" * 64)])))
    assert item_errors(sku="x" * 65)["items"][0]["sku"] == ["sku must be 1 to 64 characters long"]


def test_items_count():
    load_job(a_job(receipt=a_receipt(items=[an_item(amount="7.00", price="3.50")] * 100,
                                     total="700.00")))
    assert receipt_errors(items=[])["items"] == ["between 1 and 100 items"]
    assert receipt_errors(items=[an_item(amount="7.00", price="3.50")] * 101,
                          total="707.00")["items"] == ["between 1 and 100 items"]


# --- total ----------------------------------------------------------------------------------

def test_total_is_the_sum_of_amounts():
    load_job(a_job(receipt=a_receipt(items=[an_item(), an_item(name="Хлеб", price="25.50",
                                                               quantity="1", amount="25.50")],
                                     total="725.50")))
    assert receipt_errors(total="700.01") == {"total": [
        "total 700.01 is not the sum of item amounts 700.00"]}


@pytest.mark.parametrize("total, shown", [("0", "0.00"), ("-5", "-5.00")])
def test_total_must_be_positive(total, shown):
    errs = receipt_errors(items=[an_item(price="0", amount="0")], total=total)
    assert errs == {"total": [f"total must be greater than 0, got {shown}"]}


def test_total_is_not_checked_against_items_that_have_errors():
    errs = receipt_errors(items=[an_item(amount="x")], total="5.00")
    assert errs == {"items": {0: {"amount": ["Not a valid number."]}}}


# --- payments -------------------------------------------------------------------------------

def test_payments_may_exceed_the_total_in_cash_only():
    load_job(a_job(receipt=a_receipt(payments=[{"type": "electronic", "amount": "700.00"}])))
    load_job(a_job(receipt=a_receipt(payments=[{"type": "electronic", "amount": "600.00"},
                                               {"type": "cash", "amount": "500.00"}])))
    errs = receipt_errors(payments=[{"type": "electronic", "amount": "800.00"}])
    assert errs == {"payments": [
        "non-cash payments 800.00 exceed the total 700.00: only cash may exceed it (the change)"]}


def test_payments_must_cover_the_total():
    errs = receipt_errors(payments=[{"type": "cash", "amount": "300.00"},
                                    {"type": "prepaid", "amount": "399.99"}])
    assert errs == {"payments": ["payments 699.99 do not cover the total 700.00"]}


def test_payment_fields():
    errs = receipt_errors(payments=[{"type": "card", "amount": "0"}])
    assert errs["payments"][0]["type"][0].startswith("Must be one of: cash, electronic")
    assert errs["payments"][0]["amount"] == ["payment amount must be greater than 0, got 0.00"]
    assert receipt_errors(payments=[{"type": "cash", "amount": "100"}] * 11)["payments"] == [
        "between 1 and 10 payments"]


# --- customer, paperless, refund_of ---------------------------------------------------------

@pytest.mark.parametrize("customer", [{"email": "a@b.ru"}, {"phone": "+79991234567"}])
def test_paperless_with_email_or_phone(customer):
    load_job(a_job(receipt=a_receipt(paperless=True, customer=customer)))


@pytest.mark.parametrize("changes", [{}, {"customer": {"name": "Петров"}}])
def test_paperless_without_email_or_phone(changes):
    assert receipt_errors(paperless=True, **changes) == {"customer": [
        "a paperless receipt needs a customer email or phone to send it to"]}


def test_paperless_with_an_invalid_email_reports_only_the_email():
    assert receipt_errors(paperless=True, customer={"email": "nope"}) == {
        "customer": {"email": ["Not a valid email address."]}}


def test_customer_fields():
    errs = receipt_errors(customer={"phone": "+7999", "inn": "123", "name": ""})["customer"]
    assert errs == {"phone": ["phone must be + and 10 to 15 digits, e.g. +79991234567; got +7999"],
                    "inn": ["INN must be 10 or 12 digits, got 123"],
                    "name": ["customer name must be 1 to 256 characters long"]}


@pytest.mark.parametrize("operation", ["sell_refund", "buy_refund"])
def test_refund_of_on_refunds(operation):
    job = load_job(a_job(receipt=a_receipt(operation=operation, refund_of="job-1")))
    assert job["receipt"]["refund_of"] == "job-1"


@pytest.mark.parametrize("operation", ["sell", "buy"])
def test_refund_of_not_on_sales(operation):
    assert receipt_errors(operation=operation, refund_of="job-1") == {"refund_of": [
        f"refund_of is only allowed on sell_refund or buy_refund, not on {operation}"]}


# --- envelope -------------------------------------------------------------------------------

def test_cashier():
    load_job(a_job(cashier={"name": "x" * 64, "inn": "500100732259"}))
    errs = errors(a_job(cashier={"name": "x" * 65, "inn": "7707083893"}))
    assert errs == {"cashier": {"name": ["cashier name must be 1 to 64 characters long"],
                                "inn": ["INN must be 12 digits, got 7707083893"]}}
    assert errors(a_job(cashier={}))["cashier"] == {"name": ["Missing data for required field."]}


def test_target_is_exactly_one_of_register_and_group():
    job = a_job()
    del job["register"]
    assert load_job({**job, "register_group": "grp"})["register_group"] == "grp"
    assert errors(job) == {"register": ["one of register or register_group is required"]}
    assert errors({**job, "register": "r", "register_group": "g"}) == {
        "register_group": ["give register or register_group, not both"]}


def test_idempotency_key_length():
    assert load_job(a_job(idempotency_key="k" * 128))["idempotency_key"] == "k" * 128
    for key in ("", "k" * 129):
        assert errors(a_job(idempotency_key=key)) == {"idempotency_key": [
            "idempotency_key must be 1 to 128 characters long"]}


def test_kind_must_be_known():
    assert errors(a_job(kind="refund"))["kind"][0].startswith("Must be one of: receipt, ")


def test_receipt_required_for_receipt_and_forbidden_otherwise():
    job = a_job()
    del job["receipt"]
    assert errors(job) == {"receipt": ["receipt is required when kind is receipt"]}
    assert errors(a_job(kind="x_report")) == {"receipt": [
        "receipt is not allowed when kind is x_report"]}
    # even an invalid receipt is just "not allowed"
    assert errors(a_job(kind="status", receipt={"bad": 1})) == {"receipt": [
        "receipt is not allowed when kind is status"]}


def test_correction_required_for_correction_and_forbidden_otherwise():
    assert errors({"kind": "correction", "register": "r"}) == {"correction": [
        "correction is required when kind is correction"]}
    assert errors(a_job(correction=a_correction())) == {"correction": [
        "correction is not allowed when kind is receipt"]}


@pytest.mark.parametrize("kind", ["cash_in", "cash_out"])
def test_amount_for_cash_in_and_out(kind):
    assert load_job({"kind": kind, "register": "r", "amount": "1000"})["amount"] == D("1000.00")
    assert errors({"kind": kind, "register": "r"}) == {"amount": [
        "amount is required when kind is cash_in or cash_out"]}
    assert errors({"kind": kind, "register": "r", "amount": "0"}) == {"amount": [
        "amount must be greater than 0, got 0.00"]}


def test_amount_forbidden_for_other_kinds():
    assert errors(a_job(amount="10")) == {"amount": ["amount is not allowed when kind is receipt"]}
    assert errors({"kind": "open_shift", "register": "r", "amount": None}) == {"amount": [
        "amount is not allowed when kind is open_shift"]}


@pytest.mark.parametrize("kind", ["open_shift", "close_shift", "x_report", "cancel_receipt",
                                  "reprint_last", "cut", "status"])
def test_service_kinds_need_only_a_target(kind):
    assert load_job({"kind": kind, "register_group": "g"}) == {"kind": kind,
                                                                "register_group": "g"}


# --- unknown fields and types ---------------------------------------------------------------

def test_unknown_fields_are_rejected_at_every_level():
    job = a_job(foo=1, receipt=a_receipt(bar=2, items=[an_item(baz=3)],
                                         payments=[{"type": "cash", "amount": "700", "q": 1}]))
    assert errors(job) == {"foo": ["Unknown field."], "receipt": {
        "bar": ["Unknown field."], "items": {0: {"baz": ["Unknown field."]}},
        "payments": {0: {"q": ["Unknown field."]}}}}


def test_wrong_types_give_marshmallow_messages():
    errs = errors(a_job(register=5, receipt=a_receipt(items="x", paperless="maybe",
                                                      total=True)))
    assert errs == {"register": ["Not a valid string."], "receipt": {
        "items": ["Not a valid list."], "paperless": ["Not a valid boolean."],
        "total": ["Not a valid number."]}}
    assert errors("x") == {"_schema": ["Invalid input type."]}
    assert errors(a_job(receipt=[]))["receipt"] == {"_schema": ["Invalid input type."]}


def test_floats_are_refused():
    errs = item_errors(price=350.0)
    assert errs["items"][0]["price"] == [
        'Not a valid amount: floats are not accepted, send a string such as "700.00".']
    errs = item_errors(quantity=2.0)
    assert errs["items"][0]["quantity"] == [
        'Not a valid quantity: floats are not accepted, send a string such as "1.5".']


@pytest.mark.parametrize("value", ["NaN", "Infinity", "abc", "1e99999999"])
def test_non_numbers_are_refused(value):
    assert receipt_errors(total=value)["total"] == ["Not a valid number."]


def test_money_beyond_a_registers_range():
    assert receipt_errors(total="10000000000")["total"] == [
        "total must be at most 9999999999.99, got 10000000000.00"]


# --- correction -----------------------------------------------------------------------------

def correction_errors(**changes):
    return errors({"kind": "correction", "register": "r",
                   "correction": a_correction(**changes)})["correction"]


def test_correction_without_items_at_one_rate():
    job = load_job({"kind": "correction", "register": "r", "correction": a_correction(
        correction_type="instruction", base={"date": "2026-11-20", "number": "12-ф",
                                             "name": "предписание"})})
    correction = job["correction"]
    assert correction["base"]["date"] == datetime.date(2026, 11, 20)
    assert correction["total"] == D("1000.00")
    assert dump_job(job)["correction"]["base"]["date"] == "2026-11-20"


def test_correction_with_items():
    correction = a_correction(items=[an_item()], total="700.00")
    del correction["vat"]
    load_job({"kind": "correction", "register": "r", "correction": correction})
    correction["total"] = "800.00"
    assert errors({"kind": "correction", "register": "r", "correction": correction}) == {
        "correction": {"total": ["total 800.00 is not the sum of item amounts 700.00"]}}


def test_correction_vat_required_without_items_and_forbidden_with_them():
    correction = a_correction()
    del correction["vat"]
    assert errors({"kind": "correction", "register": "r", "correction": correction}) == {
        "correction": {"vat": [
            "vat is required when there are no items (the rate of the whole total)"]}}
    assert correction_errors(items=[an_item()], total="700.00") == {"vat": [
        "vat is not allowed with items: each item carries its own vat"]}


def test_correction_by_instruction_needs_the_order_number():
    assert correction_errors(correction_type="instruction") == {"base": {"number": [
        "base number (of the tax authority's order) is required when correction_type is "
        "instruction"]}}


def test_correction_base_date_required_and_valid():
    assert correction_errors(base={}) == {"base": {"date": ["Missing data for required field."]}}
    assert correction_errors(base={"date": "20.11.2026"}) == {"base": {"date": [
        "Not a valid date."]}}


def test_correction_type_and_payments():
    errs = correction_errors(correction_type="voluntary",
                             payments=[{"type": "cash", "amount": "999.99"}])
    assert errs["correction_type"] == ["Must be one of: self, instruction."]
    assert errs["payments"] == ["payments 999.99 do not cover the total 1000.00"]


def test_loading_does_not_modify_the_input():
    data = a_job()
    before = copy.deepcopy(data)
    load_job(data)
    assert data == before
