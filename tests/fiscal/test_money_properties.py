"""Properties of money, VAT, totals and change (hypothesis)."""
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
import math

import pytest
from hypothesis import given, settings, strategies as st
from marshmallow import ValidationError

from fiscal.model import PaymentType, Vat
from fiscal.money import (VAT_PERCENT, change, line_amount, money, net_amount, payments_total,
                          quantity, vat_amount)
from fiscal.schemas import ReceiptSchema

D = Decimal
FAST = settings(max_examples=200, deadline=None)
SCHEMA = settings(max_examples=60, deadline=None)

amounts = st.decimals(min_value=0, max_value=1_000_000, places=2)
signed_amounts = st.decimals(min_value=-1_000_000, max_value=1_000_000, places=2)
prices = st.decimals(min_value=0, max_value=10_000, places=2)
quantities = st.decimals(min_value=D("0.001"), max_value=100, places=3)
rates = st.sampled_from([v for v in Vat if v is not Vat.NONE])
CALCULATED = [Vat.VAT105, Vat.VAT107, Vat.VAT110, Vat.VAT120, Vat.VAT122]


def half_up_kopecks(value: Fraction) -> Decimal:
    """The reference: exact rational value, half-up (away from zero) to kopecks."""
    cents = abs(value) * 100
    whole = math.floor(cents + Fraction(1, 2))
    return D(whole if value >= 0 else -whole) / 100


# --- half-up rounding -----------------------------------------------------------------------

@FAST
@given(st.integers(min_value=-10**12, max_value=10**12))
def test_half_a_kopeck_goes_away_from_zero_unlike_bankers(cents):
    value = D(cents).scaleb(-2) + (D("0.005") if cents >= 0 else D("-0.005"))
    expected = D(cents + (1 if cents >= 0 else -1)).scaleb(-2)
    assert money(value) == expected
    assert money(str(value)) == expected
    if cents % 2 == 0:       # banker's rounding would keep the even kopeck
        assert value.quantize(D("0.01"), rounding=ROUND_HALF_EVEN) != expected


@FAST
@given(st.integers(min_value=0, max_value=10**9))
def test_half_a_thousandth_of_quantity_goes_up(thousandths):
    value = D(thousandths).scaleb(-3) + D("0.0005")
    assert quantity(value) == D(thousandths + 1).scaleb(-3)


@FAST
@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False))
def test_money_is_within_half_a_kopeck_and_idempotent(value):
    rounded = money(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= D("0.005")
    assert money(rounded) == rounded


@FAST
@given(st.floats(allow_nan=False))
def test_floats_are_always_refused(value):
    with pytest.raises(TypeError):
        money(value)


# --- VAT ------------------------------------------------------------------------------------

@FAST
@given(signed_amounts, rates)
def test_vat_amount_is_amount_times_rate_over_100_plus_rate_half_up(amount, vat):
    r = VAT_PERCENT[vat]
    assert vat_amount(amount, vat) == half_up_kopecks(Fraction(amount) * r / (100 + r))


@FAST
@given(amounts, st.sampled_from(CALCULATED))
def test_calculated_rates_are_the_same_fractions(amount, vat):
    plain = Vat("vat" + str(VAT_PERCENT[vat]))
    assert vat_amount(amount, vat) == vat_amount(amount, plain)


@FAST
@given(signed_amounts, st.sampled_from(list(Vat)))
def test_vat_plus_net_is_the_amount(amount, vat):
    assert (vat_amount(amount, vat) or 0) + net_amount(amount, vat) == amount


@FAST
@given(st.lists(amounts, min_size=1, max_size=30), rates)
def test_per_item_vat_is_within_half_a_kopeck_per_item_of_the_vat_of_the_sum(items, vat):
    per_item = sum(vat_amount(a, vat) for a in items)
    r = VAT_PERCENT[vat]
    exact = Fraction(sum(items)) * r / (100 + r)
    bound = D("0.005") * len(items)
    assert abs(Fraction(per_item) - exact) <= Fraction(bound)
    assert abs(per_item - vat_amount(sum(items), vat)) <= bound


# --- totals ---------------------------------------------------------------------------------

items_strategy = st.lists(st.tuples(prices, quantities), min_size=1, max_size=8)


@SCHEMA
@given(items_strategy, st.decimals(min_value=-3, max_value=3, places=2))
def test_total_accepted_iff_it_equals_the_sum_of_amounts(lines, offset):
    items = [{"name": f"item {i}", "price": str(p), "quantity": str(q),
              "amount": str(line_amount(p, q)), "vat": "vat20"} for i, (p, q) in enumerate(lines)]
    items_sum = sum(line_amount(p, q) for p, q in lines)
    total = items_sum + offset
    if total <= 0:
        total = items_sum + abs(offset) + D("0.01")   # keep to the rule under test
    receipt = {"operation": "sell", "taxation": "osn", "items": items, "total": str(total),
               "payments": [{"type": "cash", "amount": str(total + 1)}]}
    if total == items_sum:
        assert ReceiptSchema().load(receipt)["total"] == items_sum
    else:
        with pytest.raises(ValidationError) as caught:
            ReceiptSchema().load(receipt)
        assert caught.value.messages == {"total": [
            f"total {money(total)} is not the sum of item amounts {items_sum}"]}


# --- change ---------------------------------------------------------------------------------

payment_lists = st.lists(
    st.tuples(st.sampled_from(list(PaymentType)),
              st.decimals(min_value=D("0.01"), max_value=2000, places=2)),
    min_size=1, max_size=5)


@SCHEMA
@given(payment_lists, st.decimals(min_value=D("0.01"), max_value=3000, places=2))
def test_change_is_paid_minus_total_from_cash_only_on_every_valid_receipt(pays, total):
    payments = [{"type": t.value, "amount": str(a)} for t, a in pays]
    receipt = {"operation": "sell", "taxation": "osn", "total": str(total),
               "items": [{"name": "x", "price": str(total), "quantity": "1",
                          "amount": str(total), "vat": "none"}],
               "payments": payments}
    try:
        loaded = ReceiptSchema().load(receipt)
    except ValidationError as error:
        assert set(error.messages) == {"payments"}
        with pytest.raises(ValueError):
            change(total, payments)
        return
    given_change = change(loaded["total"], loaded["payments"])
    cash = payments_total(p for p in loaded["payments"] if p["type"] == "cash")
    assert given_change == payments_total(loaded["payments"]) - loaded["total"]
    assert D(0) <= given_change <= cash
