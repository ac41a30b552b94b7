"""The PDF of an invoicing document (app/invoicing/pdf.py): read back with
pypdf, it says what the printable view says, on as many A4 pages as needed."""
import datetime as dt
import io
from decimal import Decimal as D

from pypdf import PdfReader

from app.invoicing.pdf import FONTS_DIR, render_pdf
from app.invoicing.presentation import document_view
from app.models import InvoiceDeposit
from test_invoice_presentation import contact, invoice, line, plain, seller

A4 = (595.28, 841.89)


def read(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    pages = [plain(page.extract_text() or "") for page in reader.pages]
    return reader, pages


def test_fonts_are_vendored_with_their_licence():
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONTS_DIR / name).is_file(), name


def test_pdf_of_an_invoice_carries_its_content_and_mentions():
    pdf = render_pdf(document_view(invoice(), seller()))
    assert pdf.startswith(b"%PDF")
    reader, pages = read(pdf)
    assert len(pages) == 1
    width, height = (float(value) for value in reader.pages[0].mediabox.upper_right)
    assert (round(width, 1), round(height, 1)) == (round(A4[0], 1), round(A4[1], 1))
    assert reader.metadata.title == "F-2026-00001"

    text = pages[0]
    for expected in ("Facture", "F-2026-00001", "27/11/2026", "27/12/2026",
                     "Atelier Dupont", "732 829 320", "RCS Lyon", "FR44732829320",
                     "Boulangerie Martin", "552 100 554", "Conception graphique",
                     "200,00 €", "40,00 €", "2,75 €", "5,5 %", "292,75 €", "Net à payer",
                     "Détail de la TVA", "Pas d'escompte pour paiement anticipé",
                     "recouvrement", "Page 1/1"):
        assert expected in text, expected
    flat = " ".join(text.split())
    assert ("En cas de retard de paiement, pénalités au taux d'intérêt appliqué par la BCE "
            "à son opération de refinancement la plus récente majoré de 10 points") in flat
    assert "293 B" not in flat
    assert "BROUILLON" not in text


def test_pdf_renders_accents_euro_and_french_spaces():
    document = invoice(lines=[line(1, "Crème brûlée « maison » — œufs frais", "1", "1234.56",
                                   "20")])
    _, pages = read(render_pdf(document_view(document, seller())))
    assert "Crème brûlée « maison » — œufs frais" in pages[0]
    assert "1 234,56 €" in pages[0]


def test_pdf_of_a_vat_exempt_seller_and_a_credit_note():
    corrected = invoice(issue_date=dt.date(2026, 3, 12))
    credit_note = invoice(kind="credit_note", number="AV-2026-00001", corrects=corrected,
                          contact=contact(is_company=False, first_name="Julie", name="Moreau"),
                          lines=[line(1, "Cours de piano", "1", "30.00", "0")])
    reader, pages = read(render_pdf(document_view(credit_note, seller(vat_exempt=True))))
    text = " ".join(" ".join(pages).split())
    assert reader.metadata.title == "AV-2026-00001"
    assert "Avoir sur la facture F-2026-00001 du 12/03/2026" in text
    assert "TVA non applicable, art. 293 B du CGI." in text
    assert "Julie Moreau" in text


def test_pdf_lists_deposits_and_net_to_pay():
    deposit = invoice(kind="deposit", number="AC-2026-00001", issue_date=dt.date(2026, 10, 1),
                      total_ttc=D("60.00"))
    final = invoice(deposits_ttc=D("60.00"))
    final.deposit_deductions = [InvoiceDeposit(deposit=deposit)]
    _, pages = read(render_pdf(document_view(final, seller())))
    for expected in ("Acomptes déduits", "AC-2026-00001", "01/10/2026", "-60,00 €",
                     "232,75 €"):
        assert expected in pages[0], expected


def test_draft_pdf_is_marked():
    draft = invoice(number=None, status="draft")
    reader, pages = read(render_pdf(document_view(draft, seller())))
    assert "BROUILLON – document sans valeur" in pages[0]
    assert reader.metadata.title == "Facture – Brouillon"


def test_long_document_continues_on_numbered_pages():
    lines = [line(position, f"Article {position:03d} — prestation détaillée", "3", "12.50", "20")
             for position in range(1, 121)]
    pdf = render_pdf(document_view(invoice(lines=lines), seller()))
    _, pages = read(pdf)
    count = len(pages)
    assert count >= 2
    assert "Page 2/" in pages[1]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number}/{count}" in text
        assert "732 829 320" in text            # seller identity at the foot of every page
    every = "\n".join(pages)
    for position in (1, 60, 120):
        assert f"Article {position:03d}" in every
    # The table headings are repeated on the following pages.
    assert "Désignation" in pages[1]
    # 120 × 37,50 = 4 500,00 HT, VAT 900,00, TTC 5 400,00, on the last page.
    assert "5 400,00 €" in pages[-1]
    assert "Facture F-2026-00001" in pages[1]   # running header
