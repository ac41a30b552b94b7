"""Demo invoicing data (app/demo_invoicing.py, through app.demo.seed_demo and
`flask seed-demo`): every client has a valid, consistent year of documents, on
SQLite and PostgreSQL.

The demo is loaded once per backend (module fixture); the CLI test reloads it
with the same seed and checks it gives the same documents, so the tests after it
still read the same data."""
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal as D

import pytest
from conftest import wipe
from sqlalchemy import func, select
from stdnum.fr import siren as siren_number
from stdnum.fr import tva

from app.demo import seed_demo
from app.extensions import db
from app.invoicing.numbering import format_number
from app.invoicing.totals import Charge as TotalsCharge
from app.invoicing.totals import Line as TotalsLine
from app.invoicing.totals import compute_totals
from app.models import (
    AppUser,
    Article,
    ArticleCategory,
    Charge,
    Client,
    Contact,
    Invoice,
    InvoiceDeposit,
    Payment,
    PaymentAllocation,
)

SEED, CLIENTS, TODAY = 7, 20, dt.date(2026, 3, 1)
DEMO_ARGS = ["seed-demo", "--seed", str(SEED), "--clients", str(CLIENTS),
             "--today", TODAY.isoformat()]
BUCKETS = ("not yet due", "0-30", "31-60", "61-90", "90+")
RATES = {D("20"), D("10"), D("5.5")}


def bucket(document, today=TODAY):
    days = (today - document.due_date).days
    if days <= 0:
        return "not yet due"
    return "0-30" if days <= 30 else "31-60" if days <= 60 else "61-90" if days <= 90 else "90+"


def is_open(document):
    return (document.kind in ("invoice", "deposit")
            and document.status in ("issued", "partially_paid") and document.amount_due > 0)


def snapshot(app):
    """Everything a second run must reproduce, without ids (sequences differ)."""
    with app.app_context():
        session = db.session
        names = dict(session.execute(select(Client.id, Client.name)).all())
        contacts = dict(session.execute(select(Contact.id, Contact.name)).all())
        documents = sorted(
            (names[d.client_id], d.kind, d.number or "", d.status, d.issue_date, d.due_date,
             contacts[d.contact_id], d.total_ht, d.total_vat, d.total_ttc, d.deposits_ttc,
             d.credited_ttc, d.paid_ttc, tuple((line.label, line.quantity, line.unit_price_ht)
                                               for line in d.lines))
            for d in session.scalars(select(Invoice)))
        payments = sorted(
            (names[p.client_id], p.date, p.amount, p.payment_mode, p.reference or "",
             contacts[p.contact_id])
            for p in session.scalars(select(Payment)))
        sellers = sorted(
            (c.name, c.legal_form, c.share_capital, c.rcs_city, c.address_line1, c.postcode,
             c.city, c.phone, c.vat_number, c.payment_terms_days)
            for c in session.scalars(select(Client)))
        session.remove()
    return {"documents": documents, "payments": payments, "sellers": sellers}


@pytest.fixture(scope="module")
def demo(app):
    wipe(app)
    with app.app_context():
        summary = seed_demo(app.appbuilder.sm, db.session, password="Demo-2026", seed=SEED,
                            clients=CLIENTS, today=TODAY)
        db.session.remove()
    return summary


@pytest.fixture
def session(app, demo):
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


def documents_by_client(session):
    grouped = defaultdict(list)
    for document in session.scalars(select(Invoice).order_by(Invoice.id)):
        grouped[document.client_id].append(document)
    return grouped


def test_every_client_has_seller_details_customers_and_a_catalogue(session):
    clients = session.scalars(select(Client)).all()
    assert len(clients) == CLIENTS
    for client in clients:
        assert client.legal_form in ("SARL", "SAS", "EURL", "SASU", "EI")
        assert client.legal_form in client.name
        if client.legal_form == "EI":
            assert client.share_capital is None and client.rcs_city is None
        else:
            assert int(client.share_capital) >= 500 and client.rcs_city
        assert client.address_line1 and client.city and len(client.postcode) == 5
        assert client.phone.startswith(("01 ", "04 ")) and len(client.phone) == 14
        assert tva.is_valid(client.vat_number) and tva.to_siren(client.vat_number) == client.siren
        assert client.payment_terms_days in (30, 45)

        contacts = session.scalars(select(Contact).where(Contact.client_id == client.id)).all()
        assert 6 <= len(contacts) <= 12
        assert any(c.is_company for c in contacts) and any(not c.is_company for c in contacts)
        for contact in contacts:
            assert contact.address_line1 and contact.postcode and contact.city
            if contact.siren:
                assert contact.is_company and siren_number.is_valid(contact.siren)
                assert tva.is_valid(contact.vat_number)
                assert tva.to_siren(contact.vat_number) == contact.siren
            if not contact.is_company:
                assert contact.first_name
            if contact.auxiliary_account:
                assert contact.auxiliary_account.isalnum() and contact.auxiliary_account.isupper()

        categories = session.scalars(
            select(ArticleCategory).where(ArticleCategory.client_id == client.id)).all()
        assert 2 <= len(categories) <= 4 and all(c.account for c in categories)
        articles = session.scalars(select(Article).where(Article.client_id == client.id)).all()
        assert 8 <= len(articles) <= 15
        assert {a.vat_rate for a in articles} <= RATES
        assert all(a.unit_price_ht > 0 and a.category_id for a in articles)
        charges = session.scalars(select(Charge).where(Charge.client_id == client.id)).all()
        assert 1 <= len(charges) <= 3 and "fee" in {c.kind for c in charges}
        assert all(c.percentage is not None for c in charges if c.kind == "discount")

    all_contacts = session.scalars(select(Contact)).all()
    assert any(c.siren for c in all_contacts)
    assert any(c.auxiliary_account for c in all_contacts)
    assert any(not c.auxiliary_account for c in all_contacts)
    kinds = Counter(c.kind for c in session.scalars(select(Charge)))
    assert kinds["discount"] and kinds["fee"]


def test_every_client_has_a_year_of_documents(session):
    grouped = documents_by_client(session)
    assert set(grouped) == set(session.scalars(select(Client.id)))
    for client_id, documents in grouped.items():
        invoices = [d for d in documents if d.kind == "invoice" and d.status != "draft"]
        assert 8 <= len(invoices) <= 30, client_id
        assert any(d.status == "draft" for d in documents)
        for document in documents:
            if document.status != "draft":
                assert TODAY - dt.timedelta(days=366) <= document.issue_date <= TODAY
                assert document.due_date >= document.issue_date
                assert document.issued_at is not None
    everything = [d for documents in grouped.values() for d in documents]
    kinds = Counter(d.kind for d in everything)
    assert kinds["credit_note"] and kinds["deposit"]
    statuses = Counter(d.status for d in everything if d.kind == "invoice")
    assert statuses["paid"] > statuses["partially_paid"] > 0 and statuses["issued"] > 0
    # Credit notes: some total (the invoice is settled by them alone), some partial.
    corrected = {}
    for note in (d for d in everything if d.kind == "credit_note"):
        corrected.setdefault(note.corrects_invoice_id, []).append(note)
    by_id = {d.id: d for d in everything}
    totals = [by_id[i].credited_ttc == by_id[i].total_ttc for i in corrected]
    assert any(totals) and not all(totals)
    # Deposits deducted from final invoices, of the same customer, issued before them.
    deductions = session.scalars(select(InvoiceDeposit)).all()
    assert deductions
    for deduction in deductions:
        final, deposit = by_id[deduction.invoice_id], by_id[deduction.deposit_id]
        assert final.kind == "invoice" and deposit.kind == "deposit"
        assert final.contact_id == deposit.contact_id
        if final.status != "draft":
            assert deposit.issue_date <= final.issue_date
            assert final.deposits_ttc == deposit.total_ttc


def test_numbering_is_continuous_per_client_kind_and_year_and_follows_the_dates(session):
    sequences = defaultdict(list)
    for document in session.scalars(select(Invoice).where(Invoice.status != "draft")):
        sequences[(document.client_id, document.kind, document.issue_date.year)].append(document)
    assert {year for _, _, year in sequences} == {2025, 2026}
    for (_client_id, kind, year), documents in sequences.items():
        documents.sort(key=lambda d: d.number)
        assert [d.number for d in documents] == [
            format_number(kind, year, n) for n in range(1, len(documents) + 1)]
        dates = [d.issue_date for d in documents]
        assert dates == sorted(dates)


def test_stored_totals_are_those_of_compute_totals(session):
    clients = {c.id: c for c in session.scalars(select(Client))}
    for document in session.scalars(select(Invoice)):
        result = compute_totals(
            [TotalsLine(quantity=line.quantity, unit_price_ht=line.unit_price_ht,
                        vat_rate=line.vat_rate, discount_pct=line.discount_pct,
                        nature=line.nature) for line in document.lines],
            [TotalsCharge(kind=charge.kind, vat_rate=charge.vat_rate, amount=charge.amount,
                          percentage=charge.percentage) for charge in document.charges],
            multi_vat=clients[document.client_id].multi_vat)
        assert (document.total_ht, document.total_vat, document.total_ttc) == (
            result.total_ht, result.total_vat, result.total_ttc), document.number
        assert tuple(line.total_ht for line in document.lines) == result.lines_ht
        assert tuple(charge.total_ht for charge in document.charges) == result.charges_ht
        assert document.total_ttc > 0


def test_single_vat_clients_never_mix_rates(session):
    single = set(session.scalars(select(Client.id).where(Client.multi_vat.is_(False))))
    multi = set(session.scalars(select(Client.id).where(Client.multi_vat.is_(True))))
    assert single and multi
    mixed_somewhere = False
    for document in session.scalars(select(Invoice)):
        rates = {line.vat_rate for line in document.lines} | {
            charge.vat_rate for charge in document.charges}
        assert rates <= RATES
        if document.client_id in single:
            assert len(rates) == 1, document.number
        else:
            mixed_somewhere |= len(rates) > 1
    assert mixed_somewhere


def test_payments_credits_and_deposits_settle_within_what_is_due(session):
    documents = {d.id: d for d in session.scalars(select(Invoice))}
    paid = defaultdict(D)
    for payment in session.scalars(select(Payment)):
        allocated = sum((a.amount for a in payment.allocations), D("0"))
        assert payment.allocations and 0 < allocated <= payment.amount
        assert payment.date <= TODAY
        for allocation in payment.allocations:
            document = documents[allocation.invoice_id]
            assert allocation.amount > 0 and document.kind in ("invoice", "deposit")
            assert document.contact_id == payment.contact_id
            assert document.issue_date <= payment.date
            paid[document.id] += allocation.amount
    assert session.scalars(select(PaymentAllocation)).first() is not None
    credited = defaultdict(D)
    for note in documents.values():
        if note.kind == "credit_note" and note.status != "draft":
            credited[note.corrects_invoice_id] += note.total_ttc
    modes = Counter(p.payment_mode for p in session.scalars(select(Payment)))
    assert modes["Virement"] and modes["Chèque"]

    for document in documents.values():
        assert document.paid_ttc == paid.get(document.id, D("0.00")), document.number
        assert document.credited_ttc == credited.get(document.id, D("0.00")), document.number
        if document.kind in ("invoice", "deposit"):
            assert document.amount_due >= 0, document.number
            if document.status == "paid":
                assert document.amount_due == 0
            elif document.status in ("issued", "partially_paid"):
                assert document.amount_due > 0
                assert (document.status == "partially_paid") == (
                    document.paid_ttc > 0 or document.credited_ttc > 0)
        # Several full payments of one customer on one day are one payment.
    assert any(len(p.allocations) > 1 for p in session.scalars(select(Payment)))


def test_the_aged_balance_has_every_bucket(session):
    open_documents = [d for d in session.scalars(select(Invoice)) if is_open(d)]
    buckets = Counter(bucket(d) for d in open_documents)
    assert set(buckets) == set(BUCKETS), buckets
    # Unpaid invoices are overdue by 120 days at most; older ones were settled.
    assert all((TODAY - d.due_date).days <= 120 for d in open_documents)


def test_the_client_user_dossier_is_rich(session, demo):
    user = session.scalars(select(AppUser).where(AppUser.username == "client")).one()
    client = session.get(Client, user.client_id)
    assert client.name == demo["client_dossier"]
    documents = documents_by_client(session)[client.id]
    kinds = Counter((d.kind, d.status) for d in documents)
    assert sum(n for (kind, status), n in kinds.items()
               if kind == "invoice" and status != "draft") >= 20
    assert kinds[("invoice", "draft")] >= 2
    assert kinds[("invoice", "partially_paid")] >= 1
    notes = [d for d in documents if d.kind == "credit_note"]
    by_id = {d.id: d for d in documents}
    assert {by_id[n.corrects_invoice_id].credited_ttc == by_id[n.corrects_invoice_id].total_ttc
            for n in notes} == {True, False}
    assert sum(1 for d in documents if d.kind == "deposit") == 2
    assert any(d.deposits_ttc > 0 and d.status != "draft" for d in documents)
    assert any(d.deposits_ttc > 0 and d.status == "draft" for d in documents)
    assert {bucket(d) for d in documents if is_open(d)} == set(BUCKETS)
    assert len(session.scalars(select(Contact).where(Contact.client_id == client.id)).all()) == 12
    assert len(session.scalars(select(Charge).where(Charge.client_id == client.id)).all()) >= 2


def test_the_sheet_figures_of_the_client_user_dossier_are_filled(session):
    """The client sheet's reporting (app.invoicing.reporting) finds something in
    every month, customer and aged balance bucket of the demo dossier."""
    reporting = pytest.importorskip("app.invoicing.reporting")
    user = session.scalars(select(AppUser).where(AppUser.username == "client")).one()
    aged = reporting.aged_balance(session, user.client_id, TODAY)
    assert all(aged.buckets[key] > 0 for key in reporting.BUCKETS), aged.buckets
    months = reporting.monthly_activity(session, user.client_id, TODAY)
    assert sum(1 for month in months if month.documents) >= 9
    assert len(reporting.top_customers(session, user.client_id, TODAY)) == 5


def test_demo_clients_with_a_dossier_have_a_plan_where_every_account_resolves(session, demo):
    """Each demo template is a firm copy of the PCG; every article, charge and
    customer of a client with a plan gets a « compte utilisé » without error."""
    from app.models import AccountingPlan, Article, Charge, Client, Contact
    from app.plans import resolution

    assert demo["invoicing"]["plans"]["templates"] == 4
    planned = session.scalars(select(AccountingPlan).where(
        AccountingPlan.client_id.is_not(None))).all()
    with_dossier = session.scalars(select(Client).where(Client.dossier_code.is_not(None))).all()
    assert {plan.client_id for plan in planned} >= {client.id for client in with_dossier}
    gettext = lambda msgid, **params: msgid % params if params else msgid  # noqa: E731
    checked = 0
    for plan_row in planned:
        plan = resolution.plan_for_resolver(session, plan_row)
        for model, explain in ((Article, resolution.explain_articles),
                               (Charge, resolution.explain_charges),
                               (Contact, resolution.explain_contacts)):
            rows = session.scalars(select(model).where(
                model.client_id == plan_row.client_id)).all()
            for row_id, explanation in explain(session, plan, rows, gettext).items():
                assert explanation.ok, (plan_row.name, model.__name__, row_id, explanation.error)
                checked += 1
    assert checked > 300


def test_demo_clients_with_a_plan_and_a_dossier_export_cleanly(session, demo):
    """The demo is exportable as it stands: nothing blocks a client that has its
    plan and its dossier number, and every entry of the year balances (the
    generator checks each one) and passes the independent FEC checker."""
    import datetime as dt
    import io

    from app.accounting.fec import write_fec
    from app.exports.batches import client_entries
    from app.exports.checks import export_blockers
    from app.exports.reading import Selection
    from app.models import AccountingPlan, Client
    from fec_checker import check_fec

    gettext = lambda msgid, **params: msgid % params if params else msgid  # noqa: E731
    ready = session.scalars(select(Client).join(
        AccountingPlan, AccountingPlan.client_id == Client.id)
        .where(Client.dossier_code.is_not(None))).all()
    without_dossier = session.scalars(select(Client).join(
        AccountingPlan, AccountingPlan.client_id == Client.id)
        .where(Client.dossier_code.is_(None))).all()
    assert ready and without_dossier
    for client in ready:
        assert export_blockers(session, client, gettext) == [], client.name
    for client in sorted(ready, key=lambda client: client.id):
        _generator, entries = client_entries(
            session, client, Selection(client.id, dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
            gettext=gettext)
        out = io.BytesIO()
        write_fec(entries, out, valid_date=TODAY)
        issued = session.scalar(select(func.count(Invoice.id)).where(
            Invoice.client_id == client.id, Invoice.number.is_not(None),
            Invoice.total_ttc != 0))
        # each issued document gives one entry of at least a customer and a sales line
        assert len(check_fec(out.getvalue())) >= 2 * issued, client.name
    blockers = export_blockers(session, without_dossier[0], gettext)
    assert [blocker.section for blocker in blockers] == ["dossier"]


def test_the_cli_reloads_the_same_demo_and_if_empty_leaves_it_alone(app, demo):
    """seed-demo with the same seed and date gives the same documents and amounts;
    --if-empty then leaves the database as it is."""
    first = snapshot(app)
    assert len(first["documents"]) > 12 * CLIENTS and len(first["payments"]) > 8 * CLIENTS

    wipe(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=DEMO_ARGS + ["--if-empty"])
    assert result.exit_code == 0, result.output
    assert f"2 cabinets, {CLIENTS} clients" in result.output
    assert snapshot(app) == first

    again = runner.invoke(args=DEMO_ARGS + ["--if-empty"])
    assert again.exit_code == 0 and "Base déjà initialisée" in again.output
    assert snapshot(app) == first


def test_seed_demo_without_invoicing_leaves_the_clients_bare(app):
    wipe(app)
    with app.app_context():
        summary = seed_demo(app.appbuilder.sm, db.session, password="Demo-2026", seed=SEED,
                            clients=4, today=TODAY, invoicing=False)
        assert summary["invoicing"] == {}
        assert db.session.scalars(select(Invoice)).first() is None
        assert db.session.scalars(select(Contact)).first() is None
        db.session.remove()
    wipe(app)

