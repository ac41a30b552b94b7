"""Property-based tests of documents through app.invoicing.documents and the
database: whatever the documents, credit notes and payments, the amounts hold.

Each example runs in one transaction rolled back at its end."""
import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.invoicing import documents as docs
from app.invoicing.totals import round_cents
from app.models import Client, Contact, Invoice, InvoiceLine, Payment, PaymentAllocation

TODAY = dt.date(2026, 11, 27)
RATES = [D("20"), D("10"), D("5.5"), D("2.1"), D("0")]
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

cents = st.integers(min_value=0, max_value=500_000).map(lambda value: D(value) / 100)
quantities = st.integers(min_value=1, max_value=50_000).map(lambda value: D(value) / 1000)
lines = st.builds(
    lambda quantity, price, discount, rate, nature: docs.LineInput(
        label="Ligne", quantity=quantity, unit_price_ht=price, discount_pct=discount,
        vat_rate=rate, nature=nature),
    quantities, cents, st.sampled_from([D("0"), D("5"), D("12.5"), D("100")]),
    st.sampled_from(RATES), st.sampled_from(["goods", "services"]))


@pytest.fixture
def space(app, world):
    with app.app_context():
        client = db.session.get(Client, world.a1)
        client.multi_vat = True
        contact = Contact(client_id=client.id, name="Client aléatoire")
        db.session.add(contact)
        db.session.commit()
        yield client, contact.id
        db.session.rollback()


def _issue(client, contact_id, document_lines, kind="invoice", **extra):
    document = docs.save_draft(db.session, client, docs.DraftInput(
        kind=kind, contact_id=contact_id, lines=document_lines, issue_date=TODAY, **extra))
    docs.issue(db.session, client, document, TODAY)
    return document


@SETTINGS
@given(document_lines=st.lists(lines, min_size=1, max_size=8))
def test_stored_totals_are_consistent(space, document_lines):
    client, contact_id = space
    try:
        document = _issue(client, contact_id, document_lines)
        db.session.flush()
        stored = db.session.get(Invoice, document.id)
        assert stored.total_ttc == stored.total_ht + stored.total_vat
        # In line order: zipped with the lines below (PostgreSQL returns rows in any order).
        line_totals = db.session.scalars(select(InvoiceLine.total_ht).where(
            InvoiceLine.invoice_id == document.id).order_by(InvoiceLine.position)).all()
        assert stored.total_ht == sum(line_totals, D("0"))
        # VAT per rate on the sum of the lines of that rate, half-up to the cent.
        bases = {}
        for line, total in zip(document_lines, line_totals):
            bases[line.vat_rate] = bases.get(line.vat_rate, D("0")) + total
        assert stored.total_vat == sum((round_cents(base * rate / 100)
                                        for rate, base in bases.items()), D("0"))
        assert stored.amount_due == stored.total_ttc
    finally:
        db.session.rollback()


@SETTINGS
@given(invoice_lines=st.lists(lines, min_size=1, max_size=4),
       attempts=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=6))
def test_credit_notes_never_exceed_what_they_correct(space, invoice_lines, attempts):
    """Each attempt credits a share (in %) of the invoice's first line: accepted
    or refused, the sum of issued credit notes never passes the invoice's TTC."""
    client, contact_id = space
    try:
        invoice = _issue(client, contact_id, invoice_lines)
        base = invoice_lines[0]
        for percent in attempts:
            quantity = (base.quantity * percent / 100).quantize(D("0.001"))
            if quantity == 0:
                continue
            line = docs.LineInput(label="Avoir", quantity=quantity,
                                  unit_price_ht=base.unit_price_ht,
                                  discount_pct=base.discount_pct, vat_rate=base.vat_rate,
                                  nature=base.nature)
            try:
                with db.session.begin_nested():
                    _issue(client, contact_id, [line], kind="credit_note",
                           corrects_invoice_id=invoice.id)
            except docs.DocumentError:
                pass
            issued = db.session.scalar(select(func.coalesce(func.sum(Invoice.total_ttc), 0))
                                       .where(Invoice.corrects_invoice_id == invoice.id,
                                              Invoice.status != "draft"))
            assert D(issued) == invoice.credited_ttc
            assert invoice.credited_ttc <= invoice.total_ttc - invoice.deposits_ttc
            assert invoice.amount_due >= 0
    finally:
        db.session.rollback()


@SETTINGS
@given(invoice_lines=st.lists(st.lists(lines, min_size=1, max_size=3), min_size=1,
                              max_size=4),
       payments=st.lists(st.tuples(cents, st.lists(cents, min_size=1, max_size=4)),
                         min_size=1, max_size=5))
def test_allocations_never_exceed_amounts(space, invoice_lines, payments):
    client, contact_id = space
    try:
        invoices = [_issue(client, contact_id, document_lines)
                    for document_lines in invoice_lines]
        for amount, shares in payments:
            allocations = [docs.AllocationInput(invoice.id, share)
                           for invoice, share in zip(invoices, shares)]
            try:
                with db.session.begin_nested():
                    docs.record_payment(db.session, client, docs.PaymentInput(
                        contact_id=contact_id, date=TODAY, amount=amount + D("0.01"),
                        payment_mode="Virement", allocations=allocations), TODAY)
            except docs.DocumentError:
                pass
        for payment in db.session.scalars(select(Payment)):
            assert sum((item.amount for item in payment.allocations), D("0")) <= payment.amount
        for invoice in invoices:
            allocated = db.session.scalar(
                select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
                .where(PaymentAllocation.invoice_id == invoice.id))
            assert D(allocated) == invoice.paid_ttc
            assert 0 <= invoice.paid_ttc <= invoice.total_ttc
            expected = ("paid" if invoice.amount_due <= 0 else
                        "partially_paid" if invoice.paid_ttc > 0 else "issued")
            assert invoice.status == expected
    finally:
        db.session.rollback()
