"""What an invoicing document shows once printed: the printable page and the PDF.

Pure Python (no Flask): `document_view(document, seller)` reads an `Invoice`
(invoice, credit note or deposit invoice) and the `Client` that issues it — or
any objects with the same attributes — and returns a `DocumentView` of frozen
dataclasses holding plain, already formatted values. The HTML template
(passerelle/space/document_print.html) and app.invoicing.pdf both draw that
view, so a printed page and its PDF always say the same thing.

The wording is French on purpose: an invoice issued in France is a French
legal document whatever the reader's interface language. It carries the
mandatory mentions of the Code de commerce (art. L441-9) and of the CGI
(art. 242 nonies A annexe II): seller identity, buyer, date, unique number,
designation / quantity / unit price HT / VAT rate per line, totals per VAT
rate, due date, payment conditions, late-payment penalties, the 40 € recovery
indemnity (business customers), no discount for early payment, and the VAT
exemption of art. 293 B when the seller is under the « franchise en base ».

Amounts are recomputed from the lines and charges by
app.invoicing.totals.compute_totals, the one place where an amount is
computed, so the VAT breakdown is exact to the cent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from babel.numbers import format_currency, format_decimal

from app.invoicing.totals import Charge as ChargeInput
from app.invoicing.totals import Line as LineInput
from app.invoicing.totals import compute_totals, round_cents

ZERO = Decimal("0.00")
NBSP = "\u00a0"
LOCALE = "fr_FR"

TITLES = {"invoice": "Facture", "credit_note": "Avoir", "deposit": "Facture d'acompte"}
CHARGE_KIND_LABELS = {"tax": "Taxe", "fee": "Frais", "discount": "Remise"}
COUNTRIES = {
    "FR": "France", "BE": "Belgique", "CH": "Suisse", "LU": "Luxembourg", "MC": "Monaco",
    "DE": "Allemagne", "ES": "Espagne", "IT": "Italie", "PT": "Portugal", "NL": "Pays-Bas",
    "GB": "Royaume-Uni", "IE": "Irlande", "AT": "Autriche", "US": "États-Unis",
    "CA": "Canada",
}

DRAFT_LABEL = "Brouillon"
DRAFT_BANNER = "BROUILLON – document sans valeur"

# Mandatory mentions (Code de commerce L441-9, L441-10, D441-5; CGI art. 242 nonies A, 293 B).
MENTION_VAT_EXEMPT = "TVA non applicable, art. 293 B du CGI."
MENTION_NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."
MENTION_LATE_PENALTIES = (
    "En cas de retard de paiement, pénalités au taux d'intérêt appliqué par la BCE à son "
    "opération de refinancement la plus récente majoré de 10 points de pourcentage, "
    "exigibles dès le lendemain de la date d'échéance (art. L441-10 du Code de commerce).")
MENTION_RECOVERY_INDEMNITY = (
    f"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40{NBSP}€ "
    "(art. L441-10 et D441-5 du Code de commerce).")
OPERATION_CATEGORIES = {
    frozenset({"goods"}): "livraison de biens",
    frozenset({"services"}): "prestation de services",
    frozenset({"goods", "services"}): "mixte (livraison de biens et prestation de services)",
}


# --- Formats (French, whatever the interface language) ---------------------

def format_money(value) -> str:
    """1 234,56 € (Babel's French typography: narrow no-break space between
    thousands, no-break space before €)."""
    if value is None:
        return ""
    return format_currency(round_cents(Decimal(value)), "EUR", locale=LOCALE)


def format_date(value: Optional[dt.date]) -> str:
    """27/11/2026."""
    return value.strftime("%d/%m/%Y") if value else ""


def format_quantity(value) -> str:
    """2,5 ; 120 ; 1 200,125 — no trailing zeros."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="#,##0.###", locale=LOCALE)


def format_rate(value) -> str:
    """20 % ; 5,5 % ; 2,1 %."""
    if value is None:
        return ""
    return f"{format_decimal(Decimal(value), format='#,##0.##', locale=LOCALE)}{NBSP}%"


def format_siren(siren: Optional[str]) -> str:
    """732 829 320, grouped by three with no-break spaces."""
    if not siren:
        return ""
    digits = "".join(siren.split())
    if len(digits) != 9:
        return siren
    return NBSP.join((digits[:3], digits[3:6], digits[6:]))


def _format_capital(capital: Optional[str]) -> str:
    """« 10000 » → « 10 000 € »; a free text (« 10 000 euros ») is kept."""
    if not capital:
        return ""
    text = capital.strip()
    try:
        amount = Decimal(text.replace(" ", "").replace(NBSP, "").replace(",", "."))
    except ArithmeticError:
        return text
    if not amount.is_finite():
        return text
    formatted = format_money(amount)
    return formatted.replace(",00" + NBSP, NBSP) if amount == amount.to_integral() else formatted


# --- The view ----------------------------------------------------------------

@dataclass(frozen=True)
class Labels:
    """Every fixed word printed on a document, in one place."""
    seller: str = "Émetteur"
    buyer: str = "Client"
    number: str = "Numéro"
    issue_date: str = "Date d'émission"
    sale_date: str = "Date de la vente / prestation"
    due_date: str = "Date d'échéance"
    designation: str = "Désignation"
    quantity: str = "Qté"
    unit_price_ht: str = "PU HT"
    discount: str = "Remise"
    vat_rate: str = "TVA"
    total_ht: str = "Total HT"
    charges: str = "Frais, taxes et remises"
    charge_kind: str = "Type"
    charge_label: str = "Libellé"
    charge_basis: str = "Base"
    amount_ht: str = "Montant HT"
    vat_breakdown: str = "Détail de la TVA"
    vat_rate_long: str = "Taux"
    vat_base: str = "Base HT"
    vat_amount: str = "Montant TVA"
    total_ttc: str = "Total TTC"
    deposits: str = "Acomptes déduits"
    deposit_number: str = "Facture d'acompte"
    deposit_date: str = "Date"
    deposit_amount: str = "Montant TTC"
    totals: str = "Totaux"
    payment_terms: str = "Conditions de paiement"
    notes: str = "Notes"
    mentions: str = "Mentions légales"
    page: str = "Page"
    provisional: str = "provisoire"


@dataclass(frozen=True)
class LineRow:
    position: int
    label: str
    quantity: str
    unit_price_ht: str
    discount: str            # « 10 % », empty when there is none
    vat_rate: str
    total_ht: str


@dataclass(frozen=True)
class ChargeRow:
    kind: str                # Taxe / Frais / Remise
    label: str
    basis: str               # « 5 % du total HT des lignes », empty for a fixed amount
    vat_rate: str
    total_ht: str            # negative for a discount
    is_discount: bool


@dataclass(frozen=True)
class VatRow:
    rate: str
    base_ht: str
    vat: str
    rate_value: Decimal
    base_ht_value: Decimal
    vat_value: Decimal


@dataclass(frozen=True)
class DepositRow:
    number: str
    date: str
    total_ttc: str
    total_ttc_value: Decimal


@dataclass(frozen=True)
class TotalRow:
    label: str
    amount: str
    value: Decimal
    strong: bool = False     # the amount the reader must not miss (Net à payer, Reste dû)


@dataclass(frozen=True)
class Amounts:
    """The document's amounts, as Decimal."""
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    deposits_ttc: Decimal
    net_to_pay: Decimal      # TTC − deposits deducted
    credited_ttc: Decimal
    paid_ttc: Decimal
    remaining_due: Decimal   # net to pay − credit notes − payments


@dataclass(frozen=True)
class DocumentView:
    kind: str
    title: str                          # Facture / Avoir / Facture d'acompte
    number: Optional[str]               # None for a draft
    number_label: str                   # the number, or « Brouillon »
    heading: str                        # « Facture F-2026-00001 », « Facture — Brouillon »
    is_draft: bool
    draft_banner: Optional[str]
    issue_date: str
    sale_date: str
    due_date: str
    meta: tuple                         # (label, value) pairs under the title
    seller_name: str
    seller_lines: tuple                 # address, contact, identifiers (name excluded)
    seller_identity: str                # one line for the foot of every page
    buyer_name: str
    buyer_lines: tuple
    correction_reference: Optional[str]  # « Avoir sur la facture F-… du 12/03/2026 »
    lines: tuple
    charges: tuple
    show_vat: bool                      # False for a VAT-exempt seller with no VAT
    vat_breakdown: tuple
    deposits: tuple
    totals: tuple
    amounts: Amounts
    payment_terms: str
    notes: str
    mentions: tuple
    pdf_title: str
    filename: str
    labels: Labels = field(default_factory=Labels)


# --- Building it -------------------------------------------------------------

def _dec(value, default="0") -> Decimal:
    return Decimal(default) if value is None else Decimal(value)


def _join(*parts, sep=" ") -> str:
    return sep.join(part for part in parts if part)


def _seller_legal(seller) -> str:
    """« SAS au capital de 10 000 € »."""
    legal_form = (getattr(seller, "legal_form", None) or "").strip()
    capital = _format_capital(getattr(seller, "share_capital", None))
    if capital:
        return _join(legal_form, f"au capital de {capital}")
    return legal_form


def _seller_registration(seller) -> str:
    """« SIREN 732 829 320 – RCS Lyon »."""
    siren = format_siren(getattr(seller, "siren", None))
    rcs_city = (getattr(seller, "rcs_city", None) or "").strip()
    parts = []
    if siren:
        parts.append(f"SIREN {siren}")
    if rcs_city:
        parts.append(f"RCS {rcs_city}")
    return " – ".join(parts)


def _city_line(postcode, city) -> str:
    return _join((postcode or "").strip(), (city or "").strip())


def _seller_lines(seller) -> tuple:
    lines = [
        _seller_legal(seller),
        getattr(seller, "address_line1", None),
        getattr(seller, "address_line2", None),
        _city_line(getattr(seller, "postcode", None), getattr(seller, "city", None)),
    ]
    phone = getattr(seller, "phone", None)
    if phone:
        lines.append(f"Tél. {phone}")
    lines.append(getattr(seller, "email", None))
    lines.append(_seller_registration(seller))
    vat_number = getattr(seller, "vat_number", None)
    if vat_number:
        lines.append(f"N° TVA intracommunautaire : {vat_number}")
    return tuple(line.strip() for line in lines if line and line.strip())


def _seller_identity(seller) -> str:
    address = _join(getattr(seller, "address_line1", None), getattr(seller, "address_line2", None),
                    _city_line(getattr(seller, "postcode", None), getattr(seller, "city", None)),
                    sep=", ")
    vat_number = getattr(seller, "vat_number", None)
    return " – ".join(part for part in (
        getattr(seller, "name", None), _seller_legal(seller), address,
        _seller_registration(seller),
        f"TVA intracommunautaire {vat_number}" if vat_number else "",
    ) if part)


def _buyer_name(contact) -> str:
    if contact is None:
        return ""
    name = getattr(contact, "display_name", None)
    if name:
        return name
    return _join(getattr(contact, "first_name", None), getattr(contact, "name", None))


def _buyer_lines(contact) -> tuple:
    if contact is None:
        return ()
    lines = [
        getattr(contact, "address_line1", None),
        getattr(contact, "address_line2", None),
        _city_line(getattr(contact, "postcode", None), getattr(contact, "city", None)),
    ]
    country = (getattr(contact, "country", None) or "FR").upper()
    if country != "FR":
        lines.append(COUNTRIES.get(country, country))
    siren = format_siren(getattr(contact, "siren", None))
    if siren:
        lines.append(f"SIREN {siren}")
    vat_number = getattr(contact, "vat_number", None)
    if vat_number:
        lines.append(f"N° TVA intracommunautaire : {vat_number}")
    return tuple(line.strip() for line in lines if line and line.strip())


def _payment_terms(kind, issue_date, due_date) -> str:
    if kind == "credit_note" or due_date is None:
        return ""
    days = (due_date - issue_date).days if issue_date else None
    if days is not None and days <= 0:
        return f"Paiement à réception, le {format_date(due_date)} au plus tard."
    if days is None:
        return f"Paiement au plus tard le {format_date(due_date)}."
    return (f"Paiement à {days} jours date d'émission, soit au plus tard "
            f"le {format_date(due_date)}.")


def _mentions(kind, seller, contact, natures) -> tuple:
    mentions = []
    if getattr(seller, "vat_exempt", False):
        mentions.append(MENTION_VAT_EXEMPT)
    category = OPERATION_CATEGORIES.get(frozenset(natures))
    if category:
        mentions.append(f"Catégorie de l'opération : {category}.")
    if kind != "credit_note":
        mentions.append(MENTION_NO_DISCOUNT)
        mentions.append(MENTION_LATE_PENALTIES)
        if contact is not None and getattr(contact, "is_company", False):
            mentions.append(MENTION_RECOVERY_INDEMNITY)
    return tuple(mentions)


def _totals_rows(kind, amounts: Amounts, show_vat: bool, has_deposits: bool) -> tuple:
    rows = [TotalRow("Total HT", format_money(amounts.total_ht), amounts.total_ht)]
    if show_vat:
        rows.append(TotalRow("TVA", format_money(amounts.total_vat), amounts.total_vat))
    if kind == "credit_note":
        rows.append(TotalRow("Total TTC de l'avoir", format_money(amounts.total_ttc),
                             amounts.total_ttc, strong=True))
        return tuple(rows)
    rows.append(TotalRow("Total TTC", format_money(amounts.total_ttc), amounts.total_ttc))
    if has_deposits:
        rows.append(TotalRow("Acomptes déduits", format_money(-amounts.deposits_ttc),
                             -amounts.deposits_ttc))
    settled = amounts.credited_ttc > 0 or amounts.paid_ttc > 0
    rows.append(TotalRow("Net à payer", format_money(amounts.net_to_pay), amounts.net_to_pay,
                         strong=not settled))
    if amounts.credited_ttc > 0:
        rows.append(TotalRow("Avoirs imputés", format_money(-amounts.credited_ttc),
                             -amounts.credited_ttc))
    if settled:
        rows.append(TotalRow("Déjà réglé", format_money(-amounts.paid_ttc), -amounts.paid_ttc))
        rows.append(TotalRow("Reste dû", format_money(amounts.remaining_due),
                             amounts.remaining_due, strong=True))
    return tuple(rows)


def document_view(document, seller, today: Optional[dt.date] = None) -> DocumentView:
    """Everything printed on `document` (an Invoice) issued by `seller` (its Client).

    `today` dates a draft that has no issue date yet (default: today's date);
    a draft's due date is then today + the seller's payment terms.
    Raises ValueError (French message) when the lines do not add up to a valid
    document, as app.invoicing.totals does.
    """
    today = today or dt.date.today()
    kind = document.kind or "invoice"
    title = TITLES.get(kind, TITLES["invoice"])
    is_draft = (document.status or "draft") == "draft" or not document.number
    number = None if is_draft else document.number
    number_label = number or DRAFT_LABEL
    contact = document.contact
    labels = Labels()

    issue_date = document.issue_date or today
    due_date = document.due_date
    if due_date is None and kind != "credit_note":
        terms = getattr(seller, "payment_terms_days", None)
        due_date = issue_date + dt.timedelta(days=30 if terms is None else terms)

    # Amounts, recomputed from the lines and charges.
    line_inputs = [LineInput(quantity=_dec(line.quantity, "1"),
                             unit_price_ht=_dec(line.unit_price_ht),
                             vat_rate=_dec(line.vat_rate), discount_pct=_dec(line.discount_pct),
                             nature=line.nature or "services")
                   for line in document.lines]
    charge_inputs = [ChargeInput(kind=charge.kind, vat_rate=_dec(charge.vat_rate),
                                 amount=None if charge.amount is None else Decimal(charge.amount),
                                 percentage=(None if charge.percentage is None
                                             else Decimal(charge.percentage)))
                     for charge in document.charges]
    totals = compute_totals(line_inputs, charge_inputs, multi_vat=True)

    line_rows = tuple(
        LineRow(position=position, label=line.label or "",
                quantity=format_quantity(item.quantity),
                unit_price_ht=format_money(item.unit_price_ht),
                discount=format_rate(item.discount_pct) if item.discount_pct else "",
                vat_rate=format_rate(item.vat_rate), total_ht=format_money(ht))
        for position, (line, item, ht) in enumerate(
            zip(document.lines, line_inputs, totals.lines_ht), start=1))

    charge_rows = []
    for charge, item, ht in zip(document.charges, charge_inputs, totals.charges_ht):
        is_discount = item.kind == "discount"
        basis = (f"{format_rate(item.percentage)} du total HT des lignes "
                 f"({format_money(totals.lines_total_ht)})" if item.percentage is not None else "")
        charge_rows.append(ChargeRow(
            kind=CHARGE_KIND_LABELS.get(item.kind, item.kind), label=charge.label or "",
            basis=basis, vat_rate=format_rate(item.vat_rate),
            total_ht=format_money(-ht if is_discount else ht), is_discount=is_discount))

    vat_rows = tuple(VatRow(rate=format_rate(row.rate), base_ht=format_money(row.base_ht),
                            vat=format_money(row.vat), rate_value=row.rate,
                            base_ht_value=row.base_ht, vat_value=row.vat)
                     for row in totals.vat_breakdown)
    show_vat = not (getattr(seller, "vat_exempt", False) and totals.total_vat == 0)

    deductions = [deduction.deposit for deduction in (getattr(document, "deposit_deductions", None)
                                                      or ()) if deduction.deposit is not None]
    deductions.sort(key=lambda deposit: (deposit.issue_date or dt.date.min, deposit.number or ""))
    deposit_rows = tuple(DepositRow(number=deposit.number or DRAFT_LABEL,
                                    date=format_date(deposit.issue_date),
                                    total_ttc=format_money(_dec(deposit.total_ttc)),
                                    total_ttc_value=round_cents(_dec(deposit.total_ttc)))
                         for deposit in deductions)
    if kind == "credit_note":
        deposits_ttc = ZERO
    elif deposit_rows:
        deposits_ttc = sum((row.total_ttc_value for row in deposit_rows), ZERO)
    else:
        deposits_ttc = round_cents(_dec(getattr(document, "deposits_ttc", None)))

    credited = round_cents(_dec(getattr(document, "credited_ttc", None)))
    paid = round_cents(_dec(getattr(document, "paid_ttc", None)))
    net_to_pay = totals.total_ttc - deposits_ttc
    amounts = Amounts(total_ht=totals.total_ht, total_vat=totals.total_vat,
                      total_ttc=totals.total_ttc, deposits_ttc=deposits_ttc,
                      net_to_pay=net_to_pay, credited_ttc=credited, paid_ttc=paid,
                      remaining_due=net_to_pay - credited - paid)

    correction_reference = None
    corrected = getattr(document, "corrects", None)
    if kind == "credit_note" and corrected is not None:
        correction_reference = _join(
            f"Avoir sur la facture {corrected.number or DRAFT_LABEL}",
            f"du {format_date(corrected.issue_date)}" if corrected.issue_date else "")

    issue_text = format_date(issue_date)
    if document.issue_date is None:
        issue_text = f"{issue_text} ({labels.provisional})"
    due_text = format_date(due_date)
    if due_text and document.due_date is None:
        due_text = f"{due_text} ({labels.provisional})"
    meta = [(labels.issue_date, issue_text),
            (labels.sale_date, format_date(issue_date))]
    if due_text:
        meta.append((labels.due_date, due_text))

    natures = {item.nature for item in line_inputs}
    buyer_name = _buyer_name(contact)
    heading = f"{title} {number}" if number else f"{title} – {DRAFT_LABEL}"
    if number:
        filename = f"{number}.pdf"
    else:
        slug = {"invoice": "facture", "credit_note": "avoir", "deposit": "facture-acompte"}
        filename = f"brouillon-{slug.get(kind, 'facture')}.pdf"

    return DocumentView(
        kind=kind, title=title, number=number, number_label=number_label, heading=heading,
        is_draft=is_draft, draft_banner=DRAFT_BANNER if is_draft else None,
        issue_date=issue_text, sale_date=format_date(issue_date), due_date=due_text,
        meta=tuple(meta),
        seller_name=getattr(seller, "name", "") or "", seller_lines=_seller_lines(seller),
        seller_identity=_seller_identity(seller),
        buyer_name=buyer_name, buyer_lines=_buyer_lines(contact),
        correction_reference=correction_reference,
        lines=line_rows, charges=tuple(charge_rows), show_vat=show_vat, vat_breakdown=vat_rows,
        deposits=deposit_rows,
        totals=_totals_rows(kind, amounts, show_vat, bool(deposit_rows) or deposits_ttc > 0),
        amounts=amounts,
        payment_terms=_payment_terms(kind, issue_date, due_date),
        notes=(document.notes or "").strip(),
        mentions=_mentions(kind, seller, contact, natures),
        pdf_title=number or heading, filename=filename, labels=labels,
    )
