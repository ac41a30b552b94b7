"""Duplicating a plan and applying one to a client.

A duplicate is a deep copy of the plan's settings, accounts, VAT rates and
payment modes, remembering its source; the source is never touched. Applying
a plan to a client gives the client its own copy (one per client): the first
time it is created, later it is replaced in place (same plan row, new
content), so the client's documents keep pointing to « its » plan. The caller
commits.
"""
from sqlalchemy import select

from app.messages import N_, TranslatableError
from app.models import AccountingPlan, PlanAccount, PlanPaymentMode, PlanVatRate
from app.models.accounting import PLAN_COPIED_COLUMNS


class PlanError(TranslatableError):
    """A plan could not be copied or applied."""


def _copy_content(source, target):
    for column in PLAN_COPIED_COLUMNS:
        setattr(target, column, getattr(source, column))
    target.accounts = [PlanAccount(number=row.number, label=row.label, kind=row.kind)
                       for row in source.accounts]
    target.vat_rates = [PlanVatRate(rate=row.rate, label=row.label,
                                    goods_vat_account=row.goods_vat_account,
                                    services_vat_account=row.services_vat_account,
                                    goods_sales_account=row.goods_sales_account,
                                    services_sales_account=row.services_sales_account)
                        for row in source.vat_rates]
    target.payment_modes = [PlanPaymentMode(label=row.label, account=row.account,
                                            journal_code=row.journal_code)
                            for row in source.payment_modes]
    target.source_plan_id = source.id


def _name_taken(session, cabinet_id, name, exclude_id=None):
    statement = select(AccountingPlan.id).where(
        AccountingPlan.cabinet_id == cabinet_id, AccountingPlan.client_id.is_(None),
        AccountingPlan.name == name)
    if exclude_id is not None:
        statement = statement.where(AccountingPlan.id != exclude_id)
    return session.scalar(statement) is not None


def _template_name(session, cabinet_id, name, exclude_id=None):
    """A firm template's name: given, at most 120 characters, unique in the cabinet."""
    name = (name or "").strip()
    if not name:
        raise PlanError(N_("Donnez un nom au nouveau plan."))
    if len(name) > 120:
        raise PlanError(N_("Le nom du plan compte 120 caractères au plus."))
    if _name_taken(session, cabinet_id, name, exclude_id=exclude_id):
        raise PlanError(N_("Un plan du cabinet s'appelle déjà « %(name)s »."), name=name)
    return name


def rename_plan(session, plan: AccountingPlan, name: str):
    """Rename a firm template (defaults keep their name, a client's plan is named
    after its source)."""
    if plan.cabinet_id is None:
        raise PlanError(N_("Seuls les modèles du cabinet peuvent être renommés."))
    plan.name = _template_name(session, plan.cabinet_id, name, exclude_id=plan.id)
    return plan


def duplicate_plan(session, source: AccountingPlan, name: str, cabinet_id: int):
    """A firm template copied from `source` (a default, a template or a client's plan)."""
    name = _template_name(session, cabinet_id, name)
    copy = AccountingPlan(name=name, cabinet_id=cabinet_id)
    session.add(copy)
    _copy_content(source, copy)
    session.flush()
    return copy


def apply_plan(session, source: AccountingPlan, client):
    """Give `client` its own copy of `source` (replacing the content of the one it has)."""
    if source.client_id is not None:
        raise PlanError(N_("Choisissez un plan par défaut ou un modèle du cabinet."))
    own = session.scalars(select(AccountingPlan).where(
        AccountingPlan.client_id == client.id)).first()
    if own is None:
        own = AccountingPlan(client_id=client.id)
        session.add(own)
    else:
        own.accounts.clear()
        own.vat_rates.clear()
        own.payment_modes.clear()
        session.flush()
    own.name = f"{source.name} — {client.name}"[:120]
    _copy_content(source, own)
    session.flush()
    return own
