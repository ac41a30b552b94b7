"""The client's invoicing space: the client user's work, the firm's access in
read-only and admin modes, and isolation (app/views/space.py, documents.py,
app/security/space.py)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AccountAccess, Article, ArticleCategory, Charge, Client, Contact, Invoice, InvoiceLine,
    Payment, PaymentAllocation,
)
from tests.conftest import csrf_token_from, update_client

SPACE_TABLES = (Contact, ArticleCategory, Article, Charge, Invoice, InvoiceLine, Payment,
                PaymentAllocation)


def snapshot(app):
    """Row counts and amounts of every space table: « nothing changed » means equal."""
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                       for model in SPACE_TABLES)
        amounts = tuple(db.session.execute(
            select(Invoice.id, Invoice.status, Invoice.paid_ttc, Invoice.number,
                   Invoice.total_ttc).order_by(Invoice.id)).all())
        client = tuple(db.session.execute(select(
            Client.id, Client.accountant_is_admin, Client.address_line1).order_by(Client.id)).all())
        db.session.remove()
        return counts, amounts, client


def make_data(app, client_id, suffix=""):
    """A contact, an article, a charge, an issued invoice, a draft and a payment."""
    from app.invoicing import documents as docs

    today = dt.date.today()
    with app.app_context():
        client = db.session.get(Client, client_id)
        contact = Contact(client_id=client_id, name=f"Boulangerie Martin{suffix}")
        category = ArticleCategory(client_id=client_id, name=f"Pains{suffix}")
        db.session.add_all([contact, category])
        db.session.flush()
        article = Article(client_id=client_id, reference=f"BAG{suffix}", label="Baguette",
                          nature="goods", unit_price_ht=D("1.00"), vat_rate=D("5.5"),
                          category_id=category.id)
        charge = Charge(client_id=client_id, kind="fee", label="Livraison",
                        amount=D("5.00"), vat_rate=D("5.5"))
        db.session.add_all([article, charge])
        db.session.flush()
        line = docs.LineInput(label="Baguette", quantity=D("100"), unit_price_ht=D("1.00"),
                              vat_rate=D("5.5"), nature="goods", article_id=article.id)
        invoice = docs.save_draft(db.session, client, docs.DraftInput(
            kind="invoice", contact_id=contact.id, lines=[line], issue_date=today))
        docs.issue(db.session, client, invoice, today)
        draft = docs.save_draft(db.session, client, docs.DraftInput(
            kind="invoice", contact_id=contact.id, lines=[line]))
        payment = docs.record_payment(db.session, client, docs.PaymentInput(
            contact_id=contact.id, date=today, amount=D("50.00"), payment_mode="Virement",
            allocations=[docs.AllocationInput(invoice.id, D("50.00"))]), today)
        db.session.commit()
        ids = dict(contact=contact.id, category=category.id, article=article.id,
                   charge=charge.id, invoice=invoice.id, draft=draft.id, payment=payment.id)
        db.session.remove()
        return ids


@pytest.fixture
def data(app, world):
    return make_data(app, world.a1)


def enter(browser, username, client_id):
    user = browser(username)
    response = user.get(f"/clients/{client_id}/compte")
    assert response.status_code == 302 and response.headers["Location"].endswith("/espace/")
    return user


# The client user -------------------------------------------------------------------

def test_the_client_user_works_in_their_own_space(app, world, browser):
    user = browser("client_a1")
    home = user.get("/espace/")
    assert home.status_code == 200
    assert "Alpha Un SARL" in home.text and "Droits du cabinet sur votre espace" in home.text
    assert "Vous êtes dans le compte" not in home.text   # no firm banner for the client

    response = user.post("/espace/clients/add", csrf_from="/espace/clients/add", data={
        "is_company": "y", "name": "Café des Arts", "country": "fr", "siren": "732 829 320",
        "vat_number": "fr44732829320", "city": "Lyon"}, follow_redirects=False)
    assert response.status_code == 302, response.text[:3000]
    with app.app_context():
        contact = db.session.scalars(select(Contact).where(Contact.name == "Café des Arts")).one()
        assert (contact.client_id, contact.siren, contact.vat_number, contact.country) == (
            world.a1, "732829320", "FR44732829320", "FR")
        contact_id = contact.id

    bad = user.post("/espace/clients/add", csrf_from="/espace/clients/add", data={
        "is_company": "y", "name": "Mauvais", "country": "FR", "vat_number": "FR00732829320"})
    assert bad.status_code == 200
    assert "Ce numéro de TVA intracommunautaire n'est pas valide." in bad.text
    # A country code python-stdnum does not know: still the French message, never its own.
    foreign = user.post("/espace/clients/add", csrf_from="/espace/clients/add", data={
        "is_company": "y", "name": "Mauvais", "country": "CH", "vat_number": "CHE-123.456.789"})
    assert foreign.status_code == 200
    assert "Ce numéro de TVA intracommunautaire n'est pas valide." in foreign.text

    response = user.post("/espace/articles/add", csrf_from="/espace/articles/add", data={
        "reference": "CONS-1", "label": "Conseil (heure)", "nature": "services",
        "unit_price_ht": "80.00", "vat_rate": "20"})
    assert response.status_code == 302, response.text[:3000]
    with app.app_context():
        article = db.session.scalars(select(Article).where(Article.reference == "CONS-1")).one()
        assert (article.client_id, article.unit_price_ht, article.vat_rate) == (
            world.a1, D("80.00"), D("20.00"))
        article_id = article.id

    update_client(app, world.a1, multi_vat=True)
    form = user.get("/espace/documents/add?type=invoice")
    assert form.status_code == 200 and "Conseil (heure)" in form.text
    response = user.post("/espace/documents/add?type=invoice", data={
        "csrf_token": csrf(form.text),
        "contact_id": str(contact_id),
        "lines-0-article_id": str(article_id), "lines-0-designation": "Conseil (heure)",
        "lines-0-quantity": "2", "lines-0-unit_price_ht": "80,00", "lines-0-discount_pct": "0",
        "lines-0-vat_rate": "20", "lines-0-nature": "services",
        "lines-1-article_id": "", "lines-1-designation": "Livre", "lines-1-quantity": "1",
        "lines-1-unit_price_ht": "20", "lines-1-discount_pct": "", "lines-1-vat_rate": "5.5",
        "lines-1-nature": "goods",
        "lines-2-article_id": "", "lines-2-designation": "", "lines-2-quantity": "1",
        "lines-2-unit_price_ht": "", "lines-2-vat_rate": "20", "lines-2-nature": "services",
        "then": "issue"})
    assert response.status_code == 302, response.text[:5000]
    with app.app_context():
        invoice = db.session.scalars(select(Invoice).where(Invoice.client_id == world.a1)).one()
        assert (invoice.number, invoice.status, invoice.total_ht, invoice.total_vat,
                invoice.total_ttc) == ("F-%d-00001" % dt.date.today().year, "issued",
                                       D("180.00"), D("33.10"), D("213.10"))
        invoice_id = invoice.id
    page = user.get(f"/espace/documents/show/{invoice_id}")
    assert "213,10" in page.text and "Créer un avoir" in page.text

    payment_form = user.get(f"/espace/reglements/add?contact_id={contact_id}")
    assert "Reste dû" in payment_form.text
    response = user.post("/espace/reglements/add", data={
        "csrf_token": csrf(payment_form.text), "contact_id": str(contact_id),
        "date": dt.date.today().isoformat(), "amount": "100,00", "payment_mode": "Chèque",
        f"allocation-{invoice_id}": "100,00"})
    assert response.status_code == 302, response.text[:3000]
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert (invoice.status, invoice.paid_ttc, invoice.amount_due) == (
            "partially_paid", D("100.00"), D("113.10"))


def csrf(html):
    return csrf_token_from(html)


def test_an_invalid_document_says_what_and_where_and_writes_nothing(app, world, browser, data):
    user = browser("client_a1")
    before = snapshot(app)
    form = user.get("/espace/documents/add?type=invoice")
    response = user.post("/espace/documents/add?type=invoice", data={
        "csrf_token": csrf(form.text), "contact_id": str(data["contact"]),
        "lines-0-designation": "Baguette", "lines-0-quantity": "deux",
        "lines-0-unit_price_ht": "1", "lines-0-vat_rate": "5.5", "lines-0-nature": "goods"})
    assert response.status_code == 200
    assert "Ligne 1 : « deux » n&#39;est pas un nombre." in response.text
    response = user.post("/espace/documents/add?type=invoice", data={
        "csrf_token": csrf(form.text), "contact_id": str(data["contact"]),
        "lines-0-designation": "A", "lines-0-quantity": "1", "lines-0-unit_price_ht": "1",
        "lines-0-vat_rate": "5.5", "lines-0-nature": "goods",
        "lines-1-designation": "B", "lines-1-quantity": "1", "lines-1-unit_price_ht": "1",
        "lines-1-vat_rate": "20", "lines-1-nature": "goods"})
    assert "un seul taux de TVA" in response.text
    assert snapshot(app) == before


def test_an_issued_document_cannot_be_edited_or_deleted_through_the_screens(
        app, world, browser, data):
    user = browser("client_a1")
    before = snapshot(app)
    response = user.get(f"/espace/documents/edit/{data['invoice']}")
    assert response.status_code == 302
    token = csrf(user.get(f"/espace/documents/show/{data['draft']}").text)
    response = user.post(f"/espace/documents/delete/{data['invoice']}",
                         data={"csrf_token": token}, follow_redirects=True)
    assert "ne peut pas être supprimé" in response.text
    assert snapshot(app) == before


def test_a_credit_note_from_the_invoice(app, world, browser, data):
    user = browser("client_a1")
    form = user.get(f"/espace/documents/avoir/{data['invoice']}")
    assert form.status_code == 200 and "Avoir sur la facture" in form.text
    response = user.post(f"/espace/documents/avoir/{data['invoice']}", data={
        "csrf_token": csrf(form.text), "contact_id": str(data["contact"]),
        "lines-0-designation": "Baguette", "lines-0-quantity": "10", "lines-0-unit_price_ht": "1",
        "lines-0-vat_rate": "5.5", "lines-0-nature": "goods", "then": "issue"})
    assert response.status_code == 302, response.text[:3000]
    with app.app_context():
        note = db.session.scalars(select(Invoice).where(Invoice.kind == "credit_note")).one()
        invoice = db.session.get(Invoice, data["invoice"])
        assert note.number.startswith("AV-") and note.corrects_invoice_id == invoice.id
        assert (note.total_ttc, invoice.credited_ttc) == (D("10.55"), D("10.55"))


def test_the_client_decides_the_firm_rights(app, world, browser):
    user = browser("client_a1")
    token = csrf(user.get("/espace/").text)
    response = user.post("/espace/droits-du-cabinet", data={"csrf_token": token,
                                                            "mode": "admin"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Client, world.a1).accountant_is_admin is True

    # The firm, even as administrator, cannot change its own rights.
    staff = enter(browser, "collab_a", world.a1)
    token = csrf(staff.get("/espace/").text)
    response = staff.post("/espace/droits-du-cabinet", data={"csrf_token": token,
                                                             "mode": "admin"})
    assert response.status_code == 403
    assert "Seul le client" in response.text


# The firm's access ---------------------------------------------------------------

def test_staff_enter_a_space_from_a_client_and_it_is_recorded(app, world, browser, data):
    staff = browser("collab_a")
    response = staff.get("/espace/")
    assert response.status_code == 302 and "/clientview/list/" in response.headers["Location"]

    staff = enter(browser, "collab_a", world.a1)
    home = staff.get("/espace/")
    assert home.status_code == 200
    assert "Vous êtes dans le compte de « Alpha Un SARL »" in home.text
    assert "Lecture seule" in home.text
    assert "Nouvelle facture" not in home.text
    with app.app_context():
        access = db.session.scalars(select(AccountAccess)).one()
        assert (access.client_id, access.user_id, access.mode) == (
            world.a1, world.users["collab_a"], "read")

    # The client user sees the record.
    log = browser("client_a1").get("/espace/acces-du-cabinet/list/")
    assert log.status_code == 200 and "Collab" in log.text and "Lecture seule" in log.text


def test_read_only_staff_see_everything_and_change_nothing(app, world, browser, data):
    staff = enter(browser, "collab_a", world.a1)
    listing = staff.get("/espace/documents/list/")
    assert listing.status_code == 200 and "F-" in listing.text
    assert "Nouvelle facture" not in listing.text
    assert "/espace/documents/edit/" not in listing.text
    assert "/espace/documents/delete/" not in listing.text
    page = staff.get(f"/espace/documents/show/{data['invoice']}")
    assert page.status_code == 200
    for word in ("Modifier", "Émettre", "Créer un avoir", "Enregistrer un règlement"):
        assert word not in page.text
    assert "Télécharger le PDF" in page.text
    export = staff.get("/espace/clients/export.xlsx")
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("application/vnd.openxmlformats")

    before = snapshot(app)
    token = staff.csrf("/espace/")
    refused = staff.post("/espace/clients/add", data={"csrf_token": token, "name": "Intrus",
                                                      "country": "FR"})
    assert refused.status_code == 403
    assert "Lecture seule" in refused.text and "Aucune modification" in refused.text
    assert snapshot(app) == before


def test_with_admin_rights_staff_act_like_the_client(app, world, browser, data):
    update_client(app, world.a1, accountant_is_admin=True)
    staff = enter(browser, "collab_a", world.a1)
    home = staff.get("/espace/")
    assert "Administrateur" in home.text and "Nouvelle facture" in home.text
    token = staff.csrf("/espace/")
    response = staff.post(f"/espace/documents/emettre/{data['draft']}",
                          data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.get(Invoice, data["draft"])
        assert draft.status == "issued" and draft.number.endswith("00002")
        assert db.session.scalars(select(AccountAccess.mode)).one() == "admin"


def test_a_space_is_only_entered_through_a_visible_client(app, world, browser, data):
    assert browser("restricted_a").get(f"/clients/{world.a2}/compte").status_code == 404
    assert browser("collab_b").get(f"/clients/{world.a1}/compte").status_code == 404
    assert browser("client_a1").get(f"/clients/{world.a1}/compte").status_code in (403, 404)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountAccess)) == 0


def test_a_client_unassigned_meanwhile_leaves_the_space_at_once(app, world, browser, data):
    staff = enter(browser, "restricted_a", world.a1)
    assert staff.get("/espace/documents/list/").status_code == 200
    with app.app_context():
        client = db.session.get(Client, world.a1)
        client.collaborators = [user for user in client.collaborators
                                if user.username != "restricted_a"]
        db.session.commit()
    response = staff.get(f"/espace/documents/show/{data['invoice']}")
    assert response.status_code == 302 and "/clientview/list/" in response.headers["Location"]


def test_leaving_the_space(app, world, browser, data):
    staff = enter(browser, "collab_a", world.a1)
    response = staff.post("/espace/quitter", csrf_from="/espace/")
    assert response.status_code == 302 and f"/clients/{world.a1}/" in response.headers["Location"]
    assert staff.get("/espace/").status_code == 302


# Isolation between clients -------------------------------------------------------

OTHER_CLIENT_URLS = [
    "/espace/documents/show/{invoice}", "/espace/documents/print/{invoice}",
    "/espace/documents/pdf/{invoice}", "/espace/documents/edit/{draft}",
    "/espace/documents/avoir/{invoice}", "/espace/clients/show/{contact}",
    "/espace/clients/edit/{contact}", "/espace/articles/show/{article}",
    "/espace/articles/edit/{article}", "/espace/categories/show/{category}",
    "/espace/frais/show/{charge}", "/espace/reglements/show/{payment}",
]


@pytest.mark.parametrize("template", OTHER_CLIENT_URLS)
def test_another_client_rows_answer_404(app, world, browser, data, template):
    """client_a1 asks for client a2's rows by id: as if they did not exist."""
    other = make_data(app, world.a2, suffix=" 2")
    user = browser("client_a1")
    assert user.get(template.format(**other)).status_code == 404


def test_another_client_rows_cannot_be_written(app, world, browser, data):
    other = make_data(app, world.a2, suffix=" 2")
    user = browser("client_a1")
    before = snapshot(app)
    token = user.csrf("/espace/")
    for path in (f"/espace/documents/emettre/{other['draft']}",
                 f"/espace/documents/delete/{other['draft']}",
                 f"/espace/reglements/delete/{other['payment']}",
                 f"/espace/clients/delete/{other['contact']}",
                 f"/espace/articles/delete/{other['article']}"):
        assert user.post(path, data={"csrf_token": token}).status_code == 404, path
    # A foreign id slipped into a form of one's own space.
    form = user.get("/espace/articles/add")
    response = user.post("/espace/articles/add", data={
        "csrf_token": csrf(form.text), "label": "X", "nature": "goods",
        "unit_price_ht": "1", "vat_rate": "20", "category": str(other["category"])})
    assert response.status_code == 200
    response = user.post("/espace/documents/add?type=invoice", data={
        "csrf_token": token, "contact_id": str(other["contact"]),
        "lines-0-designation": "A", "lines-0-quantity": "1", "lines-0-unit_price_ht": "1",
        "lines-0-vat_rate": "5.5", "lines-0-nature": "goods"})
    assert "Choisissez le client facturé" in response.text
    assert snapshot(app) == before


def test_lists_and_exports_hold_only_the_space_client(app, world, browser, data):
    make_data(app, world.a2, suffix=" Deux")
    staff = enter(browser, "collab_a", world.a1)
    listing = staff.get("/espace/clients/list/")
    assert "Boulangerie Martin" in listing.text and "Martin Deux" not in listing.text
    export = staff.get("/espace/clients/export.xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(export.data)).active.values)
    assert rows[0][0] == "Nom ou raison sociale"
    assert [row[0] for row in rows[1:]] == ["Boulangerie Martin"]


# Read-only mode, route by route ----------------------------------------------------

def _space_rules(app):
    from app.views.space import SpaceGuarded

    views = {view.endpoint: view for view in app.appbuilder.baseviews
             if isinstance(view, SpaceGuarded)}
    for rule in app.url_map.iter_rules():
        blueprint, _, method = rule.endpoint.rpartition(".")
        if blueprint in views:
            yield rule, views[blueprint], method


def test_every_space_route_is_covered(app):
    endpoints = {rule.endpoint for rule, _view, _method in _space_rules(app)}
    for expected in ("DocumentView.add", "DocumentView.issue", "PaymentView.delete",
                     "ContactView.edit", "SpaceHomeView.company", "ArticleView.action_post"):
        assert expected in endpoints


def test_read_only_mode_refuses_every_writing_route(app, world, browser, data):
    """Walk every route of every space view: in read-only mode, any route that is
    not a read (or any POST) answers 403 and changes nothing."""
    staff = enter(browser, "collab_a", world.a1)
    token = staff.csrf("/espace/")
    ids = {"pk": data["draft"], "name": "delete", "filename": "x.pdf"}
    before = snapshot(app)
    checked = 0
    for rule, view, method in _space_rules(app):
        path = rule.build({arg: ids.get(arg, data["contact"]) for arg in rule.arguments})[1]
        for http_method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (http_method == "GET" and method in view.read_methods) \
                    or method in view.read_only_posts:
                continue
            if http_method == "GET":
                response = staff.get(path)
            else:
                response = staff.post(path, data={"csrf_token": token, "name": "x",
                                                  "mode": "admin", "label": "x"})
            # An action name the view does not have is unknown before anything else.
            expected = (403, 404) if method == "action" else (403,)
            assert response.status_code in expected, (http_method, path, response.status_code)
            checked += 1
    assert checked >= 20
    assert snapshot(app) == before


def test_the_payment_list_costs_the_same_whatever_the_number_of_payments(app, world, browser):
    """Payment.documents reads each payment's allocations: loaded per page, not per row."""
    from sqlalchemy import event

    make_data(app, world.a1)
    user = browser("client_a1")

    def statements():
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert user.get("/espace/reglements/list/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for suffix in (" B", " C", " D", " E"):
        make_data(app, world.a1, suffix=suffix)
    assert statements() == few


def test_the_space_home_figures(app, world, data):
    """make_data: one invoice of 105,50 € TTC issued today (100,00 € HT), 50,00 € paid,
    one draft; another client's documents never counted."""
    from app.invoicing.reporting import space_figures

    make_data(app, world.a2, suffix=" 2")
    with app.app_context():
        figures = space_figures(db.session, world.a1, dt.date.today())
    assert (figures.outstanding, figures.overdue, figures.overdue_count, figures.drafts,
            figures.month_ht) == (D("55.50"), D("0.00"), 0, 1, D("100.00"))
