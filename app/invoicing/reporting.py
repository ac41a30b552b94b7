"""Invoicing figures of a client (the sheet's « Tableau de bord » and « Balance
âgée ») and of all the clients a user may see (the dashboard).

Every figure is an aggregate computed by the database (SUM / COUNT / CASE with
GROUP BY): no function here loads documents one by one, and each runs one or two
statements whatever the number of documents. Python only fills in empty months
and puts the grouped rows in order.

Rules (DESIGN.md §2, and the definitions below):
- drafts and cancelled documents count nowhere (COUNTED_STATUSES);
- revenue excl. tax (CA HT) = invoices HT − credit notes HT, by issue date; deposit
  invoices are advances, not revenue: they count in the number of documents only;
- amount due on a document = total_ttc − deposits_ttc − credited_ttc − paid_ttc
  (app.invoicing.documents.amount_due_sql); only invoices and deposit invoices
  are due (a credit note reduces what its invoice owes), when issued or partially
  paid and still owing at least a cent (owing_sql).

No Flask here: functions take a SQLAlchemy session, ids and `today`, and return
plain dataclasses of Decimal and int (money quantized to the cent).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import case, extract, func, or_, select

from app.invoicing.documents import (
    ISSUED_STATUSES, OPEN_STATUSES, SETTLEABLE_KINDS, amount_due_sql, owing_sql,
)
from app.models import Contact, Invoice, Payment

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Statuses of documents that exist for the figures: neither drafts nor cancelled.
COUNTED_STATUSES = ISSUED_STATUSES
# Kinds a customer owes money on (OPEN_STATUSES: still waiting for a payment).
DUE_KINDS = SETTLEABLE_KINDS

# Aged balance buckets, in order. Days overdue = today − due date.
NOT_DUE = "not_due"          # due today or later, or no due date
OVERDUE_0_30 = "0_30"        # 1 to 30 days overdue
OVERDUE_31_60 = "31_60"
OVERDUE_61_90 = "61_90"
OVERDUE_OVER_90 = "over_90"  # 91 days or more
BUCKETS = (NOT_DUE, OVERDUE_0_30, OVERDUE_31_60, OVERDUE_61_90, OVERDUE_OVER_90)


# Results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthFigures:
    month: dt.date          # first day of the month
    revenue_ht: Decimal     # invoices HT − credit notes HT issued that month (may be < 0)
    documents: int          # documents issued that month, every kind
    payments: Decimal       # payments received that month


@dataclass(frozen=True)
class CustomerRevenue:
    contact_id: int
    name: str
    revenue_ht: Decimal


@dataclass(frozen=True)
class AgedCustomer:
    contact_id: Optional[int]   # None for the « other customers » line
    name: str
    amounts: dict               # bucket key → Decimal, every bucket present
    total: Decimal
    documents: int              # documents with an amount due


@dataclass(frozen=True)
class AgedBalance:
    today: dt.date
    buckets: dict               # bucket key → Decimal, in BUCKETS order
    total: Decimal
    documents: int
    customers: list = field(default_factory=list)   # AgedCustomer, by total, largest first
    # When `customer_limit` cut the list: the other customers summed on one line.
    others: Optional[AgedCustomer] = None
    other_customers: int = 0

    @property
    def is_empty(self):
        return self.documents == 0


@dataclass(frozen=True)
class DashboardInvoicing:
    month: dt.date              # first day of the month
    documents: int
    invoices: int
    deposits: int
    credit_notes: int
    invoiced_ht: Decimal        # invoices and deposit invoices
    invoiced_ttc: Decimal
    credited_ht: Decimal        # credit notes
    credited_ttc: Decimal


# Dates ---------------------------------------------------------------------------------

def today_in(timezone_name: str = "Europe/Paris") -> dt.date:
    """Today's date where the firm works (not the server's, not UTC)."""
    return dt.datetime.now(ZoneInfo(timezone_name)).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_window(today: dt.date, months: int = 12) -> list[dt.date]:
    """The first days of the last `months` months, the current one included, oldest first."""
    current = today.replace(day=1)
    return [add_months(current, offset) for offset in range(1 - months, 1)]


def overdue_limits(today: dt.date):
    """Due dates on or after these are at most 30, 60 and 90 days overdue."""
    return tuple(today - dt.timedelta(days=days) for days in (30, 60, 90))


# SQL pieces ------------------------------------------------------------------------------

def money(value) -> Decimal:
    """A database sum as Decimal to the cent (SQLite sums floats; NULL is nothing)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _sum(expression):
    return func.coalesce(func.sum(expression), 0)


def _count_where(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def revenue_ht():
    """Per document: + HT for an invoice, − HT for a credit note, 0 for a deposit."""
    return case((Invoice.kind == "invoice", Invoice.total_ht),
                (Invoice.kind == "credit_note", -Invoice.total_ht),
                else_=0)




def counted():
    return Invoice.status.in_(COUNTED_STATUSES)


def contact_display_name(name, first_name, is_company) -> str:
    """Contact.display_name, from the columns of a grouped row."""
    if is_company or not first_name:
        return name
    return f"{first_name} {name}"


def _month_key(year, month):
    return dt.date(int(year), int(month), 1)


# Client sheet --------------------------------------------------------------------------------

def monthly_activity(session, client_id: int, today: dt.date, months: int = 12
                     ) -> list[MonthFigures]:
    """Revenue excl. tax, documents issued and payments received per month over the
    last `months` months (current month included, oldest first; a month without
    anything is present with zeros). Two statements: documents, then payments."""
    window = month_window(today, months)
    start, end = window[0], add_months(window[-1], 1)

    year, month = extract("year", Invoice.issue_date), extract("month", Invoice.issue_date)
    documents = session.execute(
        select(year, month, _sum(revenue_ht()), func.count(Invoice.id))
        .where(Invoice.client_id == client_id, counted(),
               Invoice.issue_date >= start, Invoice.issue_date < end)
        .group_by(year, month)
    ).all()

    paid_year, paid_month = extract("year", Payment.date), extract("month", Payment.date)
    payments = session.execute(
        select(paid_year, paid_month, _sum(Payment.amount))
        .where(Payment.client_id == client_id, Payment.date >= start, Payment.date < end)
        .group_by(paid_year, paid_month)
    ).all()

    by_month = {_month_key(y, m): (money(revenue), int(count)) for y, m, revenue, count in documents}
    received = {_month_key(y, m): money(amount) for y, m, amount in payments}
    return [
        MonthFigures(month=first_day,
                     revenue_ht=by_month.get(first_day, (ZERO, 0))[0],
                     documents=by_month.get(first_day, (ZERO, 0))[1],
                     payments=received.get(first_day, ZERO))
        for first_day in window
    ]


def top_customers(session, client_id: int, today: dt.date, limit: int = 5,
                  months: int = 12) -> list[CustomerRevenue]:
    """The client's customers by revenue excl. tax over the same months as
    monthly_activity, largest first; customers whose revenue is not positive
    (nothing, or only credit notes) are left out. One statement."""
    window = month_window(today, months)
    start, end = window[0], add_months(window[-1], 1)
    revenue = _sum(revenue_ht()).label("revenue")
    rows = session.execute(
        select(Contact.id, Contact.name, Contact.first_name, Contact.is_company, revenue)
        .select_from(Invoice)
        .join(Contact, (Contact.id == Invoice.contact_id) & (Contact.client_id == Invoice.client_id))
        .where(Invoice.client_id == client_id, counted(),
               Invoice.kind.in_(("invoice", "credit_note")),
               Invoice.issue_date >= start, Invoice.issue_date < end)
        .group_by(Contact.id, Contact.name, Contact.first_name, Contact.is_company)
        .having(_sum(revenue_ht()) > 0)
        .order_by(revenue.desc(), Contact.name, Contact.id)
        .limit(limit)
    ).all()
    return [CustomerRevenue(contact_id=row.id,
                            name=contact_display_name(row.name, row.first_name, row.is_company),
                            revenue_ht=money(row.revenue))
            for row in rows]


def aged_balance(session, client_id: int, today: dt.date,
                 customer_limit: Optional[int] = None) -> AgedBalance:
    """What the client's customers still owe, by how late it is (« balance âgée »),
    in total and per customer. One statement: the open documents get their bucket
    and amount due, are summed per customer and bucket, then named.

    Buckets compare the due date with dates computed here (today − 30, − 60, − 90
    days): the same SQL on every database, and the (client, kind, status, due date)
    index applies. `customer_limit`: keep the largest customers, sum the others."""
    limit_30, limit_60, limit_90 = overdue_limits(today)
    bucket = case(
        (or_(Invoice.due_date.is_(None), Invoice.due_date >= today), 0),
        (Invoice.due_date >= limit_30, 1),
        (Invoice.due_date >= limit_60, 2),
        (Invoice.due_date >= limit_90, 3),
        else_=4,
    )
    open_documents = (
        select(Invoice.contact_id.label("contact_id"), bucket.label("bucket"),
               amount_due_sql().label("due"))
        # Still owing at least a cent (the project's one definition, SQLite-proof).
        .where(Invoice.client_id == client_id, Invoice.kind.in_(DUE_KINDS),
               Invoice.status.in_(OPEN_STATUSES), owing_sql())
        .subquery("open_document"))
    per_customer = (
        select(open_documents.c.contact_id, open_documents.c.bucket,
               func.sum(open_documents.c.due).label("due"),
               func.count().label("documents"))
        .group_by(open_documents.c.contact_id, open_documents.c.bucket)
        .subquery("per_customer"))
    rows = session.execute(
        select(per_customer.c.contact_id, per_customer.c.bucket, per_customer.c.due,
               per_customer.c.documents, Contact.name, Contact.first_name, Contact.is_company)
        .join(Contact, (Contact.id == per_customer.c.contact_id)
              & (Contact.client_id == client_id))
    ).all()

    customers = {}
    for row in rows:
        entry = customers.setdefault(row.contact_id, {
            "name": contact_display_name(row.name, row.first_name, row.is_company),
            "amounts": {key: ZERO for key in BUCKETS}, "documents": 0})
        key = BUCKETS[int(row.bucket)]
        entry["amounts"][key] += money(row.due)
        entry["documents"] += int(row.documents)
    ranked = sorted(
        (AgedCustomer(contact_id=contact_id, name=entry["name"], amounts=entry["amounts"],
                      total=sum(entry["amounts"].values(), ZERO), documents=entry["documents"])
         for contact_id, entry in customers.items()),
        key=lambda customer: (-customer.total, customer.name.lower(), customer.contact_id))

    buckets = {key: sum((customer.amounts[key] for customer in ranked), ZERO) for key in BUCKETS}
    shown, rest = ranked, []
    if customer_limit is not None and len(ranked) > customer_limit:
        shown, rest = ranked[:customer_limit], ranked[customer_limit:]
    others = None
    if rest:
        amounts = {key: sum((customer.amounts[key] for customer in rest), ZERO) for key in BUCKETS}
        others = AgedCustomer(contact_id=None, name="", amounts=amounts,
                              total=sum(amounts.values(), ZERO),
                              documents=sum(customer.documents for customer in rest))
    return AgedBalance(today=today, buckets=buckets, total=sum(buckets.values(), ZERO),
                       documents=sum(customer.documents for customer in ranked),
                       customers=shown, others=others, other_customers=len(rest))


# Dashboard ---------------------------------------------------------------------------------

def dashboard_invoicing(session, client_ids_select, today: dt.date) -> DashboardInvoicing:
    """This month's documents across the clients in `client_ids_select` (a SELECT of
    client ids: the clients the user may see). One statement."""
    start = today.replace(day=1)
    end = add_months(start, 1)
    is_invoiced = Invoice.kind.in_(("invoice", "deposit"))
    is_credit = Invoice.kind == "credit_note"
    row = session.execute(
        select(
            func.count(Invoice.id),
            _count_where(Invoice.kind == "invoice"),
            _count_where(Invoice.kind == "deposit"),
            _count_where(is_credit),
            _sum(case((is_invoiced, Invoice.total_ht), else_=0)),
            _sum(case((is_invoiced, Invoice.total_ttc), else_=0)),
            _sum(case((is_credit, Invoice.total_ht), else_=0)),
            _sum(case((is_credit, Invoice.total_ttc), else_=0)),
        )
        .where(Invoice.client_id.in_(client_ids_select), counted(),
               Invoice.issue_date >= start, Invoice.issue_date < end)
    ).one()
    documents, invoices, deposits, credit_notes, inv_ht, inv_ttc, cred_ht, cred_ttc = row
    return DashboardInvoicing(
        month=start, documents=int(documents), invoices=int(invoices),
        deposits=int(deposits), credit_notes=int(credit_notes),
        invoiced_ht=money(inv_ht), invoiced_ttc=money(inv_ttc),
        credited_ht=money(cred_ht), credited_ttc=money(cred_ttc))


@dataclass(frozen=True)
class SpaceFigures:
    outstanding: Decimal
    overdue: Decimal
    overdue_count: int
    drafts: int
    month_ht: Decimal


def space_figures(session, client_id: int, today: dt.date) -> SpaceFigures:
    """The invoicing space's home figures, in two statements: what is still to
    collect and how much of it is late, drafts, this month's revenue excl. tax."""
    due = amount_due_sql()
    outstanding, overdue, overdue_count = session.execute(select(
        _sum(due),
        _sum(case((Invoice.due_date < today, due), else_=0)),
        func.count().filter(Invoice.due_date < today),
    ).where(Invoice.client_id == client_id, Invoice.kind.in_(DUE_KINDS),
            Invoice.status.in_(OPEN_STATUSES), owing_sql())).one()
    this_month = counted() & (Invoice.issue_date >= today.replace(day=1))
    drafts, month_ht = session.execute(select(
        func.count().filter(Invoice.status == "draft"),
        _sum(case((this_month, revenue_ht()), else_=0)),
    ).where(Invoice.client_id == client_id)).one()
    return SpaceFigures(outstanding=money(outstanding), overdue=money(overdue),
                        overdue_count=overdue_count, drafts=drafts, month_ht=money(month_ht))
