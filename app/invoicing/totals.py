"""Totals of an invoicing document (DESIGN.md §3), in pure Python.

No Flask, no SQLAlchemy: the views, the models and the accounting export all
call `compute_totals`, so that an amount is computed in one place only.

Rules:
- a line's HT = quantity × unit price HT × (1 − discount %), rounded half-up
  to the cent;
- a charge's HT is its amount, or its percentage of the lines' HT, rounded
  half-up to the cent; a discount charge reduces the base of its VAT rate;
- VAT is computed per rate on the sum of the HT of that rate (lines and
  charges), rounded half-up to the cent — never line by line;
- TTC = HT + VAT.

Money is `Decimal`, never `float`: a float is refused (TypeError), because
0.1 + 0.2 is not 0.3 and an invoice must be exact to the cent. Values also
fit the database columns (2 decimals for money, rates and percentages,
3 for quantities), so that what is stored is exactly what was computed.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Optional, Sequence

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# Numeric(14, 2): at most 12 digits before the decimal point.
MAX_AMOUNT = Decimal("1000000000000")

GOODS = "goods"
SERVICES = "services"
NATURES = (GOODS, SERVICES)

FEE = "fee"
TAX = "tax"
DISCOUNT = "discount"
CHARGE_KINDS = (TAX, FEE, DISCOUNT)


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent: 0,125 → 0,13 ; 0,124 → 0,12."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of_base(base_ht: Decimal, rate: Decimal) -> Decimal:
    """The VAT of one rate: its rate applied to the sum of the HT of that
    rate, rounded half-up to the cent (the documents and the entries both)."""
    return round_cents(base_ht * rate / HUNDRED)


def to_decimal(value, field: str, places: Optional[int] = None) -> Decimal:
    """A Decimal from a Decimal, an int or a string; never from a float."""
    if isinstance(value, float):
        raise TypeError(f"{field} : un nombre à virgule flottante est refusé, "
                        f"utilisez Decimal (« {value!r} »).")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{field} : valeur de type {type(value).__name__} refusée.")
    try:
        number = Decimal(value.strip().replace(",", ".")) if isinstance(value, str) \
            else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{field} : « {value} » n'est pas un nombre.") from None
    if not number.is_finite():
        raise ValueError(f"{field} : « {value} » n'est pas un nombre fini.")
    if places is not None and number != number.quantize(Decimal(1).scaleb(-places),
                                                         rounding=ROUND_HALF_UP):
        raise ValueError(f"{field} : {places} décimales au plus (« {value} »).")
    return number


@dataclass(frozen=True)
class Line:
    """One line of a document, as typed: the HT is computed, not given."""
    quantity: Decimal
    unit_price_ht: Decimal
    vat_rate: Decimal
    discount_pct: Decimal = Decimal("0")
    nature: str = SERVICES


@dataclass(frozen=True)
class Charge:
    """A tax, fee or discount applied to the document: either a fixed amount
    HT or a percentage of the lines' HT, with its own VAT rate."""
    kind: str
    vat_rate: Decimal
    amount: Optional[Decimal] = None
    percentage: Optional[Decimal] = None


@dataclass(frozen=True)
class VatBreakdown:
    """One VAT rate of the document: its HT base and its VAT."""
    rate: Decimal
    base_ht: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    lines_ht: tuple          # HT of each line, in the given order
    charges_ht: tuple        # HT of each charge, positive; discounts are subtracted
    lines_total_ht: Decimal  # sum of the lines' HT, before charges
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    vat_breakdown: tuple     # VatBreakdown per rate, highest rate first


def _rate(value, field) -> Decimal:
    rate = to_decimal(value, field, places=2)
    if rate < 0 or rate >= HUNDRED:
        raise ValueError(f"{field} : le taux de TVA doit être compris entre 0 et 100 % "
                         f"(« {value} »).")
    return rate.quantize(CENT)


def _percentage(value, field) -> Decimal:
    pct = to_decimal(value, field, places=2)
    if pct < 0 or pct > HUNDRED:
        raise ValueError(f"{field} : le pourcentage doit être compris entre 0 et 100 "
                         f"(« {value} »).")
    return pct


def line_total_ht(line: Line, position: int = 1) -> Decimal:
    where = f"Ligne {position}"
    quantity = to_decimal(line.quantity, f"{where}, quantité", places=3)
    if quantity < 0:
        raise ValueError(f"{where} : la quantité ne peut pas être négative ; "
                         "pour corriger une facture, émettez un avoir.")
    price = to_decimal(line.unit_price_ht, f"{where}, prix unitaire HT", places=2)
    if price < 0:
        raise ValueError(f"{where} : le prix unitaire HT ne peut pas être négatif ; "
                         "utilisez une remise.")
    discount = _percentage(line.discount_pct, f"{where}, remise %")
    if line.nature not in NATURES:
        raise ValueError(f"{where} : nature « {line.nature} » inconnue "
                         "(bien ou prestation de services).")
    return round_cents(quantity * price * (HUNDRED - discount) / HUNDRED)


def charge_total_ht(charge: Charge, lines_total_ht: Decimal, position: int = 1) -> Decimal:
    where = f"Frais, taxe ou remise {position}"
    if charge.kind not in CHARGE_KINDS:
        raise ValueError(f"{where} : type « {charge.kind} » inconnu (taxe, frais ou remise).")
    if (charge.amount is None) == (charge.percentage is None):
        raise ValueError(f"{where} : indiquez soit un montant, soit un pourcentage.")
    if charge.amount is not None:
        amount = to_decimal(charge.amount, f"{where}, montant HT", places=2)
        if amount < 0:
            raise ValueError(f"{where} : le montant ne peut pas être négatif.")
        return round_cents(amount)
    pct = _percentage(charge.percentage, f"{where}, pourcentage")
    return round_cents(lines_total_ht * pct / HUNDRED)


def compute_totals(lines: Sequence[Line], charges: Iterable[Charge] = (),
                   multi_vat: bool = False) -> Totals:
    """The totals of a document; ValueError (French message) when it is not valid."""
    lines = list(lines)
    charges = list(charges)
    bases: dict[Decimal, Decimal] = {}

    lines_ht = []
    for position, line in enumerate(lines, start=1):
        ht = line_total_ht(line, position)
        rate = _rate(line.vat_rate, f"Ligne {position}, taux de TVA")
        lines_ht.append(ht)
        bases[rate] = bases.get(rate, ZERO) + ht
    lines_total = sum(lines_ht, ZERO)

    charges_ht = []
    for position, charge in enumerate(charges, start=1):
        ht = charge_total_ht(charge, lines_total, position)
        rate = _rate(charge.vat_rate, f"Frais, taxe ou remise {position}, taux de TVA")
        charges_ht.append(ht)
        bases[rate] = bases.get(rate, ZERO) + (-ht if charge.kind == DISCOUNT else ht)

    if not multi_vat and len(bases) > 1:
        listed = " ; ".join(f"{rate} %".replace(".", ",") for rate in sorted(bases))
        raise ValueError("Ce dossier n'utilise qu'un seul taux de TVA par document "
                         f"(multi-TVA désactivée) : taux trouvés {listed}.")

    breakdown = []
    for rate in sorted(bases, reverse=True):
        base = bases[rate]
        if base < 0:
            raise ValueError(f"Les remises dépassent le montant HT soumis à la TVA à "
                             f"{rate} %".replace(".", ",") + ".")
        breakdown.append(VatBreakdown(rate=rate, base_ht=round_cents(base),
                                      vat=vat_of_base(base, rate)))

    total_ht = sum((item.base_ht for item in breakdown), ZERO)
    total_vat = sum((item.vat for item in breakdown), ZERO)
    total_ttc = total_ht + total_vat
    if total_ttc >= MAX_AMOUNT:
        raise ValueError("Le montant TTC du document est trop élevé.")
    return Totals(
        lines_ht=tuple(lines_ht), charges_ht=tuple(charges_ht),
        lines_total_ht=round_cents(lines_total), total_ht=round_cents(total_ht),
        total_vat=round_cents(total_vat), total_ttc=round_cents(total_ttc),
        vat_breakdown=tuple(breakdown),
    )
