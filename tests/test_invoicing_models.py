"""Invoicing models (app/models/invoicing.py) and document numbering
(app/invoicing/numbering.py), on SQLite and PostgreSQL."""
import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.invoicing.numbering import next_number
from app.invoicing.totals import Charge as ChargeInput
from app.invoicing.totals import Line, compute_totals
from app.models import (
    Article, ArticleCategory, Charge, Contact, DocumentSequence, Invoice, InvoiceCharge,
    InvoiceLine, Payment, PaymentAllocation,
)
from app.models.mixins import ClientOwned


def _draft(session, client_id, contact_id, **values):
    invoice = Invoice(client_id=client_id, contact_id=contact_id, **values)
    session.add(invoice)
    session.flush()
    return invoice


def test_every_invoicing_model_is_client_owned():
    for model in (Contact, ArticleCategory, Article, Charge, Invoice, InvoiceLine, InvoiceCharge,
                  Payment, PaymentAllocation, DocumentSequence):
        assert issubclass(model, ClientOwned), model


def test_documents_round_trip_with_exact_decimals(app, world):
    with app.app_context():
        session = db.session
        contact = Contact(client_id=world.a1, name="Boulangerie Martin", is_company=True,
                          address_line1="12 rue des Lilas", postcode="69003", city="Lyon",
                          email="compta@martin.fr", siren="732829320",
                          vat_number="FR44732829320", auxiliary_account="MARTIN")
        category = ArticleCategory(client_id=world.a1, name="Pâtisserie", account="701100")
        session.add_all([contact, category])
        session.flush()
        article = Article(client_id=world.a1, reference="CROI-01", label="Croissant",
                          nature="goods", unit_price_ht=D("1.10"), vat_rate=D("5.5"),
                          category_id=category.id)
        port = Charge(client_id=world.a1, kind="fee", label="Frais de livraison",
                      amount=D("15.00"), vat_rate=D("20"), account="708500")
        session.add_all([article, port])
        session.flush()

        inputs = [Line(quantity=D("120"), unit_price_ht=D("1.10"), vat_rate=D("5.5"),
                       nature="goods"),
                  Line(quantity=D("2.5"), unit_price_ht=D("40.00"), discount_pct=D("10"),
                       vat_rate=D("20"), nature="services")]
        charge_inputs = [ChargeInput(kind="fee", amount=D("15.00"), vat_rate=D("20"))]
        totals = compute_totals(inputs, charge_inputs, multi_vat=True)

        invoice = Invoice(client_id=world.a1, contact_id=contact.id, kind="invoice",
                          issue_date=dt.date(2026, 11, 27), due_date=dt.date(2026, 12, 27),
                          total_ht=totals.total_ht, total_vat=totals.total_vat,
                          total_ttc=totals.total_ttc)
        invoice.lines = [
            InvoiceLine(client_id=world.a1, position=1, article_id=article.id,
                        label="Croissant", quantity=D("120"), unit_price_ht=D("1.10"),
                        vat_rate=D("5.5"), nature="goods", total_ht=totals.lines_ht[0]),
            InvoiceLine(client_id=world.a1, position=2, label="Atelier viennoiserie (h)",
                        quantity=D("2.5"), unit_price_ht=D("40.00"), discount_pct=D("10"),
                        vat_rate=D("20"), nature="services", total_ht=totals.lines_ht[1]),
        ]
        invoice.charges = [InvoiceCharge(client_id=world.a1, position=1, charge_id=port.id,
                                         kind="fee", label="Frais de livraison",
                                         amount=D("15.00"), vat_rate=D("20"),
                                         total_ht=totals.charges_ht[0])]
        session.add(invoice)
        session.flush()
        invoice.number = next_number(session, world.a1, "invoice", 2026)
        invoice.status = "issued"
        invoice.issued_at = dt.datetime(2026, 11, 27, 10, 0)

        payment = Payment(client_id=world.a1, contact_id=contact.id, date=dt.date(2026, 12, 1),
                          amount=D("100.00"), payment_mode="Virement")
        payment.allocations = [PaymentAllocation(client_id=world.a1, invoice_id=invoice.id,
                                                 amount=D("100.00"))]
        session.add(payment)
        session.commit()
        invoice_id = invoice.id
        session.remove()

        loaded = db.session.get(Invoice, invoice_id)
        assert loaded.number == "F-2026-00001"
        assert loaded.contact.display_name == "Boulangerie Martin"
        # 120 × 1,10 = 132,00 (5,5 %) ; 2,5 × 40 − 10 % = 90,00 + 15,00 (20 %)
        assert [line.total_ht for line in loaded.lines] == [D("132.00"), D("90.00")]
        assert loaded.lines[1].quantity == D("2.500")
        assert loaded.lines[0].article.category.name == "Pâtisserie"
        assert loaded.charges[0].charge.account == "708500"
        assert (loaded.total_ht, loaded.total_vat, loaded.total_ttc) == (
            D("237.00"), D("28.26"), D("265.26"))  # 7,26 + 21,00 of VAT
        for value in (loaded.total_ht, loaded.total_vat, loaded.total_ttc,
                      loaded.lines[0].unit_price_ht, loaded.lines[0].vat_rate):
            assert isinstance(value, D) and value.as_tuple().exponent == -2
        allocation = db.session.scalars(select(PaymentAllocation)).one()
        assert allocation.invoice.number == "F-2026-00001"
        assert allocation.payment.amount == D("100.00")


def test_database_refuses_inconsistent_documents(app, world):
    with app.app_context():
        session = db.session
        mine = Contact(client_id=world.a1, name="Client A1")
        other = Contact(client_id=world.a2, name="Client A2")
        session.add_all([mine, other])
        session.commit()
        mine_id, other_id = mine.id, other.id

        refused = [
            # an invoice of a1 for a customer of a2
            dict(contact_id=other_id),
            # issued without a number
            dict(contact_id=mine_id, status="issued", issue_date=dt.date(2026, 1, 1)),
            # TTC that is not HT + VAT
            dict(contact_id=mine_id, total_ht=D("10.00"), total_vat=D("2.00"),
                 total_ttc=D("12.01")),
            dict(contact_id=mine_id, kind="quote"),
            dict(contact_id=mine_id, total_ht=D("-1.00"), total_ttc=D("-1.00")),
        ]
        for values in refused:
            with pytest.raises(IntegrityError):
                _draft(session, world.a1, **values)
            session.rollback()

        invoice = _draft(session, world.a1, mine_id)
        session.add(Invoice(client_id=world.a1, contact_id=mine_id, kind="credit_note",
                            corrects_invoice_id=invoice.id))
        session.flush()
        # only a credit note corrects an invoice
        with pytest.raises(IntegrityError):
            _draft(session, world.a1, mine_id, corrects_invoice_id=invoice.id)
        session.rollback()

        invoice = _draft(session, world.a1, mine_id)
        for line in (dict(quantity=D("-1")), dict(discount_pct=D("120")),
                     dict(nature="food"), dict(vat_rate=D("100"))):
            values = dict(client_id=world.a1, invoice_id=invoice.id, position=1, label="x",
                          quantity=D("1"), unit_price_ht=D("1.00"), vat_rate=D("20"))
            values.update(line)
            with pytest.raises(IntegrityError):
                with session.begin_nested():
                    session.add(InvoiceLine(**values))
        # a line of a2 cannot hang on an invoice of a1
        with pytest.raises(IntegrityError):
            with session.begin_nested():
                session.add(InvoiceLine(client_id=world.a2, invoice_id=invoice.id, position=1,
                                        label="x", quantity=D("1"), unit_price_ht=D("1.00"),
                                        vat_rate=D("20")))
        # a charge has an amount or a percentage, not both
        with pytest.raises(IntegrityError):
            with session.begin_nested():
                session.add(Charge(client_id=world.a1, kind="fee", label="x",
                                   amount=D("1.00"), percentage=D("1"), vat_rate=D("20")))
        session.rollback()


def test_a_number_is_unique_per_client_and_kind(app, world):
    with app.app_context():
        session = db.session
        a1 = Contact(client_id=world.a1, name="X")
        a2 = Contact(client_id=world.a2, name="Y")
        session.add_all([a1, a2])
        session.flush()
        issued = dict(status="issued", number="F-2026-00001", issue_date=dt.date(2026, 1, 2))
        _draft(session, world.a1, a1.id, **issued)
        _draft(session, world.a2, a2.id, **issued)  # another client: allowed
        _draft(session, world.a1, a1.id, kind="credit_note", **issued)  # another kind
        with pytest.raises(IntegrityError):
            _draft(session, world.a1, a1.id, **issued)
        session.rollback()


def test_numbering_is_continuous_per_client_kind_and_year(app, world):
    with app.app_context():
        session = db.session
        assert next_number(session, world.a1, "invoice", 2026) == "F-2026-00001"
        assert next_number(session, world.a1, "invoice", 2026) == "F-2026-00002"
        assert next_number(session, world.a1, "credit_note", 2026) == "AV-2026-00001"
        assert next_number(session, world.a1, "deposit", 2026) == "AC-2026-00001"
        assert next_number(session, world.a2, "invoice", 2026) == "F-2026-00001"
        assert next_number(session, world.a1, "invoice", 2027) == "F-2027-00001"
        session.commit()
        assert next_number(session, world.a1, "invoice", 2026) == "F-2026-00003"
        session.commit()
        rows = session.execute(
            select(DocumentSequence.client_id, DocumentSequence.kind, DocumentSequence.year,
                   DocumentSequence.last_number).order_by(DocumentSequence.id)).all()
        assert rows == [(world.a1, "invoice", 2026, 3), (world.a1, "credit_note", 2026, 1),
                        (world.a1, "deposit", 2026, 1), (world.a2, "invoice", 2026, 1),
                        (world.a1, "invoice", 2027, 1)]
        with pytest.raises(ValueError, match="Type de document inconnu"):
            next_number(session, world.a1, "quote", 2026)


def test_concurrent_numbering_never_gives_the_same_number(app, world):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises every writer)")
    per_thread, threads_count = 15, 4
    start = threading.Barrier(threads_count)
    numbers, errors = [], []

    def issue_many():
        try:
            with app.app_context():
                start.wait()
                for _ in range(per_thread):
                    number = next_number(db.session, world.a1, "invoice", 2026)
                    db.session.commit()
                    numbers.append(number)
                db.session.remove()
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=issue_many) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    expected = [f"F-2026-{n:05d}" for n in range(1, per_thread * threads_count + 1)]
    assert sorted(numbers) == expected
