"""Writes the default plans (app.plans.default_data) and keeps them up to date:
run after every migration (`flask sync-roles`) and at start-up. Idempotent;
what a later release adds to a default plan is added, labels and settings are
refreshed, nothing a firm owns is touched (firms only own their copies)."""
from sqlalchemy import select

from app.models import AccountingPlan, PlanAccount, PlanPaymentMode, PlanVatRate
from app.plans.default_data import DEFAULT_PLANS


def sync_default_plans(session):
    """Create or refresh the default plans; the caller commits. Returns their codes."""
    for spec in DEFAULT_PLANS:
        plan = session.scalars(select(AccountingPlan).where(
            AccountingPlan.code == spec["code"]).execution_options(skip_tenant_scope=True)
        ).first()
        if plan is None:
            plan = AccountingPlan(code=spec["code"], name=spec["name"])
            session.add(plan)
        plan.name = spec["name"]
        for column, value in spec["settings"].items():
            setattr(plan, column, value)
        _sync_rows(plan.accounts, spec["accounts"], key=lambda row: row.number,
                   make=lambda number, label, kind: PlanAccount(number=number, label=label,
                                                                kind=kind),
                   spec_key=lambda item: item[0],
                   update=lambda row, item: (setattr(row, "label", item[1]),
                                             setattr(row, "kind", item[2])))
        _sync_rows(plan.vat_rates, spec["vat_rates"], key=lambda row: row.rate,
                   make=lambda **values: PlanVatRate(**values),
                   spec_key=lambda item: item["rate"],
                   update=lambda row, item: [setattr(row, name, value)
                                             for name, value in item.items()],
                   as_kwargs=True)
        _sync_rows(plan.payment_modes, spec["payment_modes"], key=lambda row: row.label,
                   make=lambda label, account, journal: PlanPaymentMode(
                       label=label, account=account, journal_code=journal),
                   spec_key=lambda item: item[0],
                   update=lambda row, item: (setattr(row, "account", item[1]),
                                             setattr(row, "journal_code", item[2])))
    session.flush()
    return [spec["code"] for spec in DEFAULT_PLANS]


def _sync_rows(collection, items, key, make, spec_key, update, as_kwargs=False):
    existing = {key(row): row for row in collection}
    for item in items:
        row = existing.get(spec_key(item))
        if row is None:
            collection.append(make(**item) if as_kwargs else make(*item))
        else:
            update(row, item)
