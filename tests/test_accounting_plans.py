"""Charts of accounts: the default plans and the tenant rule of plans
(app/models/accounting.py, app/plans/defaults.py, app/security/tenancy.py)."""
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AccountingPlan, AppUser, PlanAccount, PlanPaymentMode, PlanVatRate
from app.plans.defaults import sync_default_plans
from app.security.tenancy import scope_for_user, visible_criteria


def _default(code):
    return db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == code)).one()


def test_the_default_plans_hold_the_pcg(app, world):
    with app.app_context():
        pcg = _default("pcg")
        assert pcg.name == "Plan comptable général" and pcg.is_default
        assert {"411000", "4191", "44571200", "512", "706", "707", "709"} <= {
            account.number for account in pcg.accounts}
        assert [rate.rate for rate in pcg.vat_rates] == [D("20"), D("10"), D("5.5"),
                                                         D("2.1"), D("0")]
        twenty = pcg.vat_rates[0]
        assert (twenty.goods_vat_account, twenty.goods_sales_account,
                twenty.services_sales_account) == ("44571200", "707", "706")
        assert {mode.label: mode.account for mode in pcg.payment_modes} == {
            "Virement": "512", "Chèque": "5112", "Espèces": "530", "Carte bancaire": "512",
            "Prélèvement": "512"}
        assert (pcg.customer_account, pcg.sales_account, pcg.deposit_account,
                pcg.account_length) == ("411000", "706", "4191", 8)
        overseas = _default("pcg-dom")
        assert [rate.rate for rate in overseas.vat_rates] == [D("8.5"), D("2.1"), D("1.05"),
                                                              D("0")]


def test_syncing_again_adds_nothing_and_restores_what_changed(app, world):
    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(model))
                  for model in (AccountingPlan, PlanAccount, PlanVatRate, PlanPaymentMode)]
        pcg = _default("pcg")
        pcg.accounts[0].label = "Modifié"
        pcg.sales_account = "999"
        db.session.delete(pcg.payment_modes[0])
        db.session.commit()
        sync_default_plans(db.session)
        db.session.commit()
        pcg = _default("pcg")
        assert pcg.sales_account == "706" and "Modifié" not in [a.label for a in pcg.accounts]
        assert [db.session.scalar(select(func.count()).select_from(model))
                for model in (AccountingPlan, PlanAccount, PlanVatRate, PlanPaymentMode)
                ] == counts


def test_a_plan_has_one_owner_at_most(app, world):
    with app.app_context():
        db.session.add(AccountingPlan(name="Double", cabinet_id=world.cabinet_a,
                                      client_id=world.a1))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


@pytest.fixture
def plans(app, world):
    """A template of each cabinet and a plan for clients a1, a2 and b1."""
    with app.app_context():
        made = {
            "firm_a": AccountingPlan(name="BNC libéral", cabinet_id=world.cabinet_a),
            "firm_b": AccountingPlan(name="Commerce", cabinet_id=world.cabinet_b),
            "a1": AccountingPlan(name="Alpha Un", client_id=world.a1),
            "a2": AccountingPlan(name="Alpha Deux", client_id=world.a2),
            "b1": AccountingPlan(name="Bêta Un", client_id=world.b1),
        }
        for plan in made.values():
            plan.accounts.append(PlanAccount(number="706", label="Prestations", kind="sales"))
        db.session.add_all(made.values())
        db.session.commit()
        ids = {key: plan.id for key, plan in made.items()}
        ids["pcg"], ids["pcg-dom"] = _default("pcg").id, _default("pcg-dom").id
        db.session.remove()
        return ids


VISIBLE = {
    "owner_a": {"pcg", "pcg-dom", "firm_a", "a1", "a2"},
    "collab_a": {"pcg", "pcg-dom", "firm_a", "a1", "a2"},
    "restricted_a": {"pcg", "pcg-dom", "firm_a", "a1"},
    "collab_b": {"pcg", "pcg-dom", "firm_b", "b1"},
    "client_a1": {"a1"},
}


@pytest.mark.parametrize("login", sorted(VISIBLE))
def test_plans_and_their_rows_follow_the_tenant_rule(app, world, plans, login):
    with app.app_context():
        user = db.session.scalars(select(AppUser).where(AppUser.username == login)).one()
        scope = scope_for_user(user)
        seen = set(db.session.scalars(select(AccountingPlan.id).where(
            visible_criteria(AccountingPlan, scope))))
        assert seen == {plans[key] for key in VISIBLE[login]}
        rows = set(db.session.scalars(select(PlanAccount.plan_id).where(
            visible_criteria(PlanAccount, scope))))
        assert rows == seen


def test_the_orm_backstop_narrows_plan_queries_made_anywhere(app, world, plans):
    """A query written without any tenant filter, during collab_b's request."""
    from flask import g

    with app.app_context():
        user = db.session.scalars(select(AppUser).where(AppUser.username == "collab_b")).one()
        scope = scope_for_user(user)
        db.session.remove()
    with app.test_request_context("/"):
        g._tenant_scope = scope
        names = set(db.session.scalars(select(AccountingPlan.name)))
        numbers = db.session.scalar(select(func.count()).select_from(PlanAccount)
                                    .where(PlanAccount.plan_id == plans["firm_a"]))
        db.session.remove()
    assert "BNC libéral" not in names and "Alpha Un" not in names
    assert {"Commerce", "Bêta Un", "Plan comptable général"} <= names
    assert numbers == 0
