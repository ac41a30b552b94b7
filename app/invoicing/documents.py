"""The life of a client's documents: drafts, issue, credit notes, deposits, payments.

Every change to a document's amounts goes through this module, in the
caller's transaction (the caller commits, or rolls back on DocumentError):

- a draft is saved with its totals computed by app.invoicing.totals;
- issuing gives the number (app.invoicing.numbering), the dates, and settles
  what the document touches: the deposits a final invoice deducts, the invoice
  a credit note corrects;
- a credit note never exceeds what is left to credit on its invoice;
- a payment is allocated to documents of its customer, never beyond what each
  still owes, and the documents' status follows (issued → partly paid → paid).

An issued document never changes again (app.invoicing.immutability refuses it
at flush time, whatever the code path); only its settlement columns and status
move with credit notes and payments.

Rows are locked (SELECT … FOR UPDATE on PostgreSQL) before a settlement is
checked and written, so two payments or two credit notes at the same moment
cannot together exceed what is due. No Flask here: views, CLI and demo data
share these functions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional, Sequence

from sqlalchemy import func, select

from app.invoicing import totals as calc
from app.messages import N_, TranslatableError
from app.invoicing.numbering import next_number
from app.models import (
    Article, Charge, Client, Contact, Invoice, InvoiceCharge, InvoiceDeposit, InvoiceLine,
    Payment, PaymentAllocation,
)

ZERO = Decimal("0.00")
SETTLEABLE_KINDS = ("invoice", "deposit")
OPEN_STATUSES = ("issued", "partially_paid")
ISSUED_STATUSES = ("issued", "partially_paid", "paid")


class DocumentError(TranslatableError):
    """A rule of invoicing refused the change; `field` names the form field at fault."""

    def __init__(self, msgid: str, field: Optional[str] = None, **params):
        super().__init__(msgid, **params)
        self.field = field


# Inputs --------------------------------------------------------------------------------

@dataclass
class LineInput:
    label: str
    quantity: Decimal
    unit_price_ht: Decimal
    vat_rate: Decimal
    discount_pct: Decimal = Decimal("0")
    nature: str = calc.SERVICES
    article_id: Optional[int] = None


@dataclass
class ChargeInput:
    charge_id: int


@dataclass
class DraftInput:
    kind: str
    contact_id: int
    lines: Sequence[LineInput]
    charges: Sequence[ChargeInput] = ()
    deposit_ids: Sequence[int] = ()
    issue_date: Optional[dt.date] = None
    due_date: Optional[dt.date] = None
    notes: Optional[str] = None
    corrects_invoice_id: Optional[int] = None


@dataclass
class AllocationInput:
    invoice_id: int
    amount: Decimal


@dataclass
class PaymentInput:
    contact_id: int
    date: dt.date
    amount: Decimal
    payment_mode: str
    reference: Optional[str] = None
    allocations: Sequence[AllocationInput] = field(default_factory=list)


# Helpers -------------------------------------------------------------------------------

def _one_of_client(session, model, client_id, pk, lock=False):
    """A row of this client, or None: another client's id is as unknown as a missing one."""
    if pk is None:
        return None
    statement = select(model).where(model.id == pk, model.client_id == client_id)
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def _money(value, field_name, label):
    try:
        amount = calc.to_decimal(value, label, places=2)
    except (TypeError, ValueError):
        raise DocumentError(N_("%(label)s : montant invalide."), field=field_name,
                            label=label) from None
    return amount.quantize(calc.CENT)


def _fmt(amount: Decimal) -> str:
    """1234.5 → « 1 234,50 » for messages (no Babel here: pure module)."""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{' '.join(groups)},{cents} €"


def amount_due_sql():
    """What a document still owes, as SQL (see Invoice.amount_due)."""
    return Invoice.total_ttc - Invoice.deposits_ttc - Invoice.credited_ttc - Invoice.paid_ttc


def owing_sql():
    """SQL: the document still owes at least a cent. Compared with half a cent
    because SQLite computes NUMERIC in binary floating point (0,1 + 0,2 − 0,3 is
    not 0 there); PostgreSQL's numeric is exact either way."""
    return amount_due_sql() > Decimal("0.005")


def refresh_status(document: Invoice) -> None:
    """Issued / partly paid / paid, from what still settles the document."""
    if document.status in ("draft", "cancelled") or document.kind == "credit_note":
        return
    if document.amount_due <= 0:
        document.status = "paid"
    elif document.paid_ttc > 0 or document.credited_ttc > 0:
        document.status = "partially_paid"
    else:
        document.status = "issued"


def creditable_ttc(invoice: Invoice) -> Decimal:
    """What a new credit note may still correct on this invoice."""
    return invoice.total_ttc - invoice.deposits_ttc - invoice.credited_ttc


# Drafts --------------------------------------------------------------------------------

def save_draft(session, client: Client, data: DraftInput,
               document: Optional[Invoice] = None) -> Invoice:
    """Create or update a draft from what the user typed; totals are computed here."""
    if document is not None and not document.is_draft:
        raise DocumentError(N_("Le document %(number)s est émis : il ne peut plus être "
                               "modifié. Pour le corriger, émettez un avoir."),
                            number=document.number)
    if data.kind not in ("invoice", "credit_note", "deposit"):
        raise DocumentError(N_("Type de document inconnu."), field="kind")
    contact = _one_of_client(session, Contact, client.id, data.contact_id)
    if contact is None:
        raise DocumentError(N_("Choisissez le client facturé."), field="contact_id")
    corrected = _corrected_invoice(session, client, data, contact)
    if not data.lines:
        raise DocumentError(N_("Ajoutez au moins une ligne."), field="lines")
    for position, line in enumerate(data.lines, start=1):
        if line.article_id is not None and _one_of_client(
                session, Article, client.id, line.article_id) is None:
            raise DocumentError(N_("Ligne %(position)d : article introuvable."),
                                field="lines", position=position)
        if not (line.label or "").strip():
            raise DocumentError(N_("Ligne %(position)d : la désignation est obligatoire."),
                                field="lines", position=position)
    charges = []
    for charge_input in data.charges:
        charge = _one_of_client(session, Charge, client.id, charge_input.charge_id)
        if charge is None:
            raise DocumentError(N_("Taxe, frais ou remise introuvable."), field="charges")
        charges.append(charge)
    if data.due_date and data.issue_date and data.due_date < data.issue_date:
        raise DocumentError(N_("L'échéance ne peut pas précéder la date du document."),
                            field="due_date")

    try:
        result = calc.compute_totals(
            [calc.Line(quantity=line.quantity, unit_price_ht=line.unit_price_ht,
                       vat_rate=line.vat_rate, discount_pct=line.discount_pct or Decimal("0"),
                       nature=line.nature) for line in data.lines],
            [calc.Charge(kind=charge.kind, vat_rate=charge.vat_rate, amount=charge.amount,
                         percentage=charge.percentage) for charge in charges],
            multi_vat=client.multi_vat,
        )
    except (TypeError, ValueError) as error:
        raise DocumentError(N_("%(detail)s"), field="lines", detail=str(error)) from None

    deposits = _deposits_to_deduct(session, client, data, contact,
                                   document.id if document is not None else None)
    new = document is None
    if new:
        document = Invoice(client_id=client.id, status="draft")
        session.add(document)
    document.kind = data.kind
    document.contact_id = contact.id
    document.corrects_invoice_id = corrected.id if corrected is not None else None
    document.issue_date = data.issue_date
    document.due_date = data.due_date
    document.notes = (data.notes or "").strip() or None
    document.total_ht = result.total_ht
    document.total_vat = result.total_vat
    document.total_ttc = result.total_ttc
    if not new:
        # Old rows go first: the new ones take the same positions (unique per document).
        document.lines.clear()
        document.charges.clear()
        document.deposit_deductions.clear()
        session.flush()
    document.lines = [
        InvoiceLine(client_id=client.id, position=position, article_id=line.article_id,
                    label=line.label.strip(), quantity=calc.to_decimal(line.quantity, "q"),
                    unit_price_ht=calc.to_decimal(line.unit_price_ht, "p"),
                    discount_pct=calc.to_decimal(line.discount_pct or 0, "r"),
                    vat_rate=calc.to_decimal(line.vat_rate, "t"), nature=line.nature,
                    total_ht=line_ht)
        for position, (line, line_ht) in enumerate(zip(data.lines, result.lines_ht), start=1)
    ]
    document.charges = [
        InvoiceCharge(client_id=client.id, position=position, charge_id=charge.id,
                      kind=charge.kind, label=charge.label, amount=charge.amount,
                      percentage=charge.percentage, vat_rate=charge.vat_rate,
                      total_ht=charge_ht)
        for position, (charge, charge_ht) in enumerate(zip(charges, result.charges_ht),
                                                       start=1)
    ]
    document.deposit_deductions = [
        InvoiceDeposit(client_id=client.id, deposit_id=deposit.id) for deposit in deposits]
    document.deposits_ttc = sum((deposit.total_ttc for deposit in deposits), ZERO)
    if document.deposits_ttc > document.total_ttc:
        raise DocumentError(N_("Les acomptes déduits (%(deposits)s) dépassent le total TTC "
                               "de la facture (%(total)s)."), field="deposit_ids",
                            deposits=_fmt(document.deposits_ttc), total=_fmt(document.total_ttc))
    if corrected is not None and document.total_ttc > creditable_ttc(corrected):
        raise DocumentError(N_("L'avoir (%(amount)s TTC) dépasse ce qui reste à créditer sur "
                               "la facture %(number)s (%(left)s TTC)."), field="lines",
                            amount=_fmt(document.total_ttc), number=corrected.number,
                            left=_fmt(creditable_ttc(corrected)))
    session.flush()
    return document


def _corrected_invoice(session, client, data, contact, lock=False):
    if data.kind != "credit_note":
        if data.corrects_invoice_id is not None:
            raise DocumentError(N_("Seul un avoir corrige une facture."), field="kind")
        return None
    corrected = _one_of_client(session, Invoice, client.id, data.corrects_invoice_id, lock=lock)
    if corrected is None:
        raise DocumentError(N_("Un avoir corrige une facture émise : choisissez-la."),
                            field="corrects_invoice_id")
    if corrected.kind not in SETTLEABLE_KINDS or corrected.status not in ISSUED_STATUSES:
        raise DocumentError(N_("Un avoir ne corrige qu'une facture ou une facture d'acompte "
                               "émise."), field="corrects_invoice_id")
    if corrected.contact_id != contact.id:
        raise DocumentError(N_("L'avoir doit être adressé au client de la facture "
                               "%(number)s."), field="contact_id", number=corrected.number)
    return corrected


def _deposits_to_deduct(session, client, data, contact, document_id, lock=False):
    ids = sorted(set(data.deposit_ids or ()))
    if not ids:
        return []
    if data.kind != "invoice":
        raise DocumentError(N_("Seule une facture déduit des acomptes."), field="deposit_ids")
    statement = select(Invoice).where(Invoice.client_id == client.id, Invoice.id.in_(ids))
    if lock:
        statement = statement.with_for_update()
    deposits = session.scalars(statement).all()
    if len(deposits) != len(ids):
        raise DocumentError(N_("Facture d'acompte introuvable."), field="deposit_ids")
    for deposit in deposits:
        if deposit.kind != "deposit" or deposit.status not in ISSUED_STATUSES:
            raise DocumentError(N_("%(number)s n'est pas une facture d'acompte émise."),
                                field="deposit_ids", number=deposit.number or "—")
        if deposit.contact_id != contact.id:
            raise DocumentError(N_("L'acompte %(number)s a été facturé à un autre client."),
                                field="deposit_ids", number=deposit.number)
        other = session.scalar(select(InvoiceDeposit.invoice_id).where(
            InvoiceDeposit.deposit_id == deposit.id,
            InvoiceDeposit.invoice_id != (document_id or 0)))
        if other is not None:
            raise DocumentError(N_("L'acompte %(number)s est déjà déduit d'une autre facture."),
                                field="deposit_ids", number=deposit.number)
    return deposits


def deductible_deposits(session, client_id: int, contact_id: int,
                        document_id: Optional[int] = None):
    """Issued deposit invoices of this customer not yet deducted elsewhere."""
    taken = select(InvoiceDeposit.deposit_id).where(
        InvoiceDeposit.client_id == client_id,
        InvoiceDeposit.invoice_id != (document_id or 0))
    return session.scalars(
        select(Invoice).where(
            Invoice.client_id == client_id, Invoice.contact_id == contact_id,
            Invoice.kind == "deposit", Invoice.status.in_(ISSUED_STATUSES),
            Invoice.id.not_in(taken))
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()


def delete_draft(session, document: Invoice) -> None:
    if not document.is_draft:
        raise DocumentError(N_("Le document %(number)s est émis : il ne peut pas être "
                               "supprimé. Pour l'annuler, émettez un avoir."),
                            number=document.number)
    session.delete(document)
    session.flush()


# Issue ---------------------------------------------------------------------------------

def issue(session, client: Client, document: Invoice, today: dt.date) -> Invoice:
    """Give the draft its number and dates and settle what it corrects or deducts."""
    locked = _one_of_client(session, Invoice, client.id, document.id, lock=True)
    if locked is None or not locked.is_draft:
        raise DocumentError(N_("Ce document est déjà émis."))
    issue_date = document.issue_date or today
    if issue_date > today:
        raise DocumentError(N_("Un document ne peut pas être émis à une date future "
                               "(%(date)s)."), field="issue_date",
                            date=issue_date.strftime("%d/%m/%Y"))
    last = session.scalar(select(func.max(Invoice.issue_date)).where(
        Invoice.client_id == client.id, Invoice.kind == document.kind,
        Invoice.status != "draft"))
    if last is not None and issue_date < last:
        raise DocumentError(N_("La numérotation suit l'ordre des dates : ce document ne "
                               "peut pas être daté avant le dernier émis (%(date)s)."),
                            field="issue_date", date=last.strftime("%d/%m/%Y"))
    contact = session.get(Contact, document.contact_id)
    data = DraftInput(kind=document.kind, contact_id=document.contact_id, lines=[],
                      corrects_invoice_id=document.corrects_invoice_id,
                      deposit_ids=[deduction.deposit_id
                                   for deduction in document.deposit_deductions])

    # Re-checked under lock: another credit note or deduction may have landed since the draft.
    corrected = _corrected_invoice(session, client, data, contact, lock=True)
    deposits = _deposits_to_deduct(session, client, data, contact, document.id, lock=True)
    if corrected is not None:
        if document.total_ttc > creditable_ttc(corrected):
            raise DocumentError(N_("L'avoir (%(amount)s TTC) dépasse ce qui reste à créditer "
                                   "sur la facture %(number)s (%(left)s TTC)."),
                                amount=_fmt(document.total_ttc), number=corrected.number,
                                left=_fmt(creditable_ttc(corrected)))
        corrected.credited_ttc = corrected.credited_ttc + document.total_ttc
        refresh_status(corrected)

    document.issue_date = issue_date
    if document.kind == "credit_note":
        document.due_date = issue_date
    elif document.due_date is None:
        document.due_date = issue_date + dt.timedelta(days=client.payment_terms_days or 0)
    document.deposits_ttc = sum((deposit.total_ttc for deposit in deposits), ZERO)
    document.number = next_number(session, client.id, document.kind, issue_date.year)
    document.status = "issued"
    document.issued_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    refresh_status(document)
    session.flush()
    return document


def credit_note_lines(invoice: Invoice) -> list[LineInput]:
    """The lines of a total credit note for this invoice (the user may reduce them)."""
    return [LineInput(label=line.label, quantity=line.quantity,
                      unit_price_ht=line.unit_price_ht, vat_rate=line.vat_rate,
                      discount_pct=line.discount_pct, nature=line.nature,
                      article_id=line.article_id)
            for line in invoice.lines]


# Payments ------------------------------------------------------------------------------

def open_documents(session, client_id: int, contact_id: int):
    """Documents of this customer still owing something, oldest due first."""
    return session.scalars(
        select(Invoice).where(
            Invoice.client_id == client_id, Invoice.contact_id == contact_id,
            Invoice.kind.in_(SETTLEABLE_KINDS), Invoice.status.in_(OPEN_STATUSES), owing_sql())
        .order_by(Invoice.due_date, Invoice.id)
    ).all()


def record_payment(session, client: Client, data: PaymentInput, today: dt.date) -> Payment:
    contact = _one_of_client(session, Contact, client.id, data.contact_id)
    if contact is None:
        raise DocumentError(N_("Choisissez le client qui règle."), field="contact_id")
    amount = _money(data.amount, "amount", "Montant")
    if amount <= 0:
        raise DocumentError(N_("Le montant du règlement doit être positif."), field="amount")
    if data.date is None:
        raise DocumentError(N_("La date du règlement est obligatoire."), field="date")
    if data.date > today:
        raise DocumentError(N_("Un règlement ne peut pas être daté dans le futur."),
                            field="date")
    mode = (data.payment_mode or "").strip()
    if not mode:
        raise DocumentError(N_("Choisissez le mode de paiement."), field="payment_mode")

    allocations = [item for item in data.allocations if item.amount not in (None, "")]
    if len({item.invoice_id for item in allocations}) != len(allocations):
        raise DocumentError(N_("Un document ne peut être réglé qu'une fois par règlement."),
                            field="allocations")
    payment = Payment(client_id=client.id, contact_id=contact.id, date=data.date,
                      amount=amount, payment_mode=mode,
                      reference=(data.reference or "").strip() or None)
    allocated = ZERO
    for item in sorted(allocations, key=lambda item: item.invoice_id):
        document = _one_of_client(session, Invoice, client.id, item.invoice_id, lock=True)
        if document is None:
            raise DocumentError(N_("Document introuvable."), field="allocations")
        share = _money(item.amount, "allocations", "Montant imputé")
        if share == 0:
            continue
        if share < 0:
            raise DocumentError(N_("%(number)s : le montant imputé doit être positif."),
                                field="allocations", number=document.number)
        if document.contact_id != contact.id:
            raise DocumentError(N_("%(number)s n'est pas adressé à ce client."),
                                field="allocations", number=document.number)
        if document.kind not in SETTLEABLE_KINDS or document.status not in OPEN_STATUSES:
            raise DocumentError(N_("%(number)s n'attend pas de règlement."),
                                field="allocations", number=document.number or "—")
        if share > document.amount_due:
            raise DocumentError(N_("%(number)s : %(share)s imputés pour %(due)s restant dû."),
                                field="allocations", number=document.number,
                                share=_fmt(share), due=_fmt(document.amount_due))
        document.paid_ttc = document.paid_ttc + share
        refresh_status(document)
        payment.allocations.append(PaymentAllocation(client_id=client.id,
                                                     invoice_id=document.id, amount=share))
        allocated += share
    if allocated > amount:
        raise DocumentError(N_("Les imputations (%(allocated)s) dépassent le montant du "
                               "règlement (%(amount)s)."), field="allocations",
                            allocated=_fmt(allocated), amount=_fmt(amount))
    session.add(payment)
    session.flush()
    return payment


def unallocated(payment: Payment) -> Decimal:
    return payment.amount - sum((item.amount for item in payment.allocations), ZERO)


def delete_payment(session, payment: Payment) -> None:
    """A payment recorded by mistake is removed; the documents owe again what it paid.
    Once exported to the accounting software it stays: the entry exists there."""
    from app.models.exports import ExportBatch, ExportBatchPayment

    exported = session.scalar(
        select(func.min(ExportBatch.number)).join(
            ExportBatchPayment, (ExportBatchPayment.client_id == ExportBatch.client_id)
            & (ExportBatchPayment.batch_id == ExportBatch.id))
        .where(ExportBatchPayment.client_id == payment.client_id,
               ExportBatchPayment.payment_id == payment.id))
    if exported is not None:
        raise DocumentError(N_("Ce règlement a été exporté en comptabilité (export n° "
                               "%(number)d) : il ne peut plus être supprimé. Enregistrez la "
                               "correction dans le logiciel comptable."), number=exported)
    for allocation in payment.allocations:
        document = _one_of_client(session, Invoice, payment.client_id, allocation.invoice_id,
                                  lock=True)
        document.paid_ttc = document.paid_ttc - allocation.amount
        refresh_status(document)
    session.delete(payment)
    session.flush()


def overdue_filter(today: dt.date):
    """SQL criteria of documents past their due date and still owing."""
    return (Invoice.kind.in_(SETTLEABLE_KINDS) & Invoice.status.in_(OPEN_STATUSES)
            & (Invoice.due_date < today) & owing_sql())
