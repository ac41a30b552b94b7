"""The client sheet's invoicing figures (« Tableau de bord », « Informations » with
the aged balance) and the dashboard's figures of the month, through the web
pages: French formats, empty states, tenant rules, statements per page."""
import datetime as dt
import re
from decimal import Decimal as D

from sqlalchemy import event

from conftest import update_client
from test_client_sheet import text_of
from test_dashboard import dom
from app.extensions import db
from app.invoicing import reporting
from app.models import Contact, Invoice, Payment

NNBSP, NBSP = "\u202f", "\u00a0"


def today():
    return reporting.today_in("Europe/Paris")


def add_books(app, client_id, documents=(), payments=(), contacts=("Boulangerie Martin",)):
    """documents: (contact index, kind, status, issue date, due date, HT, VAT, paid)."""
    with app.app_context():
        people = [Contact(client_id=client_id, name=name) for name in contacts]
        db.session.add_all(people)
        db.session.flush()
        for number, (who, kind, status, issue, due, ht, vat, paid) in enumerate(documents):
            db.session.add(Invoice(
                client_id=client_id, contact_id=people[who].id, kind=kind, status=status,
                number=None if status == "draft" else f"{kind[:2].upper()}-{client_id}-{number:05d}",
                issue_date=issue, due_date=due, total_ht=D(ht), total_vat=D(vat),
                total_ttc=D(ht) + D(vat), paid_ttc=D(paid)))
        for who, day, amount in payments:
            db.session.add(Payment(client_id=client_id, contact_id=people[who].id, date=day,
                                   amount=D(amount), payment_mode="Virement"))
        db.session.commit()
        db.session.remove()


def eur(text):
    """« 1 000,00 € » written as Babel writes it in French."""
    return text.replace(" €", NBSP + "€").replace(" ", NNBSP)


def sheet(browser, username, client_id, tab):
    response = browser(username).get(f"/clients/{client_id}/?onglet={tab}")
    assert response.status_code == 200, response.status_code
    return response


# « Tableau de bord » ----------------------------------------------------------------------

def test_dashboard_tab_shows_twelve_months_of_figures_in_french(app, world, browser):
    day = today()
    two_months_ago = reporting.add_months(day, -2)
    add_books(app, world.a1, contacts=("Boulangerie <Martin> & Fils", "Durand SA"), documents=[
        (0, "invoice", "issued", day, None, "1234.56", "246.91", "0"),
        (1, "invoice", "paid", two_months_ago, None, "10000.00", "2000.00", "12000.00"),
        (0, "credit_note", "issued", day, None, "34.56", "6.91", "0"),
        (0, "invoice", "draft", day, None, "99999.00", "0", "0"),
    ], payments=[(1, two_months_ago, "12000.00")])
    add_books(app, world.b1, contacts=("Client Bêta Secret",), documents=[
        (0, "invoice", "issued", day, None, "777.00", "0", "0")])

    response = sheet(browser, "collab_a", world.a1, "tableau-de-bord")
    page = dom(response.text)
    text = text_of(response.text)
    for title in ("CA HT par mois", "Documents émis par mois", "Règlements reçus par mois",
                  "Meilleurs clients", "Facturation des 12 derniers mois"):
        assert title in text, title
    charts = {node.attrs["data-chart"]: node for node in page.find_all(data_chart=True)}
    assert set(charts) == {"revenue", "documents", "payments", "customers"}
    revenue = charts["revenue"].text
    # 12 months, French amounts: 1 234,56 − 34,56 this month, 10 000,00 two months ago.
    assert f"Total sur 12 mois : 11{NNBSP}200,00{NBSP}€" in revenue
    assert f"1{NNBSP}200,00{NBSP}€" in revenue and f"10{NNBSP}000,00{NBSP}€" in revenue
    assert len(charts["revenue"].find("tbody").find_all("tr")) == 12
    assert "3 documents émis sur 12 mois" in charts["documents"].text
    assert f"12{NNBSP}000,00{NBSP}€" in charts["payments"].text
    customers = charts["customers"].text
    assert "Durand SA" in customers and "Boulangerie <Martin> & Fils" in customers
    assert customers.index("Durand SA") < customers.index("Boulangerie <Martin>")
    # The customer's name is escaped, in the SVG too.
    assert "<Martin>" not in response.text and "&lt;Martin&gt; &amp; Fils" in response.text
    assert 'role="img"' in response.text
    assert "Client Bêta Secret" not in text and "99" + NNBSP + "999" not in text
    # The page links its stylesheet; no script or remote asset for the charts.
    assert "css/charts.css" in response.text
    assert "googleapis" not in response.text and "gstatic" not in response.text


def test_dashboard_tab_without_documents_says_so(app, world, browser):
    page = text_of(sheet(browser, "collab_a", world.a2, "tableau-de-bord").text)
    assert "Aucun document émis sur les 12 derniers mois." in page
    assert "CA HT par mois" not in page


def test_only_the_tab_shown_computes_its_figures(app, world, browser):
    add_books(app, world.a1, documents=[
        (0, "invoice", "issued", today(), today() - dt.timedelta(days=40), "100.00", "20.00",
         "0")])
    board = sheet(browser, "collab_a", world.a1, "tableau-de-bord").text
    assert "CA HT par mois" in board and "Balance âgée" not in board
    # The other tab with figures reloads the page to compute them.
    assert f'href="/clients/{world.a1}/?onglet=informations"' in board
    info = sheet(browser, "collab_a", world.a1, "informations").text
    assert "Balance âgée" in info and "CA HT par mois" not in info
    assert f'href="/clients/{world.a1}/?onglet=tableau-de-bord"' in info
    # The static tabs still switch without reloading.
    assert 'href="#onglet-comptabilite"' in info and 'data-toggle="tab"' in info


# « Informations » ----------------------------------------------------------------------------

def test_informations_tab_shows_seller_details_and_the_aged_balance(app, world, browser):
    update_client(app, world.a1, legal_form="SARL", share_capital="10 000 €", rcs_city="Lyon",
                  address_line1="12 rue de la République", postcode="69002", city="Lyon",
                  vat_number="FR40732829320", payment_terms_days=45)
    day = today()
    add_books(app, world.a1, contacts=("Martin & Fils", "Durand SA", "Petit <Client>"), documents=[
        (0, "invoice", "issued", day - dt.timedelta(days=100), day - dt.timedelta(days=91),
         "1000.00", "200.00", "0"),
        (0, "invoice", "partially_paid", day - dt.timedelta(days=50),
         day - dt.timedelta(days=30), "1000.00", "200.00", "200.00"),
        (1, "deposit", "issued", day, day + dt.timedelta(days=1), "500.00", "100.00", "0"),
        (2, "invoice", "issued", day - dt.timedelta(days=70), day - dt.timedelta(days=61),
         "0.50", "0.10", "0"),
        (1, "invoice", "paid", day, day - dt.timedelta(days=200), "999.00", "0", "999.00"),
        (1, "credit_note", "issued", day, day - dt.timedelta(days=200), "50.00", "0", "0"),
    ])
    add_books(app, world.a2, contacts=("Client de A2",), documents=[
        (0, "invoice", "issued", day, day - dt.timedelta(days=5), "4444.00", "0", "0")])

    response = sheet(browser, "collab_a", world.a1, "informations")
    text = text_of(response.text)
    for expected in ("SARL", "10 000 €", "RCS Lyon", "12 rue de la République", "69002",
                     "FR40732829320", "45 jours", "Assujetti à la TVA"):
        assert expected in text, expected
    page = dom(response.text)
    table = page.find("table", class_=".pl-aged-table")
    assert table is not None
    headers = [th.text for th in table.find("thead").find_all("th")]
    assert headers == ["Client", "Non échu", "0–30 jours", "31–60 jours", "61–90 jours",
                       "Plus de 90 jours", "Total"]
    rows = [[tr.find("th").text] + [cell.text for cell in tr.find_all("td")]
            for tr in table.find_all("tr", data_contact=True)]
    by_name = {row[0]: row[1:] for row in rows}
    # Martin: 1 200,00 over 90 days, 1 200,00 − 200,00 = 1 000,00 at 30 days.
    nothing = "— " + eur("0,00 €")  # a dash on screen, the amount for screen readers
    assert by_name["Martin & Fils"] == [nothing, eur("1 000,00 €"), nothing, nothing,
                                        eur("1 200,00 €"), eur("2 200,00 €")]
    assert by_name["Total"] == [eur("600,00 €"), eur("1 000,00 €"), eur("0,00 €"),
                                eur("0,60 €"), eur("1 200,00 €"), eur("2 800,60 €")]
    assert [row[0] for row in rows] == ["Martin & Fils", "Durand SA", "Petit <Client>", "Total"]
    assert "&lt;Client&gt;" in response.text and "Petit <Client>" not in response.text
    assert "Client de A2" not in text and "4" + NNBSP + "444" not in text
    # The chart: one bar per bucket, each with its pattern; the total beside it.
    chart = page.find("figure", class_=".pl-chart-horizontal")
    labels = [bar.attrs["aria-label"] for bar in chart.find_all("g", class_=".pl-bar")]
    assert labels == [f"Non échu{NBSP}: 600,00{NBSP}€",
                      f"0–30 jours{NBSP}: 1{NNBSP}000,00{NBSP}€",
                      f"31–60 jours{NBSP}: 0,00{NBSP}€",
                      f"61–90 jours{NBSP}: 0,60{NBSP}€",
                      f"Plus de 90 jours{NBSP}: 1{NNBSP}200,00{NBSP}€"]
    total = page.find(data_aged_total=True)
    assert total.attrs["data-aged-total"] == "2800.60"
    assert total.text == f"2{NNBSP}800,60{NBSP}€"
    assert "4 documents" in text


def test_informations_tab_without_receivables_says_so(app, world, browser):
    add_books(app, world.a2, documents=[
        (0, "invoice", "paid", today(), today() - dt.timedelta(days=3), "10.00", "0", "10.00")])
    text = text_of(sheet(browser, "collab_a", world.a2, "informations").text)
    assert "Aucune créance en cours." in text
    assert "30 jours" in text  # the default payment terms


def test_restricted_collaborator_gets_404_on_an_unassigned_client(app, world, browser):
    user = browser("restricted_a")
    for tab in ("tableau-de-bord", "informations"):
        response = user.get(f"/clients/{world.a2}/?onglet={tab}")
        assert response.status_code == 404
        assert user.get(f"/clients/{world.a1}/?onglet={tab}").status_code == 200
    assert browser("owner_b").get(f"/clients/{world.a1}/?onglet=informations").status_code == 404


def _statements(app, user, path):
    with app.app_context():
        engine = db.engine
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = user.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements)


def test_the_tabs_run_as_many_statements_for_3_or_60_documents(app, world, browser):
    day = today()

    def documents(count):
        return [(n % 2, ("invoice", "credit_note", "deposit")[n % 3], "issued",
                 day - dt.timedelta(days=5 * n), day - dt.timedelta(days=3 * n),
                 "10.00", "2.00", "0") for n in range(count)]

    add_books(app, world.a1, documents=documents(3), contacts=("Un", "Deux"))
    user = browser("collab_a")
    paths = [f"/clients/{world.a1}/?onglet=tableau-de-bord",
             f"/clients/{world.a1}/?onglet=informations", "/"]
    for path in paths:
        user.get(path)  # warm up
    few = [_statements(app, user, path) for path in paths]
    with app.app_context():
        db.session.execute(Invoice.__table__.delete().where(Invoice.client_id == world.a1))
        db.session.commit()
        db.session.remove()
    add_books(app, world.a1, documents=documents(60), contacts=("Trois", "Quatre"))
    many = [_statements(app, user, path) for path in paths]
    assert few == many


# Dashboard -------------------------------------------------------------------------------------

def figures(page):
    return {node.attrs["data-invoicing"]: D(node.attrs["data-value"])
            for node in page.find_all(data_invoicing=True)}


def test_dashboard_shows_the_months_invoicing_of_the_visible_clients(app, world, browser):
    day = today()
    first = day.replace(day=1)
    last_month = reporting.add_months(day, -1)
    add_books(app, world.a1, documents=[
        (0, "invoice", "issued", first, None, "1000.00", "200.00", "0"),
        (0, "deposit", "issued", day, None, "234.56", "46.91", "0"),
        (0, "credit_note", "issued", day, None, "100.00", "20.00", "0"),
        (0, "invoice", "draft", day, None, "5000.00", "0", "0"),
        (0, "invoice", "cancelled", day, None, "5000.00", "0", "0"),
        (0, "invoice", "issued", last_month, None, "5000.00", "0", "0"),
    ])
    add_books(app, world.a2, documents=[(0, "invoice", "issued", day, None, "10.00", "2.00", "0")])
    add_books(app, world.b1, documents=[(0, "invoice", "issued", day, None, "7.00", "0", "0")])

    collab = dom(browser("collab_a").get("/").text)
    assert figures(collab) == {"documents": 4, "invoiced_ht": D("1244.56"),
                               "invoiced_ttc": D("1493.47"), "credited_ht": D("100.00"),
                               "credited_ttc": D("120.00")}
    block = collab.find(id="dash-invoicing").text
    assert "Facturation du mois" in block
    assert f"1{NNBSP}244,56{NBSP}€" in block and f"1{NNBSP}493,47{NBSP}€" in block
    assert f"100,00{NBSP}€" in block and f"soit 120,00{NBSP}€ TTC" in block
    assert "2 factures · 1 acompte · 1 avoir" in block

    restricted = dom(browser("restricted_a").get("/").text)  # a1 only
    assert figures(restricted)["documents"] == 3
    assert figures(restricted)["invoiced_ht"] == D("1234.56")

    beta = dom(browser("owner_b").get("/").text)
    assert figures(beta) == {"documents": 1, "invoiced_ht": D("7.00"), "invoiced_ttc": D("7.00"),
                             "credited_ht": D("0.00"), "credited_ttc": D("0.00")}
    assert "1" + NNBSP + "244" not in beta.text

    # The existing client figures are unchanged by the new block.
    assert {card.attrs["data-stat"] for card in collab.find_all("a", data_stat=True)} == {
        "clients", "never", "month", "missing"}
