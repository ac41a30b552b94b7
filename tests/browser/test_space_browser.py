"""The invoicing space in Chromium: the client user invoices, the firm looks."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Contact, Invoice
from conftest import browser_login, update_client

pytestmark = pytest.mark.browser


@pytest.fixture
def customer(app, world):
    update_client(app, world.a1, multi_vat=True, address_line1="3 rue de la Paix",
                  postcode="69002", city="Lyon")
    with app.app_context():
        contact = Contact(client_id=world.a1, name="Librairie Étoile", city="Lyon")
        db.session.add(contact)
        db.session.commit()
        db.session.remove()


def test_client_invoices_and_the_firm_reads(app, world, customer, live_server, page, screenshot):
    browser_login(page, live_server, "client_a1")

    # An article, from the list of articles.
    page.goto(f"{live_server}/espace/articles/list/")
    page.click("a[href*='/espace/articles/add']")
    page.wait_for_load_state()
    page.fill("input[name=reference]", "ATEL-1")
    page.fill("input[name=label]", "Atelier d'écriture")
    page.select_option("select[name=nature]", "services")
    page.fill("input[name=unit_price_ht]", "150.00")
    page.select_option("select[name=vat_rate]", "20")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    assert "Atelier d'écriture" in page.inner_text("body")

    # An invoice: the article fills line 1; line 2 is a book at 5,5 %.
    page.goto(f"{live_server}/espace/documents/add?type=invoice")
    page.select_option("select[name=contact_id]", label="Librairie Étoile")
    page.select_option("select[name='lines-0-article_id']", label="ATEL-1 · Atelier d'écriture")
    assert page.input_value("input[name='lines-0-designation']") == "Atelier d'écriture"
    assert page.input_value("input[name='lines-0-unit_price_ht']") == "150"
    page.fill("input[name='lines-0-quantity']", "2")
    page.fill("input[name='lines-1-designation']", "Recueil de nouvelles")
    page.fill("input[name='lines-1-quantity']", "4")
    page.fill("input[name='lines-1-unit_price_ht']", "12,50")
    page.select_option("select[name='lines-1-vat_rate']", "5.5")
    page.select_option("select[name='lines-1-nature']", "goods")
    screenshot("space-invoice-editor")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[name=then][value=issue]")
    page.wait_for_load_state()
    body = page.inner_text("body")
    year = dt.date.today().year
    assert f"F-{year}-00001" in body
    # 300,00 at 20 % + 50,00 at 5,5 % = 350,00 HT, 62,75 VAT, 412,75 TTC.
    assert "412,75" in body and "62,75" in body
    screenshot("space-invoice-issued")

    # A partial payment.
    page.click("text=Enregistrer un règlement")
    page.wait_for_load_state()
    page.fill("input[name=amount]", "200,00")
    page.click("#spread-payment")
    page.click("text=Enregistrer le règlement")
    page.wait_for_load_state()
    assert "Règlement de 200,00" in page.inner_text("body")
    with app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        assert (invoice.status, invoice.paid_ttc) == ("partially_paid", D("200.00"))
        invoice_id = invoice.id

    # The firm opens the account from the client list, read only.
    context = page.context
    context.clear_cookies()
    browser_login(page, live_server, "collab_a")
    page.goto(f"{live_server}/clientview/list/")
    row = page.locator(f"tr:has(a[href='/clients/{world.a1}/compte'])")
    row.locator(".dropdown-toggle").click()
    with page.expect_navigation():
        row.locator(f"a[href='/clients/{world.a1}/compte']").click()
    assert "Lecture seule" in page.inner_text(".space-banner")
    page.click(".space-tabs >> text=Documents")
    page.wait_for_load_state()
    assert f"F-{year}-00001" in page.inner_text("body")
    page.goto(f"{live_server}/espace/documents/show/{invoice_id}")
    body = page.inner_text("body")
    for word in ("Modifier", "Émettre", "Créer un avoir", "Enregistrer un règlement"):
        assert word not in body
    screenshot("space-firm-read-only")
    with page.expect_download() as download:
        page.click("text=Télécharger le PDF")
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.value.suggested_filename == f"F-{year}-00001.pdf"
