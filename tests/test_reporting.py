"""Invoicing figures (app/invoicing/reporting.py) on SQLite and PostgreSQL: exact
Decimal results, what counts and what does not, bucket boundaries of the aged
balance, tenant isolation, and a number of statements that does not grow with
the number of documents."""
import datetime as dt
import itertools
from decimal import Decimal as D

import pytest
from sqlalchemy import event

from app.clients import dashboard
from app.extensions import db
from app.invoicing import reporting
from app.models import Client, Contact, Invoice, Payment
from app.security.tenancy import ScopeKind, TenantScope, visible_client_ids, visible_criteria

TODAY = dt.date(2026, 11, 27)
ZERO = D("0.00")
_numbers = itertools.count(1)


def days_ago(days):
    return TODAY - dt.timedelta(days=days)


class Books:
    """Writes contacts, documents and payments straight into the tables."""

    def __init__(self, session):
        self.session = session

    def contact(self, client_id, name, first_name=None, is_company=True):
        contact = Contact(client_id=client_id, name=name, first_name=first_name,
                          is_company=is_company)
        self.session.add(contact)
        self.session.flush()
        return contact

    def document(self, contact, kind="invoice", status="issued", issue=TODAY, due=None,
                 ht="100.00", vat="0.00", paid="0", deposits="0", credited="0"):
        ht, vat = D(ht), D(vat)
        document = Invoice(
            client_id=contact.client_id, contact_id=contact.id, kind=kind, status=status,
            number=None if status == "draft" else f"T-{next(_numbers):06d}",
            issue_date=issue, due_date=due, total_ht=ht, total_vat=vat, total_ttc=ht + vat,
            paid_ttc=D(paid), deposits_ttc=D(deposits), credited_ttc=D(credited))
        self.session.add(document)
        return document

    def payment(self, contact, day, amount):
        payment = Payment(client_id=contact.client_id, contact_id=contact.id, date=day,
                          amount=D(amount), payment_mode="Virement")
        self.session.add(payment)
        return payment

    def commit(self):
        self.session.commit()


@pytest.fixture
def books(app, world):
    with app.app_context():
        yield Books(db.session)
        db.session.rollback()


# Monthly activity ------------------------------------------------------------------------------

def test_monthly_activity_gives_twelve_months_with_exact_figures(world, books):
    martin = books.contact(world.a1, "Boulangerie Martin")
    durand = books.contact(world.a1, "Durand", first_name="Léa", is_company=False)
    other = books.contact(world.a2, "Client d'Alpha Deux")
    beta = books.contact(world.b1, "Client de Bêta")
    # November 2026: 1 000,00 + 234,56 − 100,00 of revenue; the deposit is a document only.
    books.document(martin, issue=dt.date(2026, 11, 3), ht="1000.00", vat="200.00")
    books.document(durand, issue=dt.date(2026, 11, 20), ht="234.56", vat="46.91")
    books.document(martin, kind="credit_note", issue=dt.date(2026, 11, 21), ht="100.00",
                   vat="20.00")
    books.document(martin, kind="deposit", issue=dt.date(2026, 11, 10), ht="500.00",
                   vat="100.00")
    # Counted nowhere: a draft, a cancelled invoice.
    books.document(martin, status="draft", issue=dt.date(2026, 11, 5), ht="9999.00")
    books.document(martin, status="cancelled", issue=dt.date(2026, 11, 6), ht="8888.00")
    # Paid and partially paid documents are revenue like the others.
    books.document(durand, status="paid", issue=dt.date(2026, 6, 30), ht="10.10", paid="10.10")
    books.document(durand, status="partially_paid", issue=dt.date(2026, 6, 1), ht="0.20",
                   paid="0.10")
    # A month with a credit note only: negative revenue.
    books.document(martin, kind="credit_note", issue=dt.date(2026, 9, 15), ht="300.00")
    # The window's first day is in, the day before and next month are out.
    books.document(martin, issue=dt.date(2025, 12, 1), ht="50.00")
    books.document(martin, issue=dt.date(2025, 11, 30), ht="70.00")
    books.document(martin, issue=dt.date(2026, 12, 1), ht="80.00")
    books.payment(martin, dt.date(2026, 11, 15), "600.00")
    books.payment(durand, dt.date(2026, 11, 30), "0.01")
    books.payment(durand, dt.date(2026, 3, 31), "200.50")
    books.payment(martin, dt.date(2025, 11, 30), "1000.00")
    # Other clients' documents and payments never count.
    books.document(other, issue=dt.date(2026, 11, 4), ht="5000.00")
    books.payment(other, dt.date(2026, 11, 4), "5000.00")
    books.document(beta, issue=dt.date(2026, 11, 4), ht="7000.00")
    books.commit()

    months = reporting.monthly_activity(books.session, world.a1, TODAY)
    assert [figures.month for figures in months] == [
        dt.date(2025, 12, 1)] + [dt.date(2026, month, 1) for month in range(1, 12)]
    table = {figures.month.strftime("%Y-%m"): (figures.revenue_ht, figures.documents,
                                               figures.payments) for figures in months}
    expected = {key: (ZERO, 0, ZERO) for key in table}
    expected.update({
        "2025-12": (D("50.00"), 1, ZERO),
        "2026-03": (ZERO, 0, D("200.50")),
        "2026-06": (D("10.30"), 2, ZERO),
        "2026-09": (D("-300.00"), 1, ZERO),
        "2026-11": (D("1134.56"), 4, D("600.01")),
    })
    assert table == expected
    for figures in months:
        assert isinstance(figures.revenue_ht, D) and isinstance(figures.payments, D)
        assert isinstance(figures.documents, int)


def test_monthly_activity_of_a_client_without_documents_is_twelve_zero_months(world, books):
    months = reporting.monthly_activity(books.session, world.a2, dt.date(2026, 1, 1))
    assert len(months) == 12
    assert months[0].month == dt.date(2025, 2, 1) and months[-1].month == dt.date(2026, 1, 1)
    assert all((m.revenue_ht, m.documents, m.payments) == (ZERO, 0, ZERO) for m in months)


# Top customers ---------------------------------------------------------------------------------

def test_top_customers_rank_revenue_net_of_credit_notes(world, books):
    martin = books.contact(world.a1, "Boulangerie Martin")
    durand = books.contact(world.a1, "Durand", first_name="Léa", is_company=False)
    lefevre = books.contact(world.a1, "Lefèvre", first_name="Zoé", is_company=False)
    credited = books.contact(world.a1, "Avoirs Seulement SARL")
    deposits = books.contact(world.a1, "Acomptes Seulement SAS")
    old = books.contact(world.a1, "Ancien Client SA")
    foreign = books.contact(world.b1, "Très Gros Client")
    books.document(martin, issue=dt.date(2026, 11, 3), ht="1000.00", vat="200.00")
    books.document(martin, kind="credit_note", issue=dt.date(2026, 11, 4), ht="100.00")
    books.document(martin, issue=dt.date(2025, 12, 1), ht="50.00")
    books.document(martin, status="draft", issue=dt.date(2026, 11, 5), ht="9000.00")
    books.document(durand, issue=dt.date(2026, 2, 10), ht="234.56")
    books.document(lefevre, issue=dt.date(2026, 3, 10), ht="234.56")
    books.document(lefevre, status="cancelled", issue=dt.date(2026, 3, 11), ht="5000.00")
    books.document(credited, kind="credit_note", issue=dt.date(2026, 5, 1), ht="40.00")
    books.document(deposits, kind="deposit", issue=dt.date(2026, 5, 1), ht="4000.00")
    books.document(old, issue=dt.date(2025, 11, 30), ht="99999.00")
    books.document(foreign, issue=dt.date(2026, 11, 3), ht="99999.00")
    books.commit()

    top = reporting.top_customers(books.session, world.a1, TODAY)
    assert [(c.contact_id, c.name, c.revenue_ht) for c in top] == [
        (martin.id, "Boulangerie Martin", D("950.00")),
        (durand.id, "Léa Durand", D("234.56")),      # same revenue: by name
        (lefevre.id, "Zoé Lefèvre", D("234.56")),
    ]
    assert [c.contact_id for c in reporting.top_customers(books.session, world.a1, TODAY,
                                                          limit=2)] == [martin.id, durand.id]
    assert reporting.top_customers(books.session, world.a2, TODAY) == []


# Aged balance ------------------------------------------------------------------------------------

BOUNDARIES = [
    # (days overdue, amount due: powers of two, so every sum tells which documents it holds)
    (-1, "1.00"),    # due tomorrow
    (0, "2.00"),     # due today
    (None, "4.00"),  # no due date
    (1, "8.00"),
    (30, "16.00"),
    (31, "32.00"),
    (60, "64.00"),
    (61, "128.00"),
    (90, "256.00"),
    (91, "512.00"),
]


def test_aged_balance_buckets_at_their_boundaries(world, books):
    martin = books.contact(world.a1, "Boulangerie Martin")
    for overdue, amount in BOUNDARIES:
        books.document(martin, issue=days_ago(120), ht=amount,
                       due=None if overdue is None else days_ago(overdue))
    books.commit()
    aged = reporting.aged_balance(books.session, world.a1, TODAY)
    assert aged.buckets == {
        "not_due": D("7.00"), "0_30": D("24.00"), "31_60": D("96.00"),
        "61_90": D("384.00"), "over_90": D("512.00")}
    assert list(aged.buckets) == list(reporting.BUCKETS)
    assert aged.total == D("1023.00") and aged.documents == 10
    assert [(c.contact_id, c.total, c.documents) for c in aged.customers] == [
        (martin.id, D("1023.00"), 10)]
    assert aged.customers[0].amounts == aged.buckets


def test_aged_balance_counts_what_is_still_due_on_open_invoices_and_deposits(world, books):
    martin = books.contact(world.a1, "Boulangerie Martin")
    durand = books.contact(world.a1, "Durand", first_name="Léa", is_company=False)
    petit = books.contact(world.a1, "Petit Client")
    foreign = books.contact(world.a2, "Client d'Alpha Deux")
    # Partly settled: 1 200,00 − 100,00 deposit − 50,00 credited − 300,00 paid = 750,00.
    books.document(martin, status="partially_paid", ht="1000.00", vat="200.00",
                   deposits="100.00", credited="50.00", paid="300.00", due=days_ago(45))
    # A deposit invoice is due too.
    books.document(durand, kind="deposit", ht="58.33", vat="11.67", due=days_ago(10))
    books.document(durand, ht="0.10", due=days_ago(200))
    books.document(petit, ht="0.01", due=TODAY)
    # Not due: settled, credited in full, paid, draft, cancelled, credit notes.
    books.document(martin, ht="500.00", paid="500.00", due=days_ago(100))
    books.document(martin, ht="500.00", credited="500.00", due=days_ago(100))
    # Settled to the cent: SQLite's floats leave 0,04 − 0,03 − 0,01 a hair above 0.
    books.document(martin, ht="0.04", credited="0.03", paid="0.01", due=days_ago(100))
    books.document(martin, status="paid", ht="500.00", paid="500.00", due=days_ago(100))
    books.document(martin, status="draft", ht="500.00", due=days_ago(100))
    books.document(martin, status="cancelled", ht="500.00", due=days_ago(100))
    books.document(martin, kind="credit_note", ht="500.00", due=days_ago(100))
    # Another client's invoice.
    books.document(foreign, ht="900.00", due=days_ago(100))
    books.commit()

    aged = reporting.aged_balance(books.session, world.a1, TODAY)
    assert aged.buckets == {"not_due": D("0.01"), "0_30": D("70.00"), "31_60": D("750.00"),
                            "61_90": ZERO, "over_90": D("0.10")}
    assert aged.total == D("820.11") and aged.documents == 4
    assert [(c.name, c.total, c.documents) for c in aged.customers] == [
        ("Boulangerie Martin", D("750.00"), 1),
        ("Léa Durand", D("70.10"), 2),
        ("Petit Client", D("0.01"), 1)]
    assert aged.customers[1].amounts == {"not_due": ZERO, "0_30": D("70.00"), "31_60": ZERO,
                                         "61_90": ZERO, "over_90": D("0.10")}
    assert aged.others is None and aged.other_customers == 0

    limited = reporting.aged_balance(books.session, world.a1, TODAY, customer_limit=1)
    assert [c.name for c in limited.customers] == ["Boulangerie Martin"]
    assert limited.other_customers == 2
    assert limited.others.total == D("70.11") and limited.others.documents == 3
    assert limited.others.amounts["over_90"] == D("0.10")
    assert limited.buckets == aged.buckets and limited.total == aged.total

    other = reporting.aged_balance(books.session, world.a2, TODAY)
    assert other.total == D("900.00") and other.buckets["over_90"] == D("900.00")
    empty = reporting.aged_balance(books.session, world.b1, TODAY)
    assert empty.is_empty and empty.total == ZERO and empty.customers == []
    assert empty.buckets == {key: ZERO for key in reporting.BUCKETS}


# Dashboard ------------------------------------------------------------------------------------------

def _month_documents(books, world):
    a1 = books.contact(world.a1, "Client de A1")
    a2 = books.contact(world.a2, "Client de A2")
    b1 = books.contact(world.b1, "Client de B1")
    books.document(a1, issue=dt.date(2026, 11, 1), ht="100.00", vat="20.00")
    books.document(a1, kind="deposit", issue=dt.date(2026, 11, 30), ht="50.00", vat="10.00")
    books.document(a1, kind="credit_note", issue=dt.date(2026, 11, 2), ht="10.00", vat="2.00")
    books.document(a1, status="draft", issue=dt.date(2026, 11, 3), ht="1000.00")
    books.document(a1, status="cancelled", issue=dt.date(2026, 11, 3), ht="1000.00")
    books.document(a1, issue=dt.date(2026, 10, 31), ht="1000.00")
    books.document(a2, status="paid", issue=dt.date(2026, 11, 15), ht="0.50", vat="0.10",
                   paid="0.60")
    books.document(b1, issue=dt.date(2026, 11, 15), ht="7777.00")
    books.commit()


def test_dashboard_invoicing_covers_the_visible_clients_of_the_month(app, world, books):
    _month_documents(books, world)
    u = world.users
    cabinet = TenantScope(ScopeKind.CABINET, user_id=u["collab_a"], cabinet_id=world.cabinet_a)
    restricted = TenantScope(ScopeKind.RESTRICTED, user_id=u["restricted_a"],
                             cabinet_id=world.cabinet_a)

    figures = reporting.dashboard_invoicing(books.session, visible_client_ids(cabinet), TODAY)
    assert figures == reporting.DashboardInvoicing(
        month=dt.date(2026, 11, 1), documents=4, invoices=2, deposits=1, credit_notes=1,
        invoiced_ht=D("150.50"), invoiced_ttc=D("180.60"),
        credited_ht=D("10.00"), credited_ttc=D("12.00"))

    # Accès restreint: a1 only (assigned), never a2 nor cabinet B.
    mine = reporting.dashboard_invoicing(books.session, visible_client_ids(restricted), TODAY)
    assert (mine.documents, mine.invoices, mine.invoiced_ht, mine.invoiced_ttc) == (
        3, 1, D("150.00"), D("180.00"))
    # The dashboard's own entry point, on the tenant criteria.
    same = dashboard.invoicing_this_month(books.session, visible_criteria(Client, restricted),
                                          TODAY)
    assert same == mine
    # Another month: nothing.
    assert reporting.dashboard_invoicing(
        books.session, visible_client_ids(cabinet), dt.date(2026, 9, 5)).documents == 0


# Statements ----------------------------------------------------------------------------------------

def _statements(function):
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        function()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def _add_documents(books, contacts, count):
    for number in range(count):
        contact = contacts[number % len(contacts)]
        kind = ("invoice", "credit_note", "deposit")[number % 3]
        books.document(contact, kind=kind, issue=TODAY - dt.timedelta(days=number * 5),
                       due=TODAY - dt.timedelta(days=number * 3), ht="10.00", vat="2.00")
        books.payment(contact, TODAY - dt.timedelta(days=number * 5), "1.00")
    books.commit()


def test_each_function_runs_a_bounded_number_of_statements(app, world, books):
    contacts = [books.contact(world.a1, f"Client {n:02d}") for n in range(7)]
    scope = TenantScope(ScopeKind.CABINET, user_id=world.users["collab_a"],
                        cabinet_id=world.cabinet_a)
    session = books.session
    calls = {
        "monthly_activity": lambda: reporting.monthly_activity(session, world.a1, TODAY),
        "top_customers": lambda: reporting.top_customers(session, world.a1, TODAY),
        "aged_balance": lambda: reporting.aged_balance(session, world.a1, TODAY,
                                                       customer_limit=3),
        "dashboard_invoicing": lambda: reporting.dashboard_invoicing(
            session, visible_client_ids(scope), TODAY),
    }
    limits = {"monthly_activity": 2, "top_customers": 1, "aged_balance": 1,
              "dashboard_invoicing": 1}

    _add_documents(books, contacts, 3)
    few = {name: _statements(call) for name, call in calls.items()}
    few_results = {name: call() for name, call in calls.items()}
    _add_documents(books, contacts, 57)
    many = {name: _statements(call) for name, call in calls.items()}
    assert few == many == limits
    # The figures did change: the statements really read the 60 documents.
    assert reporting.aged_balance(session, world.a1, TODAY).documents > \
        few_results["aged_balance"].documents
    assert sum(m.documents for m in calls["monthly_activity"]()) > \
        sum(m.documents for m in few_results["monthly_activity"])
