"""The life of documents (app/invoicing/documents.py): drafts, issue, credit
notes, deposits, payments and immutability, on SQLite and PostgreSQL."""
import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.invoicing import documents as docs
from app.invoicing.immutability import ImmutableDocument
from app.models import Article, Charge, Client, Contact, Invoice, InvoiceLine, Payment

TODAY = dt.date(2026, 11, 27)


def line(label="Prestation", quantity="1", price="100.00", rate="20", **extra):
    return docs.LineInput(label=label, quantity=D(quantity), unit_price_ht=D(price),
                          vat_rate=D(rate), **extra)


@pytest.fixture
def space(app, world):
    """Client a1 with two customers, inside an app context."""
    with app.app_context():
        client = db.session.get(Client, world.a1)
        client.multi_vat = True
        martin = Contact(client_id=client.id, name="Boulangerie Martin")
        durand = Contact(client_id=client.id, name="Durand", first_name="Léa",
                         is_company=False)
        db.session.add_all([martin, durand])
        db.session.commit()
        yield type("Space", (), {"client": client, "martin": martin, "durand": durand,
                                 "world": world})
        db.session.rollback()


def draft(space, *lines, kind="invoice", contact=None, **extra):
    contact = contact or space.martin
    return docs.save_draft(db.session, space.client, docs.DraftInput(
        kind=kind, contact_id=contact.id, lines=list(lines) or [line()], **extra))


def issued(space, *lines, day=TODAY, **extra):
    document = draft(space, *lines, issue_date=day, **extra)
    docs.issue(db.session, space.client, document, TODAY)
    db.session.commit()
    return document


def test_a_draft_has_exact_totals_and_no_number(space):
    document = draft(space, line(quantity="2", price="100.00", rate="20"),
                     line(label="Livre", quantity="1", price="50.00", rate="5.5",
                          nature="goods"))
    assert (document.total_ht, document.total_vat, document.total_ttc) == (
        D("250.00"), D("42.75"), D("292.75"))
    assert document.number is None and document.status == "draft"
    assert [item.total_ht for item in document.lines] == [D("200.00"), D("50.00")]


def test_a_single_vat_client_cannot_mix_rates(space):
    space.client.multi_vat = False
    with pytest.raises(docs.DocumentError, match="un seul taux de TVA"):
        draft(space, line(rate="20"), line(rate="10"))


def test_issue_numbers_per_kind_and_sets_the_due_date(space):
    space.client.payment_terms_days = 45
    first = issued(space)
    second = issued(space)
    deposit = issued(space, kind="deposit")
    assert (first.number, second.number, deposit.number) == (
        "F-2026-00001", "F-2026-00002", "AC-2026-00001")
    assert first.due_date == TODAY + dt.timedelta(days=45)
    assert first.status == "issued" and first.issued_at is not None


def test_an_issued_document_refuses_every_change(space):
    document = issued(space)
    with pytest.raises(docs.DocumentError, match="avoir"):
        docs.save_draft(db.session, space.client, docs.DraftInput(
            kind="invoice", contact_id=space.martin.id, lines=[line()]), document)
    with pytest.raises(docs.DocumentError):
        docs.delete_draft(db.session, document)

    # Whatever the code path, the flush refuses it and nothing is written.
    document.total_ht = D("1.00")
    with pytest.raises(ImmutableDocument):
        db.session.flush()
    db.session.rollback()
    document.lines[0].label = "Autre chose"
    with pytest.raises(ImmutableDocument):
        db.session.flush()
    db.session.rollback()
    db.session.add(InvoiceLine(client_id=space.client.id, invoice_id=document.id, position=9,
                               label="Ajout", quantity=D("1"), unit_price_ht=D("1.00"),
                               vat_rate=D("20"), total_ht=D("1.00")))
    with pytest.raises(ImmutableDocument):
        db.session.flush()
    db.session.rollback()
    db.session.delete(document)
    with pytest.raises(ImmutableDocument):
        db.session.flush()
    db.session.rollback()
    reloaded = db.session.get(Invoice, document.id)
    assert (reloaded.total_ht, reloaded.lines[0].label, len(reloaded.lines)) == (
        D("100.00"), "Prestation", 1)


def test_issue_refuses_a_future_date_and_keeps_chronology(space):
    issued(space, day=TODAY)
    with pytest.raises(docs.DocumentError, match="future"):
        docs.issue(db.session, space.client,
                   draft(space, issue_date=TODAY + dt.timedelta(days=1)), TODAY)
    db.session.rollback()
    with pytest.raises(docs.DocumentError, match="ordre des dates"):
        docs.issue(db.session, space.client,
                   draft(space, issue_date=TODAY - dt.timedelta(days=3)), TODAY)


def test_credit_notes_never_exceed_the_invoice(space):
    invoice = issued(space, line(price="100.00"))          # 120,00 TTC
    partial = issued(space, line(price="30.00"), kind="credit_note",
                     corrects_invoice_id=invoice.id)      # 36,00 TTC
    assert partial.number == "AV-2026-00001"
    assert invoice.credited_ttc == D("36.00") and invoice.amount_due == D("84.00")
    assert invoice.status == "partially_paid"

    with pytest.raises(docs.DocumentError, match="reste à créditer"):
        draft(space, line(price="71.00"), kind="credit_note", corrects_invoice_id=invoice.id)
    db.session.rollback()
    rest = issued(space, line(price="70.00"), kind="credit_note",
                  corrects_invoice_id=invoice.id)
    assert rest.total_ttc == D("84.00")
    assert invoice.amount_due == D("0.00") and invoice.status == "paid"
    # Settled by credit notes alone: shown as cancelled, not as paid.
    assert invoice.display_status == "credited"
    assert (rest.balance_due, invoice.balance_due) == (None, D("0.00"))
    # A credit note is never due, hence never late.
    rest.due_date = TODAY - dt.timedelta(days=40)
    assert not rest.is_overdue(TODAY) and rest.display_status == "issued"
    db.session.rollback()


def test_an_unpaid_document_past_its_due_date_shows_overdue(space):
    late = issued(space, line(price="10.00"), day=TODAY)
    assert late.display_status == "issued"
    late.due_date = TODAY - dt.timedelta(days=1)   # in memory only, never flushed
    assert late.display_status == "overdue" and late.is_overdue(TODAY)
    db.session.rollback()


def test_a_credit_note_checks_again_when_it_is_issued(space):
    """Two drafts may each fit; the second to be issued must not."""
    invoice = issued(space, line(price="100.00"))
    first = draft(space, line(price="60.00"), kind="credit_note",
                  corrects_invoice_id=invoice.id, issue_date=TODAY)
    second = draft(space, line(price="60.00"), kind="credit_note",
                   corrects_invoice_id=invoice.id, issue_date=TODAY)
    docs.issue(db.session, space.client, first, TODAY)
    with pytest.raises(docs.DocumentError, match="reste à créditer"):
        docs.issue(db.session, space.client, second, TODAY)


def test_a_credit_note_goes_to_the_invoice_customer(space):
    invoice = issued(space)
    with pytest.raises(docs.DocumentError, match="adressé au client"):
        draft(space, kind="credit_note", contact=space.durand, corrects_invoice_id=invoice.id)
    with pytest.raises(docs.DocumentError, match="corrige une facture"):
        draft(space, kind="credit_note")


def test_a_final_invoice_deducts_deposits_of_the_same_customer(space):
    deposit = issued(space, line(price="300.00"), kind="deposit")      # 360,00 TTC
    other = issued(space, line(price="50.00"), kind="deposit", contact=space.durand)
    assert [item.id for item in docs.deductible_deposits(
        db.session, space.client.id, space.martin.id)] == [deposit.id]

    with pytest.raises(docs.DocumentError, match="autre client"):
        draft(space, line(price="1000.00"), deposit_ids=[other.id])
    db.session.rollback()
    final = issued(space, line(price="1000.00"), deposit_ids=[deposit.id])
    assert final.total_ttc == D("1200.00") and final.deposits_ttc == D("360.00")
    assert final.amount_due == D("840.00")
    assert docs.deductible_deposits(db.session, space.client.id, space.martin.id) == []
    with pytest.raises(docs.DocumentError, match="déjà déduit"):
        draft(space, line(price="1000.00"), deposit_ids=[deposit.id])


def test_payments_allocate_partially_and_never_beyond_what_is_due(space):
    first = issued(space, line(price="100.00"))     # 120,00
    second = issued(space, line(price="50.00"))     # 60,00
    payment = docs.record_payment(db.session, space.client, docs.PaymentInput(
        contact_id=space.martin.id, date=TODAY, amount=D("150.00"), payment_mode="Virement",
        allocations=[docs.AllocationInput(first.id, D("120.00")),
                     docs.AllocationInput(second.id, D("30.00"))]), TODAY)
    db.session.commit()
    assert (first.status, second.status) == ("paid", "partially_paid")
    assert second.amount_due == D("30.00")
    assert docs.open_documents(db.session, space.client.id, space.martin.id) == [second]

    with pytest.raises(docs.DocumentError, match="restant dû"):
        docs.record_payment(db.session, space.client, docs.PaymentInput(
            contact_id=space.martin.id, date=TODAY, amount=D("40.00"), payment_mode="Chèque",
            allocations=[docs.AllocationInput(second.id, D("30.01"))]), TODAY)
    db.session.rollback()
    with pytest.raises(docs.DocumentError, match="dépassent le montant"):
        docs.record_payment(db.session, space.client, docs.PaymentInput(
            contact_id=space.martin.id, date=TODAY, amount=D("10.00"), payment_mode="Chèque",
            allocations=[docs.AllocationInput(second.id, D("20.00"))]), TODAY)
    db.session.rollback()

    docs.delete_payment(db.session, db.session.get(Payment, payment.id))
    db.session.commit()
    assert (first.status, first.paid_ttc, second.status) == ("issued", D("0.00"), "issued")


def test_a_payment_only_settles_its_customer_documents(space):
    invoice = issued(space, contact=space.durand)
    with pytest.raises(docs.DocumentError, match="pas adressé à ce client"):
        docs.record_payment(db.session, space.client, docs.PaymentInput(
            contact_id=space.martin.id, date=TODAY, amount=D("10.00"), payment_mode="Espèces",
            allocations=[docs.AllocationInput(invoice.id, D("10.00"))]), TODAY)


def test_another_client_ids_are_unknown(space, app):
    """Ids of client a2's rows behave as missing ones in client a1's dossier."""
    other_contact = Contact(client_id=space.world.a2, name="Ailleurs")
    other_article = Article(client_id=space.world.a2, label="Autre", unit_price_ht=D("1"),
                            vat_rate=D("20"))
    other_charge = Charge(client_id=space.world.a2, kind="fee", label="Port",
                          amount=D("5"), vat_rate=D("20"))
    db.session.add_all([other_contact, other_article, other_charge])
    db.session.commit()
    with pytest.raises(docs.DocumentError, match="client facturé"):
        draft(space, contact=other_contact)
    with pytest.raises(docs.DocumentError, match="article introuvable"):
        draft(space, line(article_id=other_article.id))
    with pytest.raises(docs.DocumentError, match="introuvable"):
        draft(space, charges=[docs.ChargeInput(other_charge.id)])


def test_charges_are_copied_and_counted(space):
    fee = Charge(client_id=space.client.id, kind="fee", label="Frais de port",
                 amount=D("15.00"), vat_rate=D("20"))
    discount = Charge(client_id=space.client.id, kind="discount", label="Remise fidélité",
                      percentage=D("10"), vat_rate=D("20"))
    db.session.add_all([fee, discount])
    db.session.flush()
    document = draft(space, line(price="200.00"),
                     charges=[docs.ChargeInput(fee.id), docs.ChargeInput(discount.id)])
    # 200 + 15 − 20 = 195 HT ; TVA 39,00
    assert (document.total_ht, document.total_vat, document.total_ttc) == (
        D("195.00"), D("39.00"), D("234.00"))
    assert [(item.label, item.total_ht) for item in document.charges] == [
        ("Frais de port", D("15.00")), ("Remise fidélité", D("20.00"))]


def test_parallel_payments_cannot_overpay(app, space):
    """Two payments at the same moment on one invoice: the row lock makes the
    second see the first, so together they never exceed what is due."""
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises every writer)")
    invoice = issued(space, line(price="100.00"))      # 120,00 TTC
    client_id, contact_id, invoice_id = space.client.id, space.martin.id, invoice.id
    barrier = threading.Barrier(2)
    outcomes = []

    def pay():
        with app.app_context():
            client = db.session.get(Client, client_id)
            barrier.wait()
            try:
                docs.record_payment(db.session, client, docs.PaymentInput(
                    contact_id=contact_id, date=TODAY, amount=D("100.00"),
                    payment_mode="Virement",
                    allocations=[docs.AllocationInput(invoice_id, D("100.00"))]), TODAY)
                db.session.commit()
                outcomes.append("paid")
            except docs.DocumentError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused"]
    db.session.expire_all()
    assert db.session.get(Invoice, invoice_id).paid_ttc == D("100.00")
    assert db.session.scalar(select(Payment.amount).where(Payment.client_id == client_id)) \
        == D("100.00")
