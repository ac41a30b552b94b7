"""From the database to the entry generator's inputs, streamed.

What an export carries (`Selection`): the client's issued documents (invoices,
credit notes, deposit invoices — neither drafts nor cancelled ones) dated in
the period, and its payments dated in the period; without
`include_exported`, only those no batch has carried yet. `cutoff` freezes the
selection at the moment the export starts: a document issued (or a payment
recorded) after it goes into the next export, so the rows an export writes
and the rows it marks as exported are the same ones.

Documents come from one query over their lines (joined to the document,
ordered by date and id) and one over their charges, read with a server-side
cursor (`yield_per`) and merged in Python, so that memory stays flat whatever
the number of documents. The client's contacts, articles, categories and
charges are read once (they are the client's catalogue, not its history).
"""
from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator, Optional

from sqlalchemy import and_, exists, func, or_, select

from app.accounting.entries import (
    DepositDeduction, DocumentIn, Party, PaymentIn, SaleLine,
)
from app.accounting.lettering import SettlementGraph
from app.accounting.resolver import ARTICLE, CHARGE, FREE_LINE, SERVICES, ItemRef, pad_account
from app.models import (
    AccountingPlan, Article, ArticleCategory, Charge, Contact, Invoice, InvoiceCharge,
    InvoiceDeposit, InvoiceLine, Payment, PaymentAllocation, PlanAccount,
)
from app.models.exports import ExportBatchDocument, ExportBatchPayment
from app.plans.resolution import normalise_rate

EXPORTED_STATUSES = ("issued", "partially_paid", "paid")
STREAM_CHUNK = 5000
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Selection:
    """What one export carries for one client."""
    client_id: int
    start: dt.date
    end: dt.date
    include_exported: bool = False
    cutoff: Optional[dt.datetime] = None


def document_criteria(selection: Selection) -> list:
    """SQL conditions on Invoice for the documents of `selection`."""
    criteria = [Invoice.client_id == selection.client_id,
                Invoice.status.in_(EXPORTED_STATUSES),
                Invoice.issue_date >= selection.start, Invoice.issue_date <= selection.end]
    if selection.cutoff is not None:
        criteria.append(Invoice.issued_at <= selection.cutoff)
    if not selection.include_exported:
        criteria.append(~exists().where(ExportBatchDocument.client_id == Invoice.client_id,
                                        ExportBatchDocument.invoice_id == Invoice.id))
    return criteria


def payment_criteria(selection: Selection) -> list:
    """SQL conditions on Payment for the payments of `selection`."""
    criteria = [Payment.client_id == selection.client_id,
                Payment.date >= selection.start, Payment.date <= selection.end]
    if selection.cutoff is not None:
        criteria.append(Payment.created_at <= selection.cutoff)
    if not selection.include_exported:
        criteria.append(~exists().where(ExportBatchPayment.client_id == Payment.client_id,
                                        ExportBatchPayment.payment_id == Payment.id))
    return criteria


def count_selection(session, selection: Selection) -> tuple:
    """(documents, payments) the selection carries."""
    documents = session.scalar(select(func.count()).select_from(Invoice)
                               .where(*document_criteria(selection)))
    payments = session.scalar(select(func.count()).select_from(Payment)
                              .where(*payment_criteria(selection)))
    return documents or 0, payments or 0


# The plan and the client's catalogue ----------------------------------------------------

def client_plan(session, client_id: int) -> Optional[AccountingPlan]:
    return session.scalar(select(AccountingPlan).where(AccountingPlan.client_id == client_id))


def account_labels(session, plan_row: AccountingPlan) -> dict:
    """Padded account number → label, for CompteLib."""
    length = plan_row.account_length
    labels = {}
    for number, label in session.execute(select(PlanAccount.number, PlanAccount.label)
                                         .where(PlanAccount.plan_id == plan_row.id)):
        try:
            labels[pad_account(number, length)] = label
        except ValueError:
            continue
    return labels


@dataclass
class Catalogue:
    """The client's contacts, articles and charges, as the generator needs them."""
    parties: dict        # contact id → Party
    articles: dict       # article id → ItemRef parts (label, own account, category label, account)
    charges: dict        # charge id → own account
    taken_codes: set     # auxiliary codes already given to contacts


def load_catalogue(session, client_id: int) -> Catalogue:
    parties, taken = {}, set()
    for id_, is_company, name, first_name, code in session.execute(
            select(Contact.id, Contact.is_company, Contact.name, Contact.first_name,
                   Contact.auxiliary_account).where(Contact.client_id == client_id)):
        shown = name if is_company or not first_name else f"{first_name} {name}"
        parties[id_] = Party(contact_id=id_, name=shown, auxiliary_code=code or None)
        if code:
            taken.add(code)
    articles = {
        id_: (label or "", account, category, category_account)
        for id_, label, account, category, category_account in session.execute(
            select(Article.id, Article.label, Article.account, ArticleCategory.name,
                   ArticleCategory.account)
            .outerjoin(ArticleCategory, ArticleCategory.id == Article.category_id)
            .where(Article.client_id == client_id))}
    charges = dict(session.execute(select(Charge.id, Charge.account)
                                   .where(Charge.client_id == client_id)).all())
    return Catalogue(parties=parties, articles=articles, charges=charges, taken_codes=taken)


class _Items:
    """ItemRefs shared between lines: one object per distinct article, rate and
    nature, so that the generator's cache and memory stay small."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self._cache: dict = {}

    def line(self, article_id, label, nature, rate) -> ItemRef:
        key = ("line", article_id, nature, rate) if article_id is not None \
            else ("free", label, nature, rate)
        item = self._cache.get(key)
        if item is None:
            article = self.catalogue.articles.get(article_id) if article_id is not None else None
            if article is None:
                item = ItemRef(kind=FREE_LINE, label=label or "", nature=nature, vat_rate=rate)
            else:
                article_label, own, category, category_account = article
                item = ItemRef(kind=ARTICLE, label=article_label or label or "", nature=nature,
                               vat_rate=rate, own_account=own, category_label=category,
                               category_account=category_account)
            if len(self._cache) < 100_000:
                self._cache[key] = item
        return item

    def charge(self, charge_id, label, rate) -> ItemRef:
        key = ("charge", charge_id, label if charge_id is None else None, rate)
        item = self._cache.get(key)
        if item is None:
            own = self.catalogue.charges.get(charge_id) if charge_id is not None else None
            item = ItemRef(kind=CHARGE, label=label or "", nature=SERVICES, vat_rate=rate,
                           own_account=own)
            if len(self._cache) < 100_000:
                self._cache[key] = item
        return item


_RATES: dict = {}


def _rate(value) -> Decimal:
    """A rate read from the database as a two-place Decimal (cached: few distinct rates)."""
    rate = _RATES.get(value)
    if rate is None:
        rate = _RATES[value] = normalise_rate(value)
    return rate


def _money(value) -> Decimal:
    # SQLite may return floats for Numeric; amounts have two places.
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


# Streams --------------------------------------------------------------------------------

def _stream(session, statement):
    return session.execute(statement.execution_options(yield_per=STREAM_CHUNK))


def _deposit_deductions(session, selection: Selection, items: _Items) -> dict:
    """Final invoice id → its DepositDeduction tuple, for the selected documents."""
    deposit = Invoice.__table__.alias("deposit")
    final_ids = select(Invoice.id).where(*document_criteria(selection))
    rows = session.execute(
        select(InvoiceDeposit.invoice_id, deposit.c.id, deposit.c.number, deposit.c.total_ttc,
               InvoiceLine.nature, InvoiceLine.vat_rate, InvoiceLine.total_ht)
        .join(deposit, and_(deposit.c.client_id == InvoiceDeposit.client_id,
                            deposit.c.id == InvoiceDeposit.deposit_id))
        .join(InvoiceLine, and_(InvoiceLine.client_id == deposit.c.client_id,
                                InvoiceLine.invoice_id == deposit.c.id))
        .where(InvoiceDeposit.client_id == selection.client_id,
               InvoiceDeposit.invoice_id.in_(final_ids))
        .order_by(InvoiceDeposit.invoice_id, deposit.c.id, InvoiceLine.position))
    grouped: dict = {}
    for final_id, deposit_id, number, ttc, nature, rate, ht in rows:
        lines = grouped.setdefault(final_id, {}).setdefault(
            deposit_id, (number, _money(ttc), []))[2]
        lines.append(SaleLine(items.line(None, "", nature, _rate(rate)), _money(ht)))
    charge_rows = session.execute(
        select(InvoiceDeposit.invoice_id, InvoiceCharge.invoice_id, InvoiceCharge.kind,
               InvoiceCharge.vat_rate, InvoiceCharge.total_ht)
        .join(InvoiceCharge, and_(InvoiceCharge.client_id == InvoiceDeposit.client_id,
                                  InvoiceCharge.invoice_id == InvoiceDeposit.deposit_id))
        .where(InvoiceDeposit.client_id == selection.client_id,
               InvoiceDeposit.invoice_id.in_(final_ids)))
    for final_id, deposit_id, kind, rate, ht in charge_rows:
        entry = grouped.get(final_id, {}).get(deposit_id)
        if entry is not None:
            entry[2].append(SaleLine(items.line(None, "", SERVICES, _rate(rate)), _money(ht),
                                     discount=kind == "discount"))
    return {final_id: tuple(DepositDeduction(number=number, lines=tuple(lines), total_ttc=ttc)
                            for number, ttc, lines in deposits.values())
            for final_id, deposits in grouped.items()}


def stream_documents(session, selection: Selection, catalogue: Catalogue,
                     graph: Optional[SettlementGraph] = None) -> Iterator[DocumentIn]:
    """The selected documents in chronological order (date, then id)."""
    items = _Items(catalogue)
    deposits = _deposit_deductions(session, selection, items)
    criteria = document_criteria(selection)
    lines = _stream(session, select(
        Invoice.id, Invoice.kind, Invoice.number, Invoice.issue_date, Invoice.contact_id,
        Invoice.total_ttc, InvoiceLine.article_id, InvoiceLine.label, InvoiceLine.nature,
        InvoiceLine.vat_rate, InvoiceLine.total_ht)
        .outerjoin(InvoiceLine, and_(InvoiceLine.client_id == Invoice.client_id,
                                     InvoiceLine.invoice_id == Invoice.id))
        .where(*criteria).order_by(Invoice.issue_date, Invoice.id, InvoiceLine.position))
    charge_rows = _stream(session, select(
        Invoice.issue_date, Invoice.id, InvoiceCharge.charge_id, InvoiceCharge.kind,
        InvoiceCharge.label, InvoiceCharge.vat_rate, InvoiceCharge.total_ht)
        .join(InvoiceCharge, and_(InvoiceCharge.client_id == Invoice.client_id,
                                  InvoiceCharge.invoice_id == Invoice.id))
        .where(*criteria).order_by(Invoice.issue_date, Invoice.id, InvoiceCharge.position))
    charges = iter(charge_rows)
    pending_charge = next(charges, None)

    current, sale_lines = None, []

    def finish():
        nonlocal pending_charge
        id_, kind, number, date, contact_id, ttc = current
        while pending_charge is not None and (pending_charge[0], pending_charge[1]) < (date, id_):
            pending_charge = next(charges, None)
        while pending_charge is not None and pending_charge[1] == id_:
            _, _, charge_id, charge_kind, label, rate, ht = pending_charge
            sale_lines.append(SaleLine(items.charge(charge_id, label, _rate(rate)), _money(ht),
                                       discount=charge_kind == "discount"))
            pending_charge = next(charges, None)
        return DocumentIn(
            id=id_, kind=kind, number=number, date=date,
            party=catalogue.parties[contact_id], lines=tuple(sale_lines),
            total_ttc=_money(ttc), deposits=deposits.get(id_, ()),
            lettering=graph.lettering("document", id_) if graph is not None else None)

    try:
        for (id_, kind, number, date, contact_id, ttc, article_id, label, nature, rate,
             ht) in lines:
            if current is None or current[0] != id_:
                if current is not None:
                    yield finish()
                current, sale_lines = (id_, kind, number, date, contact_id, ttc), []
            if ht is not None:
                sale_lines.append(SaleLine(items.line(article_id, label, nature, _rate(rate)),
                                           _money(ht)))
        if current is not None:
            yield finish()
    finally:
        # Server-side cursors: closed now, not when the garbage collector gets to them.
        lines.close()
        charge_rows.close()


def stream_payments(session, selection: Selection, catalogue: Catalogue,
                    graph: Optional[SettlementGraph] = None) -> Iterator[PaymentIn]:
    """The selected payments in chronological order (date, then id)."""
    rows = _stream(session, select(Payment.id, Payment.date, Payment.amount,
                                   Payment.payment_mode, Payment.reference, Payment.contact_id)
                   .where(*payment_criteria(selection)).order_by(Payment.date, Payment.id))
    try:
        for id_, date, amount, mode, reference, contact_id in rows:
            yield PaymentIn(id=id_, date=date, amount=_money(amount), mode=mode,
                            party=catalogue.parties[contact_id], reference=reference or "",
                            lettering=graph.lettering("payment", id_) if graph is not None
                            else None)
    finally:
        rows.close()


def chronological(documents: Iterator[DocumentIn], payments: Iterator[PaymentIn]):
    """Documents and payments merged by date; on one day, documents first."""
    return heapq.merge(documents, payments,
                       key=lambda item: (item.date, isinstance(item, PaymentIn), item.id))


def settlement_graph(session, client_id: int) -> SettlementGraph:
    """The client's settlement groups: payments linked to the documents they are
    allocated to, credit notes to the invoice they correct; invoices still
    owing and payments not fully allocated mark their group open. Read as small
    tuples, streamed."""
    graph = SettlementGraph()
    for payment_id, payment_date, invoice_id in _stream(session, select(
            PaymentAllocation.payment_id, Payment.date, PaymentAllocation.invoice_id)
            .join(Payment, and_(Payment.client_id == PaymentAllocation.client_id,
                                Payment.id == PaymentAllocation.payment_id))
            .where(PaymentAllocation.client_id == client_id)):
        graph.touch("payment", payment_id, payment_date)
        graph.link("payment", payment_id, "document", invoice_id)
    for credit_id, credit_date, invoice_id in _stream(session, select(
            Invoice.id, Invoice.issue_date, Invoice.corrects_invoice_id)
            .where(Invoice.client_id == client_id, Invoice.kind == "credit_note",
                   Invoice.status.in_(EXPORTED_STATUSES),
                   Invoice.corrects_invoice_id.is_not(None))):
        graph.touch("document", credit_id, credit_date)
        graph.link("document", invoice_id, "document", credit_id)
    owing = (Invoice.total_ttc - Invoice.deposits_ttc - Invoice.credited_ttc
             - Invoice.paid_ttc)
    for (invoice_id,) in session.execute(select(Invoice.id).where(
            Invoice.client_id == client_id, Invoice.kind != "credit_note",
            or_(owing >= Decimal("0.005"), owing <= Decimal("-0.005")))):
        graph.mark_open("document", invoice_id)
    # One grouped pass over the client's allocations, not a sum per payment.
    allocated = (select(PaymentAllocation.payment_id,
                        func.sum(PaymentAllocation.amount).label("amount"))
                 .where(PaymentAllocation.client_id == client_id)
                 .group_by(PaymentAllocation.payment_id).subquery())
    for (payment_id,) in session.execute(
            select(Payment.id)
            .outerjoin(allocated, allocated.c.payment_id == Payment.id)
            .where(Payment.client_id == client_id,
                   Payment.amount - func.coalesce(allocated.c.amount, 0) >= Decimal("0.005"))):
        graph.mark_open("payment", payment_id)
    # Resolved now, before the documents' cursors open: its peak and their buffers do not add up.
    graph.resolve()
    return graph
