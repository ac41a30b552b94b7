"""Totals of a document (app/invoicing/totals.py): hand-computed French
examples, then properties checked on random documents with hypothesis."""
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.invoicing.totals import Charge, Line, VatBreakdown, compute_totals, round_cents


def two_places(value):
    return value.as_tuple().exponent == -2


# --- Hand-computed examples -------------------------------------------------

def test_two_rates_discounts_a_fee_and_a_discount_charge():
    lines = [
        # 3 × 45,50 € − 10 % = 122,85 € at 20 %
        Line(quantity=D("3"), unit_price_ht=D("45.50"), discount_pct=D("10"),
             vat_rate=D("20"), nature="services"),
        # 2 × 12,35 € = 24,70 € at 5,5 %
        Line(quantity=D("2"), unit_price_ht=D("12.35"), vat_rate=D("5.5"), nature="goods"),
        # 1 × 99,99 € = 99,99 € at 20 %
        Line(quantity=D("1"), unit_price_ht=D("99.99"), vat_rate=D("20"), nature="goods"),
    ]
    charges = [
        Charge(kind="fee", amount=D("15.00"), vat_rate=D("20")),       # frais de port
        Charge(kind="discount", percentage=D("5"), vat_rate=D("20")),  # 5 % of 247,54 = 12,377
    ]
    totals = compute_totals(lines, charges, multi_vat=True)

    assert totals.lines_ht == (D("122.85"), D("24.70"), D("99.99"))
    assert totals.lines_total_ht == D("247.54")
    assert totals.charges_ht == (D("15.00"), D("12.38"))
    # 20 %: 122,85 + 99,99 + 15,00 − 12,38 = 225,46 → TVA 45,092 → 45,09
    # 5,5 %: 24,70 → TVA 1,3585 → 1,36
    assert totals.vat_breakdown == (
        VatBreakdown(rate=D("20.00"), base_ht=D("225.46"), vat=D("45.09")),
        VatBreakdown(rate=D("5.50"), base_ht=D("24.70"), vat=D("1.36")),
    )
    assert totals.total_ht == D("250.16")
    assert totals.total_vat == D("46.45")
    assert totals.total_ttc == D("296.61")


def test_line_total_is_rounded_half_up_to_the_cent():
    # 0,5 × 0,25 € = 0,125 € → 0,13 € (not 0,12 as banker's rounding would give)
    totals = compute_totals([Line(quantity=D("0.5"), unit_price_ht=D("0.25"), vat_rate=D("0"))])
    assert totals.lines_ht == (D("0.13"),)
    # 2,25 € − 50 % = 1,125 € → 1,13 €
    totals = compute_totals([Line(quantity=D("1"), unit_price_ht=D("2.25"),
                                  discount_pct=D("50"), vat_rate=D("0"))])
    assert totals.total_ht == D("1.13")
    assert round_cents(D("0.125")) == D("0.13")
    assert round_cents(D("0.124")) == D("0.12")


def test_vat_is_rounded_half_up_per_rate_not_per_line():
    # 10,25 € at 10 % = 1,025 € of VAT → 1,03 €
    totals = compute_totals([Line(quantity=D("1"), unit_price_ht=D("10.25"), vat_rate=D("10"))])
    assert totals.total_vat == D("1.03")
    assert totals.total_ttc == D("11.28")
    # Two lines of 0,05 € at 10 %: per line 0,005 + 0,005 would round to 0,02 €;
    # on the sum of the rate, 0,10 € × 10 % = 0,01 €.
    line = Line(quantity=D("1"), unit_price_ht=D("0.05"), vat_rate=D("10"))
    assert compute_totals([line, line]).total_vat == D("0.01")


def test_same_rate_written_differently_is_one_rate():
    totals = compute_totals([
        Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("20")),
        Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("20.00")),
        Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate="20,0"),
    ])
    assert totals.vat_breakdown == (VatBreakdown(D("20.00"), D("30.00"), D("6.00")),)


def test_empty_document_totals_zero_with_two_decimals():
    totals = compute_totals([])
    assert (totals.total_ht, totals.total_vat, totals.total_ttc) == (D("0"), D("0"), D("0"))
    assert all(two_places(x) for x in (totals.total_ht, totals.total_vat, totals.total_ttc))
    assert totals.vat_breakdown == ()


def test_several_rates_are_refused_without_multi_vat():
    lines = [Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("20")),
             Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("5.5"))]
    with pytest.raises(ValueError, match="un seul taux de TVA"):
        compute_totals(lines, multi_vat=False)
    # A charge at another rate counts too.
    with pytest.raises(ValueError, match="un seul taux de TVA"):
        compute_totals(lines[:1], [Charge(kind="fee", amount=D("5.00"), vat_rate=D("10"))])
    assert compute_totals(lines, multi_vat=True).total_vat == D("2.55")


@pytest.mark.parametrize("line, message", [
    (Line(quantity=D("-1"), unit_price_ht=D("10.00"), vat_rate=D("20")), "quantité"),
    (Line(quantity=D("1"), unit_price_ht=D("-10.00"), vat_rate=D("20")), "prix unitaire"),
    (Line(quantity=D("1"), unit_price_ht=D("10.001"), vat_rate=D("20")), "2 décimales"),
    (Line(quantity=D("1.0001"), unit_price_ht=D("10.00"), vat_rate=D("20")), "3 décimales"),
    (Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("20"), discount_pct=D("101")),
     "entre 0 et 100"),
    (Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("100")), "taux de TVA"),
    (Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("-5")), "taux de TVA"),
    (Line(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("20"), nature="food"),
     "nature"),
    (Line(quantity="dix", unit_price_ht=D("10.00"), vat_rate=D("20")), "n'est pas un nombre"),
    (Line(quantity=D("NaN"), unit_price_ht=D("10.00"), vat_rate=D("20")), "nombre fini"),
])
def test_invalid_lines_are_refused_in_french(line, message):
    with pytest.raises(ValueError, match=message):
        compute_totals([line])


@pytest.mark.parametrize("charge, message", [
    (Charge(kind="fee", vat_rate=D("20")), "soit un montant, soit un pourcentage"),
    (Charge(kind="fee", amount=D("1"), percentage=D("1"), vat_rate=D("20")),
     "soit un montant, soit un pourcentage"),
    (Charge(kind="fee", amount=D("-1"), vat_rate=D("20")), "négatif"),
    (Charge(kind="bonus", amount=D("1"), vat_rate=D("20")), "inconnu"),
    (Charge(kind="discount", amount=D("100.01"), vat_rate=D("20")), "remises dépassent"),
])
def test_invalid_charges_are_refused_in_french(charge, message):
    line = Line(quantity=D("1"), unit_price_ht=D("100.00"), vat_rate=D("20"))
    with pytest.raises(ValueError, match=message):
        compute_totals([line], [charge])


def test_a_discount_of_the_whole_base_gives_zero():
    line = Line(quantity=D("1"), unit_price_ht=D("100.00"), vat_rate=D("20"))
    totals = compute_totals([line], [Charge(kind="discount", percentage=D("100"),
                                            vat_rate=D("20"))])
    assert (totals.total_ht, totals.total_vat, totals.total_ttc) == (0, 0, 0)


@pytest.mark.parametrize("field", ["quantity", "unit_price_ht", "vat_rate", "discount_pct"])
def test_floats_are_refused(field):
    values = dict(quantity=D("1"), unit_price_ht=D("10.00"), vat_rate=D("20"),
                  discount_pct=D("0"))
    values[field] = 0.1
    with pytest.raises(TypeError, match="virgule flottante"):
        compute_totals([Line(**values)])
    with pytest.raises(TypeError, match="virgule flottante"):
        compute_totals([], [Charge(kind="fee", amount=12.5, vat_rate=D("20"))])


def test_french_decimal_strings_and_ints_are_accepted():
    totals = compute_totals([Line(quantity=2, unit_price_ht="12,50", vat_rate="5,5")])
    assert totals.total_ht == D("25.00")
    assert totals.total_vat == D("1.38")  # 1,375 → 1,38


def test_amounts_beyond_the_database_columns_are_refused():
    line = Line(quantity=D("999999999.999"), unit_price_ht=D("99999.00"), vat_rate=D("20"))
    with pytest.raises(ValueError, match="trop élevé"):
        compute_totals([line])


# --- Properties on random documents -----------------------------------------

FRENCH_RATES = [D(r) for r in ("20", "10", "5.5", "2.1", "0", "8.5", "1.05")]

lines_strategy = st.lists(
    st.builds(
        Line,
        quantity=st.decimals(min_value=0, max_value=10000, places=3),
        unit_price_ht=st.decimals(min_value=0, max_value=100000, places=2),
        discount_pct=st.one_of(st.just(D("0")),
                               st.decimals(min_value=0, max_value=100, places=2)),
        vat_rate=st.sampled_from(FRENCH_RATES),
        nature=st.sampled_from(["goods", "services"]),
    ),
    max_size=12,
)
charges_strategy = st.lists(
    st.one_of(
        st.builds(Charge, kind=st.sampled_from(["fee", "tax", "discount"]),
                  vat_rate=st.sampled_from(FRENCH_RATES),
                  amount=st.decimals(min_value=0, max_value=1000, places=2)),
        st.builds(Charge, kind=st.sampled_from(["fee", "tax", "discount"]),
                  vat_rate=st.sampled_from(FRENCH_RATES),
                  percentage=st.decimals(min_value=0, max_value=30, places=2)),
    ),
    max_size=4,
)


def _totals_or_refused_discount(lines, charges, multi_vat=True):
    """The totals, or None when the random discounts exceed a rate's base
    (the only refusal possible for these valid inputs)."""
    try:
        return compute_totals(lines, charges, multi_vat=multi_vat)
    except ValueError as error:
        assert "remises dépassent" in str(error)
        return None


@settings(max_examples=300, deadline=None)
@given(lines_strategy, charges_strategy)
def test_totals_are_consistent_to_the_cent(lines, charges):
    totals = _totals_or_refused_discount(lines, charges)
    if totals is None:
        return
    amounts = [totals.total_ht, totals.total_vat, totals.total_ttc, totals.lines_total_ht,
               *totals.lines_ht, *totals.charges_ht]
    for item in totals.vat_breakdown:
        amounts += [item.base_ht, item.vat]
    assert all(two_places(amount) for amount in amounts)

    assert totals.total_ht + totals.total_vat == totals.total_ttc
    assert sum((item.vat for item in totals.vat_breakdown), D("0")) == totals.total_vat
    assert sum((item.base_ht for item in totals.vat_breakdown), D("0")) == totals.total_ht
    signed_charges = sum((-ht if charge.kind == "discount" else ht
                          for charge, ht in zip(charges, totals.charges_ht)), D("0"))
    assert totals.total_ht == sum(totals.lines_ht, D("0")) + signed_charges
    for item in totals.vat_breakdown:
        assert item.base_ht >= 0
        # VAT of a rate: its base × rate, within half a cent.
        assert abs(item.vat - item.base_ht * item.rate / 100) <= D("0.005")
    assert [item.rate for item in totals.vat_breakdown] == sorted(
        {item.rate for item in totals.vat_breakdown}, reverse=True)


@settings(max_examples=200, deadline=None)
@given(lines_strategy)
def test_each_line_is_its_exact_amount_within_half_a_cent(lines):
    totals = compute_totals(lines, multi_vat=True)
    for line, ht in zip(lines, totals.lines_ht):
        exact = line.quantity * line.unit_price_ht * (100 - line.discount_pct) / 100
        assert abs(ht - exact) <= D("0.005")
        assert ht >= 0


@settings(max_examples=200, deadline=None)
@given(lines_strategy, charges_strategy)
def test_single_vat_mode_refuses_exactly_the_documents_with_several_rates(lines, charges):
    rates = {D(line.vat_rate).quantize(D("0.01")) for line in lines}
    rates |= {D(charge.vat_rate).quantize(D("0.01")) for charge in charges}
    if len(rates) > 1:
        with pytest.raises(ValueError, match="un seul taux de TVA"):
            compute_totals(lines, charges, multi_vat=False)
    else:
        single = _totals_or_refused_discount(lines, charges, multi_vat=False)
        assert single is None or single == compute_totals(lines, charges, multi_vat=True)
