"""From database rows to the account resolver, for the « compte utilisé » and
its « provenance » (DESIGN.md §3, « Which account wins »).

The rule deciding which account wins lives in app.accounting.resolver (pure
Python) and only there: this module turns rows (AccountingPlan and its rates,
modes and accounts; Article, ArticleCategory, Charge, Contact, InvoiceLine)
into the resolver's frozen inputs, calls it, and turns its answer into an
`Explanation` in the screen's language. It never decides an account itself.

No Flask here: translation is done through the `gettext` callable the caller
passes (flask_babel.gettext on a screen, any `gettext(msgid, **params)`
elsewhere). Nothing is written: a contact without auxiliary code is shown the
code that would be derived (`Explanation.derived`), and storing it is the job
of whoever posts the entry.

Queries: `plan_for_resolver` reads a plan in 3 statements (rates, modes,
account numbers; plus one refresh if the plan row was expired); the
`explain_articles` / `explain_charges` / `explain_contacts` helpers explain a
page of rows in a constant number of statements (one more for the categories
of articles, or for the auxiliary codes already taken by the contacts' client).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Callable, Iterable, Optional

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from app.accounting import resolver
from app.accounting.resolver import (
    ARTICLE, CHARGE, FREE_LINE, GOODS, NATURES, SERVICES, CustomerAccount, ItemRef,
    JournalSettings, PaymentModeAccounts, PaymentResolution, Plan, Resolution,
    ResolutionError, VatRateAccounts,
)
from app.models.accounting import AccountingPlan, PlanAccount, PlanPaymentMode, PlanVatRate
from app.models.invoicing import ArticleCategory, Contact

CENT = Decimal("0.01")


def normalise_rate(value) -> Decimal:
    """A rate as read from a Numeric(5, 2) column, as a Decimal with two places:
    SQLite may hand back a float (5.5) or an odd Decimal; 5.5 → Decimal('5.50')."""
    return Decimal(str(value)).quantize(CENT)


# Rows → resolver inputs -----------------------------------------------------------------

def plan_for_resolver(session, plan_row) -> Plan:
    """The resolver's view of a plan row: its journal settings (columns of the
    row), VAT rates, payment modes and account numbers (three queries).
    A resolver.Plan is returned unchanged, an id is loaded."""
    if isinstance(plan_row, Plan):
        return plan_row
    if isinstance(plan_row, int):
        plan_row = session.get(AccountingPlan, plan_row)
    settings = JournalSettings(**{field.name: getattr(plan_row, field.name)
                                  for field in fields(JournalSettings)})
    plan_id = plan_row.id
    rates = session.execute(
        select(PlanVatRate.rate, PlanVatRate.label, PlanVatRate.goods_vat_account,
               PlanVatRate.services_vat_account, PlanVatRate.goods_sales_account,
               PlanVatRate.services_sales_account)
        .where(PlanVatRate.plan_id == plan_id).order_by(PlanVatRate.rate.desc())).all()
    modes = session.execute(
        select(PlanPaymentMode.label, PlanPaymentMode.account, PlanPaymentMode.journal_code)
        .where(PlanPaymentMode.plan_id == plan_id).order_by(PlanPaymentMode.label)).all()
    numbers = session.scalars(select(PlanAccount.number).where(
        PlanAccount.plan_id == plan_id)).all()
    return Plan(
        settings=settings,
        vat_rates=tuple(
            VatRateAccounts(rate=normalise_rate(row.rate), label=row.label or "",
                            goods_vat_account=row.goods_vat_account,
                            services_vat_account=row.services_vat_account,
                            goods_sales_account=row.goods_sales_account,
                            services_sales_account=row.services_sales_account)
            for row in rates),
        payment_modes=tuple(PaymentModeAccounts(label=row.label, account=row.account,
                                                journal_code=row.journal_code)
                            for row in modes),
        accounts=frozenset(numbers),
    )


def _article_item(article, category) -> ItemRef:
    return ItemRef(
        kind=ARTICLE, label=article.label or "", nature=article.nature,
        vat_rate=normalise_rate(article.vat_rate), own_account=article.account,
        category_label=category.name if category is not None else None,
        category_account=category.account if category is not None else None)


def item_for_article(article) -> ItemRef:
    """An article: its nature, rate, own account and its category's account."""
    return _article_item(article, article.category)


def item_for_charge(charge) -> ItemRef:
    """A tax, fee or discount (discounts too: their own account, e.g. 709, wins
    like any other item's).

    Charge has no nature column: a charge is sold as a service. The fees and
    taxes a client adds to a document (port, frais de dossier, éco-participation…)
    are ancillary services rather than goods delivered, and a discount only
    matters through its own account; so, when the charge has no account of its
    own, the VAT rate's services sales account (then the journals') applies,
    and with « split VAT by nature » the services VAT account."""
    return ItemRef(kind=CHARGE, label=charge.label or "", nature=SERVICES,
                   vat_rate=normalise_rate(charge.vat_rate), own_account=charge.account)


def item_for_line(line) -> ItemRef:
    """An invoice line: filled from an article (its accounts and category, with
    the nature and rate copied on the line), else a free line."""
    article = line.article if line.article_id is not None else None
    if article is None:
        return ItemRef(kind=FREE_LINE, label=line.label or "", nature=line.nature,
                       vat_rate=normalise_rate(line.vat_rate))
    category = article.category
    return ItemRef(kind=ARTICLE, label=article.label or line.label or "",
                   nature=line.nature, vat_rate=normalise_rate(line.vat_rate),
                   own_account=article.account,
                   category_label=category.name if category is not None else None,
                   category_account=category.account if category is not None else None)


# Resolver answers → explanations --------------------------------------------------------

@dataclass(frozen=True)
class ProvenanceStep:
    """One rule of the precedence, translated: where the account comes from
    (`source`), what that setting is (`detail`), the account as stored (None
    when not set) and whether it gave the result."""
    source: str
    detail: str
    account: Optional[str]
    used: bool


@dataclass(frozen=True)
class Explanation:
    """The « compte utilisé » of a row and its « provenance ».

    `account` is the padded account (« general / auxiliary » for a customer),
    None when it cannot be resolved, `error` then says why (translated).
    `provenance` lists every step of the precedence, most specific first
    (`used` marks the ones that gave the result). For a payment mode,
    `journal` is the journal code and its steps follow the account's in
    `provenance`. For a customer, `auxiliary` is the code and `derived` tells
    that it is not stored on the contact yet but would be derived (and kept)."""
    account: Optional[str]
    provenance: tuple = ()
    error: Optional[str] = None
    journal: Optional[str] = None
    auxiliary: Optional[str] = None
    derived: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def _translate_steps(steps, gettext) -> tuple:
    return tuple(ProvenanceStep(source=gettext(step.source), detail=step.describe(gettext),
                                account=step.account, used=step.used)
                 for step in steps)


def explain(compute: Callable, gettext: Callable) -> Explanation:
    """Call `compute()` (a resolver call) and explain its answer in the
    language of `gettext`; a ResolutionError becomes `Explanation.error`."""
    try:
        result = compute()
    except ResolutionError as error:
        return Explanation(account=None, provenance=(), error=error.translate(gettext))
    if isinstance(result, CustomerAccount):
        return Explanation(account=f"{result.general} / {result.auxiliary}",
                           provenance=_translate_steps(result.steps, gettext),
                           auxiliary=result.auxiliary, derived=result.derived)
    if isinstance(result, PaymentResolution):
        return Explanation(account=result.account, journal=result.journal_code,
                           provenance=_translate_steps(result.steps + result.journal_steps,
                                                       gettext))
    if isinstance(result, Resolution):
        return Explanation(account=result.account,
                           provenance=_translate_steps(result.steps, gettext))
    raise TypeError(f"explain: unexpected resolver answer {result!r}")


# One row --------------------------------------------------------------------------------

def explain_article(plan: Plan, article, gettext: Callable) -> Explanation:
    """The sales account of an article."""
    return explain(lambda: resolver.sales_account(plan, item_for_article(article)), gettext)


def explain_charge(plan: Plan, charge, gettext: Callable) -> Explanation:
    """The account of a tax, fee or discount (the sales-account precedence)."""
    return explain(lambda: resolver.sales_account(plan, item_for_charge(charge)), gettext)


def explain_line(plan: Plan, line, gettext: Callable) -> Explanation:
    """The sales account of an invoice line."""
    return explain(lambda: resolver.sales_account(plan, item_for_line(line)), gettext)


def explain_contact(plan: Plan, contact, gettext: Callable,
                    taken: Iterable[str] = ()) -> Explanation:
    """The customer account of a contact: « 41100000 / CDUPONT ». Without
    auxiliary code, the code that would be derived, unique against `taken`
    (the client's codes already used), with `derived=True`; nothing is stored."""
    return explain(lambda: resolver.customer_account(
        plan, contact.name, contact.auxiliary_account, taken), gettext)


def explain_vat_rate(plan: Plan, rate_row, gettext: Callable) -> dict:
    """Per nature ('goods', 'services'): {'vat': the VAT account, 'sales': the
    sales account of a free line of that nature at this rate}."""
    rate = normalise_rate(rate_row.rate)
    label = rate_row.label or resolver.format_rate(rate)
    explained = {}
    for nature in NATURES:
        item = ItemRef(kind=FREE_LINE, label=label, nature=nature, vat_rate=rate)
        explained[nature] = {
            "vat": explain(lambda nature=nature: resolver.vat_account(plan, rate, nature),
                           gettext),
            "sales": explain(lambda item=item: resolver.sales_account(plan, item), gettext),
        }
    return explained


def explain_payment_mode(plan: Plan, label: Optional[str], gettext: Callable) -> Explanation:
    """The account and journal of the payments of a mode (by label)."""
    return explain(lambda: resolver.payment_account(plan, label), gettext)


# A page of rows -------------------------------------------------------------------------

def _categories(session, articles) -> dict:
    """article → category, loading in one query the categories not loaded yet."""
    missing = {article.category_id for article in articles
               if article.category_id is not None
               and "category" in sa_inspect(article).unloaded}
    loaded = {}
    if missing:
        loaded = {category.id: category for category in session.scalars(
            select(ArticleCategory).where(ArticleCategory.id.in_(missing)))}
    found = {}
    for article in articles:
        if article.category_id is not None and "category" in sa_inspect(article).unloaded:
            found[id(article)] = loaded.get(article.category_id)
        else:
            found[id(article)] = article.category
    return found


def explain_articles(session, plan_row, articles, gettext: Callable) -> dict:
    """article id → Explanation for a page of articles (categories loaded in
    one query when the rows did not load them). `plan_row` may already be a
    resolver.Plan."""
    plan = plan_for_resolver(session, plan_row)
    articles = list(articles)
    categories = _categories(session, articles)
    return {article.id: explain(
        lambda article=article: resolver.sales_account(
            plan, _article_item(article, categories[id(article)])), gettext)
        for article in articles}


def explain_charges(session, plan_row, charges, gettext: Callable) -> dict:
    """charge id → Explanation for a page of charges."""
    plan = plan_for_resolver(session, plan_row)
    return {charge.id: explain_charge(plan, charge, gettext) for charge in charges}


def explain_contacts(session, plan_row, contacts, gettext: Callable) -> dict:
    """contact id → Explanation for a page of contacts. Derived codes are made
    unique against the codes the client's contacts already have (one query)
    and against those derived before them on the page, in the page's order."""
    plan = plan_for_resolver(session, plan_row)
    contacts = list(contacts)
    taken = {}
    client_ids = {contact.client_id for contact in contacts
                  if contact.auxiliary_account is None and contact.client_id is not None}
    if client_ids:
        for client_id, code in session.execute(
                select(Contact.client_id, Contact.auxiliary_account).where(
                    Contact.client_id.in_(client_ids),
                    Contact.auxiliary_account.is_not(None))):
            taken.setdefault(client_id, set()).add(code)
    explained = {}
    for contact in contacts:
        codes = taken.setdefault(contact.client_id, set())
        explanation = explain_contact(plan, contact, gettext, taken=codes)
        if explanation.derived and explanation.auxiliary:
            codes.add(explanation.auxiliary)
        explained[contact.id] = explanation
    return explained


__all__ = [
    "Explanation", "ProvenanceStep", "explain", "explain_article", "explain_articles",
    "explain_charge", "explain_charges", "explain_contact", "explain_contacts",
    "explain_line", "explain_payment_mode", "explain_vat_rate", "item_for_article",
    "item_for_charge", "item_for_line", "normalise_rate", "plan_for_resolver",
    "GOODS", "SERVICES",
]
