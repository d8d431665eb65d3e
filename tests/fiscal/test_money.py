"""Examples for fiscal.money: kopecks, quantities, VAT and change."""
from decimal import Decimal, localcontext, ROUND_HALF_EVEN

import pytest

from fiscal.model import Vat
from fiscal.money import (amount_matches, amounts_by_vat, change, line_amount, money,
                          net_amount, payments_total, quantity, vat_amount, vat_breakdown)

D = Decimal


@pytest.mark.parametrize("value, expected", [
    ("700", "700.00"), (700, "700.00"), (D("700.004"), "700.00"), ("700.005", "700.01"),
    ("0.125", "0.13"), ("0.135", "0.14"), ("-0.125", "-0.13"), ("-0", "0.00"),
    (" 12.5 ", "12.50"), ("1e3", "1000.00"),
])
def test_money_rounds_half_up_to_kopecks(value, expected):
    result = money(value)
    assert result == D(expected) and str(result) == expected


def test_money_ignores_the_callers_half_even_context():
    with localcontext() as ctx:
        ctx.rounding = ROUND_HALF_EVEN
        assert money("2.665") == D("2.67")
        assert quantity("0.0005") == D("0.001")


@pytest.mark.parametrize("value, expected", [
    ("2", "2.000"), (3, "3.000"), ("0.0005", "0.001"), ("1.2344", "1.234"), ("1.2345", "1.235"),
])
def test_quantity_rounds_half_up_to_three_decimals(value, expected):
    assert str(quantity(value)) == expected


@pytest.mark.parametrize("value", [1.5, 0.1, True, None, [1], object()])
def test_money_and_quantity_refuse_floats_and_other_types(value):
    with pytest.raises(TypeError):
        money(value)
    with pytest.raises(TypeError):
        quantity(value)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", D("NaN"), D("-Infinity"),
                                   "1e400", D("1e400")])
def test_money_refuses_non_numbers(value):
    with pytest.raises(ValueError):
        money(value)


def test_line_amount_and_amount_matches_within_one_kopeck():
    assert line_amount("350.00", "2") == D("700.00")
    assert line_amount("33.33", "0.125") == D("4.17")          # 4.16625 → 4.17
    assert amount_matches("700.00", "350", "2")
    assert amount_matches("700.01", "350", "2")
    assert amount_matches("699.99", "350", "2")
    assert not amount_matches("700.02", "350", "2")
    assert not amount_matches("699.98", "350", "2")


@pytest.mark.parametrize("vat, expected", [
    ("vat20", "116.67"), ("vat120", "116.67"),     # 700 × 20/120 = 116.666…
    ("vat10", "63.64"), ("vat110", "63.64"),       # 700 × 10/110 = 63.636…
    ("vat5", "33.33"), ("vat105", "33.33"),        # 700 × 5/105 = 33.333…
    ("vat7", "45.79"), ("vat107", "45.79"),        # 700 × 7/107 = 45.794…
    ("vat22", "126.23"), ("vat122", "126.23"),     # 700 × 22/122 = 126.229…
    ("vat0", "0.00"),
])
def test_vat_amount_is_tax_included(vat, expected):
    assert vat_amount("700.00", vat) == D(expected)
    assert str(vat_amount("700.00", Vat(vat))) == expected


def test_vat_amount_none_is_none():
    assert vat_amount("700.00", "none") is None
    assert net_amount("700.00", "none") == D("700.00")


def test_vat_amount_rounds_half_up():
    # 0.03 × 20/120 = 0.005 exactly: half a kopeck goes up (banker's rounding would give 0.00)
    assert vat_amount("0.03", "vat20") == D("0.01")
    # 0.21 × 10/110 = 0.0190909… → 0.02; 1.05 × 5/105 = 0.05 exactly
    assert vat_amount("0.21", "vat10") == D("0.02")
    assert vat_amount("1.05", "vat105") == D("0.05")


def test_vat_amount_refuses_an_unknown_rate():
    with pytest.raises(ValueError):
        vat_amount("1.00", "vat18")


def test_net_plus_vat_is_the_amount():
    assert net_amount("700.00", "vat20") == D("583.33")
    assert net_amount("700.00", "vat20") + vat_amount("700.00", "vat20") == D("700.00")


def test_vat_breakdown_sums_per_item_vat_per_rate_in_order_of_appearance():
    items = [
        {"amount": D("0.03"), "vat": "vat10"},
        {"amount": D("0.03"), "vat": "vat20"},
        {"amount": D("100.00"), "vat": "none"},
        {"amount": D("0.03"), "vat": "vat20"},
        {"amount": D("50.00"), "vat": "vat0"},
    ]
    breakdown = vat_breakdown(items)
    assert list(breakdown) == ["vat10", "vat20", "vat0"]
    # per item: 0.005 → 0.01 each, so 0.02 for vat20 (0.06 × 20/120 = 0.01 on the total)
    assert breakdown == {"vat10": D("0.00"), "vat20": D("0.02"), "vat0": D("0.00")}
    assert amounts_by_vat(items) == {"vat10": D("0.03"), "vat20": D("0.06"),
                                     "none": D("100.00"), "vat0": D("50.00")}


def test_payments_total_and_change():
    payments = [{"type": "electronic", "amount": D("500.00")},
                {"type": "cash", "amount": D("500.00")}]
    assert payments_total(payments) == D("1000.00")
    assert change(D("700.00"), payments) == D("300.00")
    assert change("1000.00", payments) == D("0.00")


def test_change_refuses_underpayment_and_change_from_non_cash():
    with pytest.raises(ValueError, match="payments 600.00 do not cover the total 700.00"):
        change("700.00", [{"type": "cash", "amount": "600.00"}])
    with pytest.raises(ValueError, match="change 100.00 exceeds the cash given 50.00"):
        change("700.00", [{"type": "electronic", "amount": "750.00"},
                          {"type": "cash", "amount": "50.00"}])
