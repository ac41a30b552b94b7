"""Duplicating plans and applying them to a client (app/plans/copying.py)."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AccountingPlan, Client
from app.plans.copying import PlanError, apply_plan, duplicate_plan


def _pcg():
    return db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()


def _content(plan):
    return ([(a.number, a.label, a.kind) for a in plan.accounts],
            [(r.rate, r.goods_vat_account, r.services_sales_account) for r in plan.vat_rates],
            [(m.label, m.account, m.journal_code) for m in plan.payment_modes],
            (plan.sales_account, plan.account_length, plan.customer_account))


def test_duplicate_then_edit_leaves_the_source_untouched(app, world):
    with app.app_context():
        before = _content(_pcg())
        copy = duplicate_plan(db.session, _pcg(), "BNC libéral", world.cabinet_a)
        db.session.commit()
        assert _content(copy) == before
        assert (copy.cabinet_id, copy.source_plan_id, copy.code) == (
            world.cabinet_a, _pcg().id, None)
        copy.sales_account = "706100"
        copy.vat_rates[0].services_sales_account = "706200"
        copy.accounts[0].label = "Clients libéraux"
        db.session.commit()
        db.session.expire_all()
        assert _content(_pcg()) == before


def test_a_template_name_is_unique_in_its_cabinet(app, world):
    with app.app_context():
        duplicate_plan(db.session, _pcg(), "Commerce", world.cabinet_a)
        with pytest.raises(PlanError, match="s'appelle déjà"):
            duplicate_plan(db.session, _pcg(), " Commerce ", world.cabinet_a)
        # Another cabinet may use the same name.
        duplicate_plan(db.session, _pcg(), "Commerce", world.cabinet_b)
        with pytest.raises(PlanError, match="nom"):
            duplicate_plan(db.session, _pcg(), "  ", world.cabinet_a)
        db.session.rollback()


def test_applying_gives_the_client_its_own_copy_and_replaces_it_later(app, world):
    with app.app_context():
        template = duplicate_plan(db.session, _pcg(), "BNC libéral", world.cabinet_a)
        template.sales_account = "706100"
        client = db.session.get(Client, world.a1)
        own = apply_plan(db.session, template, client)
        db.session.commit()
        assert (own.client_id, own.source_plan_id, own.sales_account) == (
            world.a1, template.id, "706100")
        own.sales_account = "706900"               # the client's customisation
        db.session.commit()
        assert template.sales_account == "706100"  # the template is untouched

        again = apply_plan(db.session, _pcg(), client)
        db.session.commit()
        assert again.id == own.id and again.source_plan_id == _pcg().id
        assert again.sales_account == "706"
        assert len(again.accounts) == len(_pcg().accounts)
        with pytest.raises(PlanError):
            apply_plan(db.session, again, db.session.get(Client, world.a2))
        db.session.rollback()
