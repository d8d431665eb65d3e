"""The dashboard's editors compute amounts in the browser (price × quantity, the total) with
the hub's own rule — exact decimals, half-up to kopecks — never with floats: the same figures
as fiscal.money for every case drawn."""
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from fiscal.money import line_amount

PRICES = st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2)
QUANTITIES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("9999.999"), places=3)


def browser_times(page, pairs):
    return page.evaluate("pairs => pairs.map(([p, q]) => fiscalhub.money.times(p, q))",
                         [[str(p), str(q)] for p, q in pairs])


def test_known_half_up_cases(page, stack):
    page.goto("/login")
    pairs = [("2.675", "1"), ("1.005", "1"), ("0.125", "1"), ("350.00", "2"), ("0.01", "0.5"),
             ("0.01", "0.499"), ("99.99", "0.333"), ("1 234,50", "2")]
    assert browser_times(page, pairs) == ["2.68", "1.01", "0.13", "700.00", "0.01", "0.00",
                                          "33.30", "2469.00"]
    assert page.evaluate("fiscalhub.money.times('abc', '1')") == ""
    assert page.evaluate("fiscalhub.money.sum(['0.10', '0.20', '', 'x', '1.005'])") == "1.31"


# one page serves every example: it only evaluates a pure function
@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(PRICES, QUANTITIES), min_size=50, max_size=60))
def test_price_times_quantity_matches_the_hubs_rule(page, stack, pairs):
    if page.url == "about:blank":
        page.goto("/login")
    expected = [f"{line_amount(p, q):.2f}" for p, q in pairs]
    assert browser_times(page, pairs) == expected
