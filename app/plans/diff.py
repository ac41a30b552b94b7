"""What applying a plan to a client would change (shown before confirming).

Applying replaces the client's plan content with a copy of the chosen plan
(app.plans.copying.apply_plan): the journal settings, the accounts, the VAT
rates and the payment modes. This module compares the two, section by
section, and lists the client's own records (categories, articles, charges)
whose account the new plan does not hold, which the export would then refuse.
Messages are French msgids (N_); the screen translates them.
"""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.messages import N_
from app.models import Article, ArticleCategory, Charge
from app.models.accounting import ACCOUNT_KIND_LABELS, PLAN_COPIED_COLUMNS, SETTING_LABELS
from app.plans.rules import account_in_plan

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

SECTION_SETTINGS = N_("Journaux")
SECTION_ACCOUNTS = N_("Plan comptable")
SECTION_RATES = N_("Taux de TVA")
SECTION_MODES = N_("Modes de paiement")

ACCOUNT_LABELS = {"label": N_("Libellé"), "kind": N_("Type")}
RATE_LABELS = {
    "label": N_("Libellé"),
    "goods_vat_account": N_("TVA des biens"),
    "goods_sales_account": N_("Vente des biens"),
    "services_vat_account": N_("TVA des services"),
    "services_sales_account": N_("Vente des services"),
}
MODE_LABELS = {"account": N_("Compte"), "journal_code": N_("Code journal")}

RECORD_CATEGORY = N_("Catégorie d'articles")
RECORD_ARTICLE = N_("Article")
RECORD_CHARGE = N_("Taxe, frais ou remise")


@dataclass(frozen=True)
class Change:
    section: str          # msgid
    record: str           # what changes (« 706000 Prestations de services », « 20 % »…)
    change: str           # ADDED, REMOVED or CHANGED
    field: str = ""       # msgid of the field, for CHANGED
    old: object = None
    new: object = None


@dataclass(frozen=True)
class Orphan:
    """A client record whose account the new plan lacks."""
    kind: str             # msgid
    record: str
    account: str


def _rate_key(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _rate_label(value) -> str:
    text = format(_rate_key(value).normalize(), "f")
    return f"{text.replace('.', ',')} %"


def _compare_fields(section, record, old_row, new_row, labels, translate_values=None):
    changes = []
    for column, label in labels.items():
        old, new = getattr(old_row, column), getattr(new_row, column)
        if (old or None) != (new or None):
            if translate_values and column in translate_values:
                old, new = translate_values[column].get(old, old), translate_values[column].get(new, new)
            changes.append(Change(section, record, CHANGED, label, old, new))
    return changes


def _compare_rows(section, current_rows, source_rows, key, describe, labels, **options):
    current = {key(row): row for row in current_rows}
    source = {key(row): row for row in source_rows}
    changes = []
    for name in sorted(current.keys() | source.keys()):
        if name not in source:
            changes.append(Change(section, describe(current[name]), REMOVED))
        elif name not in current:
            changes.append(Change(section, describe(source[name]), ADDED))
        else:
            changes += _compare_fields(section, describe(source[name]), current[name],
                                       source[name], labels, **options)
    return changes


def plan_diff(current, source) -> list:
    """Changes from the client's `current` plan to a copy of `source`."""
    changes = []
    for column in PLAN_COPIED_COLUMNS:
        old, new = getattr(current, column), getattr(source, column)
        if (old if old not in ("", None) else None) != (new if new not in ("", None) else None):
            changes.append(Change(SECTION_SETTINGS, "", CHANGED, SETTING_LABELS[column], old, new))
    changes += _compare_rows(SECTION_ACCOUNTS, current.accounts, source.accounts,
                             key=lambda row: row.number,
                             describe=lambda row: f"{row.number} {row.label}",
                             labels=ACCOUNT_LABELS,
                             translate_values={"kind": ACCOUNT_KIND_LABELS})
    changes += _compare_rows(SECTION_RATES, current.vat_rates, source.vat_rates,
                             key=lambda row: _rate_key(row.rate),
                             describe=lambda row: _rate_label(row.rate), labels=RATE_LABELS)
    changes += _compare_rows(SECTION_MODES, current.payment_modes, source.payment_modes,
                             key=lambda row: row.label, describe=lambda row: row.label,
                             labels=MODE_LABELS)
    return changes


def orphaned_records(session, client_id, source, limit=50) -> list:
    """The client's categories, articles and charges whose own account `source`
    does not hold (at most `limit`)."""
    numbers = {row.number for row in source.accounts}
    orphans = []
    for model, kind, describe in (
            (ArticleCategory, RECORD_CATEGORY, lambda row: row.name),
            (Article, RECORD_ARTICLE, lambda row: row.label),
            (Charge, RECORD_CHARGE, lambda row: row.label)):
        rows = session.execute(select(model).where(
            model.client_id == client_id, model.account.is_not(None), model.account != "")
        ).scalars()
        for row in rows:
            if not account_in_plan(row.account, numbers, source.account_length):
                orphans.append(Orphan(kind, describe(row), row.account))
                if len(orphans) >= limit:
                    return orphans
    return orphans
