"""« Contrôle avant export »: everything that blocks a client's export, each
with the section where to fix it.

The check asks the same resolver the export uses (app.accounting.resolver),
once per distinct thing the selected documents need — each article, charge or
free line per rate and nature, each customer, each payment mode — so that it
costs a handful of grouped queries whatever the number of documents, and names
the first document concerned. What it cannot see before generating (an entry
that does not balance) the export itself refuses.

No Flask: messages are translated with the `gettext` the caller passes; the
caller turns a `section` into a link.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import and_, func, select

from app.accounting import resolver
from app.accounting.entries import CREDIT_NOTE, DEPOSIT, NO_SALES_JOURNAL
from app.accounting.resolver import (
    ARTICLE, CHARGE, FREE_LINE, SERVICES, ItemRef, ResolutionError,
)
from app.exports.reading import (
    Selection, client_plan, document_criteria, load_catalogue, payment_criteria,
)
from app.messages import N_
from app.models import AccountingPlan, Article, ArticleCategory, Charge, Invoice, InvoiceCharge, InvoiceLine, Payment
from app.plans.resolution import normalise_rate, plan_for_resolver

# Sections of the product where a blocker is fixed.
DOSSIER = "dossier"
PLAN = "plan"
JOURNALS = "journals"
RATES = "rates"
MODES = "modes"
ACCOUNTS = "accounts"
ARTICLES = "articles"
CATEGORIES = "categories"
CHARGES = "charges"
CONTACTS = "contacts"

SECTION_LABELS = {
    DOSSIER: N_("Fiche client › Numéro de dossier"),
    PLAN: N_("Fiche client › Comptabilité"),
    JOURNALS: N_("Plan du client › Journaux"),
    RATES: N_("Plan du client › Taux de TVA"),
    MODES: N_("Plan du client › Modes de paiement"),
    ACCOUNTS: N_("Plan du client › Plan comptable"),
    ARTICLES: N_("Plan du client › Articles"),
    CATEGORIES: N_("Plan du client › Catégories d'articles"),
    CHARGES: N_("Plan du client › Taxes, frais & remises"),
    CONTACTS: N_("Plan du client › Clients"),
}
NO_DOSSIER = N_("Aucun numéro de dossier : il relie le client à son dossier comptable et "
                "tout export l'exige.")
NO_PLAN = N_("Aucun plan comptable n'est appliqué au client.")
FIRST_DOCUMENT = N_("%(message)s (document %(number)s)")
FIRST_DOCUMENT_MORE = N_("%(message)s (%(count)d lignes, dont le document %(number)s)")
FIRST_PAYMENT = N_("%(message)s (règlement du %(date)s)")

SOURCE_SECTIONS = {
    resolver.SOURCE_ARTICLE: ARTICLES, resolver.SOURCE_CHARGE: CHARGES,
    resolver.SOURCE_CATEGORY: CATEGORIES, resolver.SOURCE_RATE: RATES,
    resolver.SOURCE_JOURNALS: JOURNALS, resolver.SOURCE_INCORPORATION: JOURNALS,
    resolver.SOURCE_CONTACT: CONTACTS, resolver.SOURCE_PAYMENT_MODE: MODES,
}


@dataclass(frozen=True)
class Blocker:
    """One reason the export is refused: the message (translated), and the
    section (`SECTION_LABELS` key) where to fix it."""
    message: str
    section: str

    def where(self, gettext: Callable) -> str:
        return gettext(SECTION_LABELS[self.section])


def _section_of(error: ResolutionError, default: str) -> str:
    if error.step is not None:
        return SOURCE_SECTIONS.get(error.step.source, default)
    if error.msgid in (resolver.RATE_UNKNOWN, *resolver.MISSING_VAT.values()):
        return RATES
    if error.msgid in (resolver.MISSING_DEPOSIT, resolver.MISSING_CUSTOMER,
                       resolver.MISSING_BANK_ACCOUNT, resolver.MISSING_BANK_JOURNAL,
                       resolver.ROOT_INVALID, resolver.ROOT_TOO_LONG, NO_SALES_JOURNAL):
        return JOURNALS
    if error.msgid in (resolver.MISSING_PAYMENT_ACCOUNT, resolver.MISSING_PAYMENT_JOURNAL):
        return MODES
    return default


class _Collector:
    """Blockers in the order found, one per message: the same missing account
    met by several groups of lines (articles of one category, several rates…)
    is said once, with one document concerned and the number of lines."""

    def __init__(self, gettext: Callable):
        self.gettext = gettext
        self._found: dict = {}        # (message, section) → _Where or None

    def add(self, message: str, section: str, where: Optional["_Where"] = None):
        key = (message, section)
        if key not in self._found:
            self._found[key] = where
        elif where is not None and self._found[key] is not None:
            self._found[key] = self._found[key].merged(where)

    def resolve(self, compute: Callable, default_section: str,
                where: Optional["_Where"] = None):
        try:
            compute()
        except ResolutionError as error:
            self.add(error.translate(self.gettext), _section_of(error, default_section), where)

    @property
    def blockers(self) -> list:
        return [Blocker(message=where.describe(message, self.gettext) if where else message,
                        section=section)
                for (message, section), where in self._found.items()]


@dataclass(frozen=True)
class _Where:
    """Where a blocker was met: one document (the smallest number, which is not
    always the oldest: AV- sorts before F-) and how many document lines, or the
    date of the first payment."""
    first: object
    lines: int = 0
    payment: bool = False

    def merged(self, other: "_Where") -> "_Where":
        return _Where(first=min(self.first, other.first), lines=self.lines + other.lines,
                      payment=self.payment)

    def describe(self, message: str, gettext: Callable) -> str:
        if self.payment:
            return gettext(FIRST_PAYMENT, message=message,
                           date=self.first.strftime("%d/%m/%Y"))
        if self.lines > 1:
            return gettext(FIRST_DOCUMENT_MORE, message=message, number=self.first,
                           count=self.lines)
        return gettext(FIRST_DOCUMENT, message=message, number=self.first)


def export_blockers(session, client, gettext: Callable,
                    selection: Optional[Selection] = None) -> list:
    """Everything that blocks the export of `selection` (by default: every
    document and payment of the client not exported yet), as Blockers."""
    found = _Collector(gettext)
    if not (client.dossier_code or "").strip():
        found.add(gettext(NO_DOSSIER), DOSSIER)
    plan_row = client_plan(session, client.id)
    if plan_row is None:
        found.add(gettext(NO_PLAN), PLAN)
        return found.blockers
    plan = plan_for_resolver(session, plan_row)
    if not (plan.settings.sales_journal or "").strip():
        found.add(gettext(NO_SALES_JOURNAL), JOURNALS)
    if selection is None:
        selection = Selection(client_id=client.id, start=dt.date.min, end=dt.date.max)
    _check_lines(session, plan, selection, found)
    _check_charges(session, plan, selection, found)
    _check_customers(session, plan, selection, found)
    _check_payments(session, plan, selection, found)
    return found.blockers


def _role_compute(plan, kind: str, item: ItemRef):
    if kind == DEPOSIT:
        return lambda: (resolver.deposit_account(plan, item.vat_rate, item.nature),
                        resolver.vat_account(plan, item.vat_rate, item.nature))
    if kind == CREDIT_NOTE:
        return lambda: (resolver.credit_note_account(plan, item),
                        resolver.vat_account(plan, item.vat_rate, item.nature))
    return lambda: (resolver.sales_account(plan, item),
                    resolver.vat_account(plan, item.vat_rate, item.nature))


def _check_lines(session, plan, selection, found: _Collector):
    rows = session.execute(
        select(Invoice.kind, InvoiceLine.article_id, InvoiceLine.nature, InvoiceLine.vat_rate,
               Article.label, Article.account, ArticleCategory.name, ArticleCategory.account,
               func.min(Invoice.number), func.count(InvoiceLine.id),
               func.min(InvoiceLine.label))
        .join(InvoiceLine, and_(InvoiceLine.client_id == Invoice.client_id,
                                InvoiceLine.invoice_id == Invoice.id))
        .outerjoin(Article, Article.id == InvoiceLine.article_id)
        .outerjoin(ArticleCategory, ArticleCategory.id == Article.category_id)
        .where(*document_criteria(selection))
        .group_by(Invoice.kind, InvoiceLine.article_id, InvoiceLine.nature, InvoiceLine.vat_rate,
                  Article.label, Article.account, ArticleCategory.name, ArticleCategory.account))
    for (kind, article_id, nature, rate, label, account, category, category_account, number,
         count, line_label) in rows:
        rate = normalise_rate(rate)
        if article_id is None:
            item = ItemRef(kind=FREE_LINE, label=line_label or "", nature=nature, vat_rate=rate)
        else:
            item = ItemRef(kind=ARTICLE, label=label or line_label or "", nature=nature,
                           vat_rate=rate, own_account=account, category_label=category,
                           category_account=category_account)
        found.resolve(_role_compute(plan, kind, item),
                      ARTICLES if article_id is not None else RATES,
                      _Where(first=number, lines=count))


def _check_charges(session, plan, selection, found: _Collector):
    rows = session.execute(
        select(Invoice.kind, InvoiceCharge.charge_id, InvoiceCharge.vat_rate, Charge.account,
               func.min(InvoiceCharge.label), func.min(Invoice.number),
               func.count(InvoiceCharge.id))
        .join(InvoiceCharge, and_(InvoiceCharge.client_id == Invoice.client_id,
                                  InvoiceCharge.invoice_id == Invoice.id))
        .outerjoin(Charge, Charge.id == InvoiceCharge.charge_id)
        .where(*document_criteria(selection))
        .group_by(Invoice.kind, InvoiceCharge.charge_id, InvoiceCharge.vat_rate, Charge.account))
    for kind, _charge_id, rate, account, label, number, count in rows:
        item = ItemRef(kind=CHARGE, label=label or "", nature=SERVICES,
                       vat_rate=normalise_rate(rate), own_account=account)
        found.resolve(_role_compute(plan, kind, item), CHARGES, _Where(first=number, lines=count))


def _check_customers(session, plan, selection, found: _Collector):
    catalogue = load_catalogue(session, selection.client_id)
    taken = set(catalogue.taken_codes)
    contact_ids = set(session.scalars(select(Invoice.contact_id).distinct()
                                      .where(*document_criteria(selection))))
    contact_ids |= set(session.scalars(select(Payment.contact_id).distinct()
                                       .where(*payment_criteria(selection))))
    for contact_id in sorted(contact_ids):
        party = catalogue.parties[contact_id]
        try:
            answer = resolver.customer_account(plan, party.name, party.auxiliary_code, taken)
        except ResolutionError as error:
            found.add(error.translate(found.gettext), _section_of(error, CONTACTS))
        else:
            if answer.derived:
                taken.add(answer.auxiliary)


def _check_payments(session, plan, selection, found: _Collector):
    rows = session.execute(select(Payment.payment_mode, func.min(Payment.date))
                           .where(*payment_criteria(selection))
                           .group_by(Payment.payment_mode))
    for mode, first_date in rows:
        found.resolve(lambda mode=mode: resolver.payment_account(plan, mode), MODES,
                      _Where(first=first_date, payment=True))


# The client list: a quick verdict for a whole page -----------------------------------

QUICK_NO_DOSSIER = N_("numéro de dossier manquant")
QUICK_NO_PLAN = N_("aucun plan comptable")
QUICK_JOURNALS = N_("journaux du plan incomplets")
# Settings every export needs, whatever the documents.
REQUIRED_SETTINGS = ("sales_journal", "customer_account", "auxiliary_root")


def quick_readiness(session, clients) -> dict:
    """client id → list of reasons (French msgids) that block every export of
    the client, for a page of the client list in one query: dossier number,
    plan, and the journal settings any entry needs. The sheet's « Contrôle
    avant export » then checks every document, article and customer."""
    clients = list(clients)
    if not clients:
        return {}
    plans = {row.client_id: row for row in session.execute(
        select(AccountingPlan.client_id, AccountingPlan.sales_journal,
               AccountingPlan.customer_account, AccountingPlan.auxiliary_root)
        .where(AccountingPlan.client_id.in_([client.id for client in clients])))}
    verdicts = {}
    for client in clients:
        reasons = []
        if not (client.dossier_code or "").strip():
            reasons.append(QUICK_NO_DOSSIER)
        plan = plans.get(client.id)
        if plan is None:
            reasons.append(QUICK_NO_PLAN)
        elif any(not (getattr(plan, name) or "").strip() for name in REQUIRED_SETTINGS):
            reasons.append(QUICK_JOURNALS)
        verdicts[client.id] = reasons
    return verdicts
