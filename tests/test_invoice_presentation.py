"""The printable view of an invoicing document (app/invoicing/presentation.py):
content, mandatory French mentions, VAT breakdown, credit notes, deposits,
drafts, French formats; and the printable HTML page that draws it.

Documents are built in memory (unsaved model instances): the view reads
attributes only, no database is needed.
"""
import ast
import dataclasses
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from app.invoicing.presentation import (
    DocumentView, document_view, format_date, format_money, format_quantity, format_rate,
)
from app.models import Client, Contact, Invoice, InvoiceCharge, InvoiceDeposit, InvoiceLine

ROOT = Path(__file__).resolve().parent.parent
LATE_PENALTIES = ("En cas de retard de paiement, pénalités au taux d'intérêt appliqué par la BCE "
                  "à son opération de refinancement la plus récente majoré de 10 points")


def plain(text):
    """Babel's French spaces (U+202F, U+00A0) as ordinary spaces, for reading."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def seller(**values):
    data = dict(name="Atelier Dupont", legal_form="SARL", share_capital="10000", rcs_city="Lyon",
                siren="732829320", vat_number="FR44732829320", address_line1="3 place Bellecour",
                postcode="69002", city="Lyon", phone="04 78 00 00 00",
                email="contact@atelier-dupont.fr", vat_exempt=False, payment_terms_days=30)
    data.update(values)
    return Client(**data)


def contact(**values):
    data = dict(name="Boulangerie Martin", is_company=True, address_line1="12 rue des Lilas",
                postcode="69003", city="Lyon", country="FR", siren="552100554",
                vat_number="FR12552100554")
    data.update(values)
    return Contact(**data)


def line(position, label, quantity, price, rate, discount="0", nature="services"):
    return InvoiceLine(position=position, label=label, quantity=D(quantity),
                       unit_price_ht=D(price), discount_pct=D(discount), vat_rate=D(rate),
                       nature=nature)


def two_rate_lines():
    """2 × 100,00 at 20 % + 1 × 50,00 at 5,5 % → TTC 292,75."""
    return [line(1, "Conception graphique", "2", "100.00", "20"),
            line(2, "Livre de recettes", "1", "50.00", "5.5", nature="goods")]


def invoice(**values):
    data = dict(kind="invoice", number="F-2026-00001", status="issued",
                issue_date=dt.date(2026, 11, 27), due_date=dt.date(2026, 12, 27),
                contact=contact(), lines=two_rate_lines(), total_ht=D("250.00"),
                total_vat=D("42.75"), total_ttc=D("292.75"), deposits_ttc=D("0"),
                credited_ttc=D("0"), paid_ttc=D("0"))
    data.update(values)
    return Invoice(**data)


def totals_of(view):
    return {row.label: plain(row.amount) for row in view.totals}


# --- formats -----------------------------------------------------------------

def test_french_formats():
    assert plain(format_money(D("1234.56"))) == "1 234,56 €"
    assert format_money(D("1234.56")) == "1\u202f234,56\u00a0€"
    assert plain(format_money(D("-60"))) == "-60,00 €"
    assert format_date(dt.date(2026, 11, 27)) == "27/11/2026"
    assert format_quantity(D("2.500")) == "2,5"
    assert format_quantity(D("120.000")) == "120"
    assert plain(format_rate(D("5.50"))) == "5,5 %"
    assert plain(format_rate(D("20.00"))) == "20 %"


def test_the_view_is_plain_frozen_data():
    view = document_view(invoice(), seller())
    assert isinstance(view, DocumentView)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.title = "Autre"
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.lines[0].label = "Autre"


@pytest.mark.parametrize("module", ["presentation.py", "pdf.py"])
def test_pure_modules_import_neither_flask_nor_sqlalchemy(module):
    tree = ast.parse((ROOT / "app" / "invoicing" / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    roots = {name.split(".")[0] for name in imported}
    assert not roots & {"flask", "flask_appbuilder", "flask_babel", "sqlalchemy"}, roots
    assert "app.models" not in imported


# --- content -----------------------------------------------------------------

def test_invoice_header_parties_and_lines():
    view = document_view(invoice(), seller())
    assert view.title == "Facture"
    assert view.number == "F-2026-00001" and view.number_label == "F-2026-00001"
    assert view.heading == "Facture F-2026-00001"
    assert not view.is_draft and view.draft_banner is None
    assert view.issue_date == "27/11/2026" and view.due_date == "27/12/2026"
    assert ("Date d'émission", "27/11/2026") in view.meta
    assert ("Date d'échéance", "27/12/2026") in view.meta
    assert view.pdf_title == "F-2026-00001" and view.filename == "F-2026-00001.pdf"

    assert view.seller_name == "Atelier Dupont"
    seller_text = plain("\n".join(view.seller_lines))
    assert "SARL au capital de 10 000 €" in seller_text
    assert "3 place Bellecour" in seller_text and "69002 Lyon" in seller_text
    assert "SIREN 732 829 320 – RCS Lyon" in seller_text
    assert "N° TVA intracommunautaire : FR44732829320" in seller_text
    identity = plain(view.seller_identity)
    for part in ("Atelier Dupont", "SARL au capital de 10 000 €", "3 place Bellecour",
                 "SIREN 732 829 320", "RCS Lyon", "FR44732829320"):
        assert part in identity

    assert view.buyer_name == "Boulangerie Martin"
    assert [plain(text) for text in view.buyer_lines] == [
        "12 rue des Lilas", "69003 Lyon", "SIREN 552 100 554",
        "N° TVA intracommunautaire : FR12552100554"]

    first, second = view.lines
    assert (first.label, first.quantity, plain(first.unit_price_ht), first.discount,
            plain(first.vat_rate), plain(first.total_ht)) == (
        "Conception graphique", "2", "100,00 €", "", "20 %", "200,00 €")
    assert (plain(second.vat_rate), plain(second.total_ht)) == ("5,5 %", "50,00 €")
    assert view.payment_terms == ("Paiement à 30 jours date d'émission, soit au plus tard "
                                  "le 27/12/2026.")


def test_vat_breakdown_per_rate_highest_first_and_totals():
    view = document_view(invoice(), seller())
    assert [(plain(row.rate), plain(row.base_ht), plain(row.vat)) for row in view.vat_breakdown] \
        == [("20 %", "200,00 €", "40,00 €"), ("5,5 %", "50,00 €", "2,75 €")]
    assert [row.vat_value for row in view.vat_breakdown] == [D("40.00"), D("2.75")]
    assert view.amounts.total_ht == D("250.00")
    assert view.amounts.total_vat == D("42.75")
    assert view.amounts.total_ttc == D("292.75")
    assert totals_of(view) == {"Total HT": "250,00 €", "TVA": "42,75 €",
                               "Total TTC": "292,75 €", "Net à payer": "292,75 €"}
    assert [row.label for row in view.totals if row.strong] == ["Net à payer"]


def test_thousands_and_discounts_are_formatted_the_french_way():
    document = invoice(lines=[line(1, "Cuisine équipée", "1", "1234.56", "20"),
                              line(2, "Pose", "2.5", "40.00", "20", discount="10")])
    view = document_view(document, seller())
    assert plain(view.lines[0].unit_price_ht) == "1 234,56 €"
    assert plain(view.lines[0].total_ht) == "1 234,56 €"
    assert (view.lines[1].quantity, plain(view.lines[1].discount),
            plain(view.lines[1].total_ht)) == ("2,5", "10 %", "90,00 €")
    # VAT on the sum of the rate: (1 234,56 + 90,00) × 20 % = 264,912 → 264,91.
    assert totals_of(view)["TVA"] == "264,91 €"
    assert totals_of(view)["Total TTC"] == "1 589,47 €"


def test_charges_are_listed_and_a_discount_is_subtracted():
    document = invoice()
    document.charges = [
        InvoiceCharge(position=1, kind="fee", label="Frais de livraison", amount=D("15.00"),
                      vat_rate=D("20")),
        InvoiceCharge(position=2, kind="discount", label="Remise fidélité",
                      percentage=D("10"), vat_rate=D("20")),
    ]
    view = document_view(document, seller())
    fee, discount = view.charges
    assert (fee.kind, fee.label, fee.basis, plain(fee.total_ht)) == (
        "Frais", "Frais de livraison", "", "15,00 €")
    assert (discount.kind, discount.is_discount, plain(discount.total_ht)) == (
        "Remise", True, "-25,00 €")
    assert plain(discount.basis) == "10 % du total HT des lignes (250,00 €)"
    # 20 % base: 200 + 15 − 25 = 190 → VAT 38,00; 5,5 %: 50 → 2,75.
    assert [(row.base_ht_value, row.vat_value) for row in view.vat_breakdown] == [
        (D("190.00"), D("38.00")), (D("50.00"), D("2.75"))]
    assert view.amounts.total_ttc == D("280.75")


# --- mandatory mentions --------------------------------------------------------

def test_mentions_for_a_company_customer_of_a_vat_registered_seller():
    view = document_view(invoice(), seller(vat_exempt=False))
    text = "\n".join(view.mentions)
    assert LATE_PENALTIES in text
    assert "Pas d'escompte pour paiement anticipé" in text
    assert "indemnité forfaitaire pour frais de recouvrement" in text.lower()
    assert "40\u00a0€" in text
    assert "293 B" not in text
    assert "Catégorie de l'opération : mixte" in text
    assert view.show_vat


def test_mentions_for_a_private_customer_of_a_vat_exempt_seller():
    document = invoice(contact=contact(is_company=False, first_name="Julie", name="Moreau",
                                       siren=None, vat_number=None),
                       lines=[line(1, "Cours de piano", "4", "30.00", "0")])
    view = document_view(document, seller(vat_exempt=True, vat_number=None))
    text = "\n".join(view.mentions)
    assert "TVA non applicable, art. 293 B du CGI." in view.mentions
    assert "recouvrement" not in text and "40\u00a0€" not in text
    assert LATE_PENALTIES in text
    assert "Pas d'escompte pour paiement anticipé" in text
    assert "Catégorie de l'opération : prestation de services." in view.mentions
    assert view.buyer_name == "Julie Moreau"
    assert not any("SIREN" in text for text in view.buyer_lines)
    # No VAT at all: no breakdown, no VAT line in the totals.
    assert not view.show_vat
    assert totals_of(view) == {"Total HT": "120,00 €", "Total TTC": "120,00 €",
                               "Net à payer": "120,00 €"}


def test_seller_without_optional_details_prints_what_it_has():
    bare = seller(legal_form=None, share_capital=None, rcs_city=None, vat_number=None,
                  phone=None, address_line2=None)
    view = document_view(invoice(), bare)
    assert "SIREN 732\u00a0829\u00a0320" in view.seller_lines
    assert not any("capital" in text or "RCS" in text or "TVA" in text
                   for text in view.seller_lines)


def test_foreign_customer_shows_its_country():
    view = document_view(invoice(contact=contact(country="BE", postcode="1000",
                                                 city="Bruxelles", siren=None)), seller())
    assert "1000 Bruxelles" in view.buyer_lines and "Belgique" in view.buyer_lines


# --- credit notes, deposits, drafts --------------------------------------------

def test_credit_note_refers_to_the_invoice_it_corrects():
    corrected = invoice(issue_date=dt.date(2026, 3, 12), due_date=dt.date(2026, 4, 11))
    credit_note = invoice(kind="credit_note", number="AV-2026-00001", corrects=corrected,
                          issue_date=dt.date(2026, 3, 20), due_date=None,
                          lines=[line(1, "Conception graphique", "1", "100.00", "20")])
    view = document_view(credit_note, seller())
    assert view.title == "Avoir"
    assert view.heading == "Avoir AV-2026-00001"
    assert view.correction_reference == "Avoir sur la facture F-2026-00001 du 12/03/2026"
    assert totals_of(view) == {"Total HT": "100,00 €", "TVA": "20,00 €",
                               "Total TTC de l'avoir": "120,00 €"}
    assert view.due_date == "" and view.payment_terms == ""
    text = "\n".join(view.mentions)
    assert "retard" not in text and "escompte" not in text


def test_deposit_invoice_title():
    view = document_view(invoice(kind="deposit", number="AC-2026-00002"), seller())
    assert view.title == "Facture d'acompte"
    assert view.heading == "Facture d'acompte AC-2026-00002"
    assert view.correction_reference is None


def test_deposits_deducted_net_to_pay_paid_and_remaining_due():
    deposit = invoice(kind="deposit", number="AC-2026-00001", status="paid",
                      issue_date=dt.date(2026, 10, 1), total_ttc=D("60.00"),
                      lines=[line(1, "Acompte 20 %", "1", "50.00", "20")])
    final = invoice(deposits_ttc=D("60.00"), paid_ttc=D("100.00"))
    final.deposit_deductions = [InvoiceDeposit(deposit=deposit)]
    view = document_view(final, seller())
    assert [(row.number, row.date, plain(row.total_ttc)) for row in view.deposits] == [
        ("AC-2026-00001", "01/10/2026", "60,00 €")]
    assert view.amounts.deposits_ttc == D("60.00")
    assert view.amounts.net_to_pay == D("232.75")
    assert view.amounts.remaining_due == D("132.75")
    assert list(totals_of(view).items()) == [
        ("Total HT", "250,00 €"), ("TVA", "42,75 €"), ("Total TTC", "292,75 €"),
        ("Acomptes déduits", "-60,00 €"), ("Net à payer", "232,75 €"),
        ("Déjà réglé", "-100,00 €"), ("Reste dû", "132,75 €")]
    assert [row.label for row in view.totals if row.strong] == ["Reste dû"]


def test_credit_notes_imputed_reduce_the_remaining_due():
    view = document_view(invoice(credited_ttc=D("120.00")), seller())
    totals = totals_of(view)
    assert totals["Avoirs imputés"] == "-120,00 €"
    assert totals["Reste dû"] == "172,75 €"


def test_draft_is_marked_and_dated_provisionally():
    draft = invoice(number=None, status="draft", issue_date=None, due_date=None)
    view = document_view(draft, seller(payment_terms_days=45), today=dt.date(2026, 11, 27))
    assert view.is_draft and view.number is None
    assert view.number_label == "Brouillon"
    assert view.draft_banner == "BROUILLON – document sans valeur"
    assert view.heading == "Facture – Brouillon"
    assert view.issue_date == "27/11/2026 (provisoire)"
    assert view.due_date == "11/01/2027 (provisoire)"
    assert view.filename == "brouillon-facture.pdf"
    assert view.amounts.total_ttc == D("292.75")


# --- the printable HTML page ---------------------------------------------------

def test_printable_page_renders_the_view_without_external_assets(app):
    from flask import render_template

    deposit = invoice(kind="deposit", number="AC-2026-00001", issue_date=dt.date(2026, 10, 1),
                      total_ttc=D("60.00"))
    final = invoice(deposits_ttc=D("60.00"))
    final.deposit_deductions = [InvoiceDeposit(deposit=deposit)]
    view = document_view(final, seller())
    with app.test_request_context("/"):
        html = render_template("passerelle/space/document_print.html", view=view,
                               pdf_url="/espace/documents/1/pdf", back_url="/espace/documents/1")
    text = plain(html)
    for expected in ("Facture", "N° F-2026-00001", "27/11/2026", "292,75 €", "232,75 €",
                     "Net à payer", "AC-2026-00001", "SIREN 732 829 320", "Boulangerie Martin",
                     "Conception graphique", "Détail de la TVA", "42,75 €", "Imprimer",
                     'href="/espace/documents/1/pdf"', 'href="/espace/documents/1"',
                     "@media print", "BCE"):
        assert expected in text, expected
    assert "BROUILLON" not in html
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "<script src" not in html

    draft_view = document_view(invoice(number=None, status="draft"), seller())
    with app.test_request_context("/"):
        html = render_template("passerelle/space/document_print.html", view=draft_view,
                               pdf_url=None, back_url=None)
    assert "BROUILLON – document sans valeur" in html
    assert "Télécharger le PDF" not in html
