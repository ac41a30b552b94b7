"""History of a chart of accounts: who changed which accounting setting, when,
from what to what (read from SQLAlchemy-Continuum's version tables, see
app/models/versioning.py). No Flask here: the screen passes its `gettext`.

A firm template or a default plan: its « Journaux » (the plan row: name and
journal settings) and its accounts, VAT rates and payment modes. A client's own
plan: also the account fields of the client's article categories, articles,
charges and contacts — changes of those fields only (an article's price is not
versioned at all; an article created without an account is not listed).

Queries: one per section (four for a template, eight for a client's plan), each
bounded by `limit`, plus one for the client's creation date. Each query reads a
section's latest versions with their previous version (window function LAG,
then a join), so Continuum's `changeset` needs no query per version.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy_continuum import Operation, version_class

from app.messages import N_
from app.models import (
    AccountingPlan, Article, ArticleCategory, Charge, Client, Contact, PlanAccount,
    PlanPaymentMode, PlanVatRate,
)
from app.models.accounting import ACCOUNT_KIND_LABELS, SETTING_LABELS
from app.models.versioning import transaction_class

YES, NO = N_("Oui"), N_("Non")
OPERATION_LABELS = {Operation.INSERT: N_("Création"), Operation.UPDATE: N_("Modification"),
                    Operation.DELETE: N_("Suppression")}

# The French label of every column shown, per versioned table, in display order.
FIELD_LABELS = {
    "accounting_plan": {
        "name": N_("Nom du plan"),
        **SETTING_LABELS,
    },
    "plan_account": {"number": N_("Numéro"), "label": N_("Libellé"), "kind": N_("Type")},
    "plan_vat_rate": {
        "rate": N_("Taux"), "label": N_("Libellé"),
        "goods_vat_account": N_("TVA des biens"),
        "services_vat_account": N_("TVA des services"),
        "goods_sales_account": N_("Vente des biens"),
        "services_sales_account": N_("Vente des services"),
    },
    "plan_payment_mode": {"label": N_("Mode de paiement"), "account": N_("Compte"),
                          "journal_code": N_("Code journal")},
    "article_category": {"account": N_("Compte de vente")},
    "article": {"account": N_("Compte de vente")},
    "charge": {"account": N_("Compte")},
    "contact": {"auxiliary_account": N_("Compte auxiliaire")},
}


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime          # naive UTC, like every timestamp of the project
    user: Optional[str]      # None: a change made outside a request (« Système »)
    section: str
    record: str
    field: str
    old: Optional[str]       # None: no value
    new: Optional[str]
    operation: str


def _rate_text(value):
    rate = Decimal(str(value)).quantize(Decimal("0.01")).normalize()
    return f"{rate:f} %".replace(".", ",")


def _contact_label(version):
    if version.is_company or not version.first_name:
        return version.name
    return f"{version.first_name} {version.name}"


@dataclass(frozen=True)
class _Section:
    model: type
    title: str
    owner: str                       # the version column that ties a row to the plan
    record: Callable                 # version → label of the record
    client_data: bool = False        # only the account field; rows of the plan's client

    @property
    def fields(self):
        return FIELD_LABELS[self.model.__tablename__]


PLAN_SECTIONS = (
    _Section(AccountingPlan, N_("Journaux"), "id", lambda v: v.name),
    _Section(PlanAccount, N_("Plan comptable"), "plan_id",
             lambda v: f"{v.number} {v.label}"),
    _Section(PlanVatRate, N_("Taux de TVA"), "plan_id", lambda v: _rate_text(v.rate)),
    _Section(PlanPaymentMode, N_("Modes de paiement"), "plan_id", lambda v: v.label),
)
CLIENT_SECTIONS = (
    _Section(ArticleCategory, N_("Catégories d'articles"), "client_id", lambda v: v.name, True),
    _Section(Article, N_("Articles"), "client_id", lambda v: v.label, True),
    _Section(Charge, N_("Taxes, frais & remises"), "client_id", lambda v: v.label, True),
    _Section(Contact, N_("Clients"), "client_id", _contact_label, True),
)

# A client id may be given again after its client is deleted (SQLite reuses the
# highest id): versions older than the client are another client's. The margin
# covers a row created in the same flush as its client (the transaction is
# stamped just before the flush, the client during it).
CLIENT_CREATION_MARGIN = dt.timedelta(minutes=1)


def plan_history(session, plan, gettext, limit=200) -> list:
    """The latest `limit` changes of `plan`'s accounting settings, newest first."""
    plan_start = _plan_start(plan)
    sections = [(section, plan.id, plan_start) for section in PLAN_SECTIONS]
    if plan.client_id is not None:
        created_at = session.scalar(select(Client.__table__.c.created_at).where(
            Client.__table__.c.id == plan.client_id))
        since = created_at - CLIENT_CREATION_MARGIN if created_at is not None else None
        sections += [(section, plan.client_id, since) for section in CLIENT_SECTIONS]
    keyed = []
    for order, (section, owner_id, start) in enumerate(sections):
        for version, transaction in _latest_versions(session, section, owner_id, start, limit):
            record = section.record(version) or ""
            for position, entry in _entries(section, version, transaction, record, gettext):
                # Newest first; within one transaction, in the screen's order.
                keyed.append(((-transaction.id, order, record, version.id, position), entry))
    keyed.sort(key=lambda item: item[0])
    return [entry for _, entry in keyed[:limit]]


def _plan_start(plan):
    """The transaction that created the plan row (its id may be an older plan's on
    SQLite): the plan's own history starts there."""
    PlanVersion = version_class(AccountingPlan)
    return select(func.max(PlanVersion.transaction_id)).where(
        PlanVersion.id == plan.id,
        PlanVersion.operation_type == Operation.INSERT).scalar_subquery()


def _latest_versions(session, section, owner_id, start, limit):
    """The section's latest versions that make entries, each with its previous
    version linked (for Continuum's `changeset`) and its transaction."""
    Version = version_class(section.model)
    Transaction = transaction_class()
    owner = getattr(Version, section.owner)
    window = {"partition_by": Version.id, "order_by": Version.transaction_id}
    columns = [Version.id, Version.transaction_id, Version.operation_type,
               func.lag(Version.transaction_id).over(**window).label("previous_id")]
    if section.client_data:
        (field,) = section.fields
        columns += [getattr(Version, field).label("value"),
                    func.lag(getattr(Version, field)).over(**window).label("previous_value")]
    # The window sees all the versions of the owner's rows; the filters come after.
    ranked = select(*columns).where(owner == owner_id).subquery()
    Previous = aliased(Version)
    statement = (
        select(Version, Previous, Transaction)
        .join(ranked, and_(Version.id == ranked.c.id,
                           Version.transaction_id == ranked.c.transaction_id))
        .join(Transaction, Transaction.id == ranked.c.transaction_id)
        .outerjoin(Previous, and_(Previous.id == ranked.c.id,
                                  Previous.transaction_id == ranked.c.previous_id))
        # The starting state recorded by the migration has no date: not a change.
        .where(Transaction.issued_at.is_not(None))
    )
    if section.client_data:
        statement = statement.where(
            or_(and_(ranked.c.operation_type == Operation.UPDATE,
                     ranked.c.value.is_distinct_from(ranked.c.previous_value)),
                and_(ranked.c.operation_type != Operation.UPDATE,
                     ranked.c.value.is_not(None), ranked.c.value != "")))
        if start is not None:
            statement = statement.where(Transaction.issued_at >= start)
    else:
        statement = statement.where(ranked.c.transaction_id >= func.coalesce(start, 0))
    statement = statement.order_by(ranked.c.transaction_id.desc(), ranked.c.id).limit(limit)
    rows = session.execute(statement).all()
    for version, previous, transaction in rows:
        # A creation has no previous version (an older one would be another row's
        # that had the same id).
        version._previous_cache = None if version.operation_type == Operation.INSERT \
            else previous
        version._cache_populated = True
        yield version, transaction


def _entries(section, version, transaction, record, gettext):
    operation = version.operation_type
    if operation == Operation.DELETE:
        # The deleted row's last values.
        changes = {key: [getattr(version, key), None] for key in section.fields}
    else:
        changes = version.changeset
    for position, (key, label) in enumerate(section.fields.items()):
        if key not in changes:
            continue
        old, new = (_text(key, value, gettext) for value in changes[key])
        if old == new or (operation != Operation.UPDATE and old is None and new is None):
            continue
        entry = HistoryEntry(
            at=transaction.issued_at, user=transaction.user_name,
            section=gettext(section.title), record=record, field=gettext(label),
            old=old, new=new, operation=gettext(OPERATION_LABELS[operation]))
        yield position, entry


def _text(key, value, gettext):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return gettext(YES) if value else gettext(NO)
    if key == "rate":
        return _rate_text(value)
    if key == "kind":
        return gettext(ACCOUNT_KIND_LABELS.get(value, value))
    return str(value)
