"""History of the accounting settings (app/plans/history.py over SQLAlchemy-Continuum,
app/models/versioning.py): sections, records, fields, old and new values,
operations, the user who made the change, and what never appears."""
from decimal import Decimal

import pytest
from flask_login import login_user
from sqlalchemy import event, select

from app.extensions import db
from app.models import (
    AccountingPlan, AppUser, Article, ArticleCategory, Charge, Client, Contact, PlanAccount,
)
from app.plans.copying import apply_plan, duplicate_plan
from app.plans.history import HistoryEntry, plan_history


def identity(message, **params):
    return message % params if params else message


def _pcg():
    return db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()


def _history(plan_id, **kwargs):
    return plan_history(db.session, db.session.get(AccountingPlan, plan_id), identity, **kwargs)


def _changes(entries, **criteria):
    """(record, field, old, new, operation) of the entries matching criteria."""
    return [(e.record, e.field, e.old, e.new, e.operation) for e in entries
            if all(getattr(e, name) == value for name, value in criteria.items())]


@pytest.fixture
def template(app, world):
    with app.app_context():
        plan = duplicate_plan(db.session, _pcg(), "BNC libéral", world.cabinet_a)
        db.session.commit()
        return plan.id


@pytest.fixture
def client_plan(app, world, template):
    """a1's own plan (from the template) and an article with an account."""
    with app.app_context():
        plan = apply_plan(db.session, db.session.get(AccountingPlan, template),
                          db.session.get(Client, world.a1))
        db.session.add(Article(client_id=world.a1, label="Consultation", nature="services",
                               vat_rate=Decimal("20"), unit_price_ht=Decimal("80"),
                               account="706100"))
        db.session.commit()
        return plan.id


def test_a_changed_journal_setting_with_its_old_and_new_value(app, template):
    with app.app_context():
        plan = db.session.get(AccountingPlan, template)
        plan.sales_account = "706100"
        plan.account_length = 10
        plan.incorporate_vat_article = True
        db.session.commit()
        entries = _history(template)
        latest = [e for e in entries if e.at == entries[0].at]
        assert _changes(latest) == [
            ("BNC libéral", "Taille des comptes", "8", "10", "Modification"),
            ("BNC libéral", "Compte de vente", "706", "706100", "Modification"),
            ("BNC libéral", "Incorporer TVA : articles", "Non", "Oui", "Modification"),
        ]
        assert {(e.section, e.user) for e in latest} == {("Journaux", None)}
        assert all(isinstance(e, HistoryEntry) for e in entries)
        # The duplicate itself is the oldest part: the plan and its rows created.
        assert ("BNC libéral", "Compte de vente", None, "706", "Création") in _changes(entries)
        assert ("706 Prestations de services", "Numéro", None, "706", "Création") in \
            _changes(entries, section="Plan comptable")


def test_an_account_added_then_deleted(app, template):
    with app.app_context():
        plan = db.session.get(AccountingPlan, template)
        plan.accounts.append(PlanAccount(number="706100", label="Honoraires", kind="sales"))
        db.session.commit()
        added = _history(template)
        assert _changes(added[:3]) == [
            ("706100 Honoraires", "Numéro", None, "706100", "Création"),
            ("706100 Honoraires", "Libellé", None, "Honoraires", "Création"),
            ("706100 Honoraires", "Type", None, "Vente", "Création"),
        ]
        assert {e.section for e in added[:3]} == {"Plan comptable"}

        account = db.session.scalars(select(PlanAccount).where(
            PlanAccount.plan_id == template, PlanAccount.number == "706100")).one()
        account.label = "Honoraires libéraux"
        db.session.commit()
        db.session.delete(account)
        db.session.commit()
        entries = _history(template)
        assert _changes(entries[:4]) == [
            ("706100 Honoraires libéraux", "Numéro", "706100", None, "Suppression"),
            ("706100 Honoraires libéraux", "Libellé", "Honoraires libéraux", None, "Suppression"),
            ("706100 Honoraires libéraux", "Type", "Vente", None, "Suppression"),
            ("706100 Honoraires libéraux", "Libellé", "Honoraires", "Honoraires libéraux",
             "Modification"),
        ]
        assert entries[0].at >= entries[3].at >= added[0].at


def test_a_vat_rate_and_a_payment_mode_changed(app, template):
    with app.app_context():
        plan = db.session.get(AccountingPlan, template)
        rate = next(r for r in plan.vat_rates if r.rate == Decimal("20"))
        old_account = rate.services_sales_account
        rate.services_sales_account = "706200"
        reduced = next(r for r in plan.vat_rates if r.rate == Decimal("5.5"))
        reduced.goods_vat_account = "44571056"
        cheque = next(m for m in plan.payment_modes if m.label == "Chèque")
        cheque.journal_code = "CH"
        db.session.commit()
        entries = _history(template)
        assert ("20 %", "Vente des services", old_account, "706200", "Modification") in \
            _changes(entries, section="Taux de TVA")
        assert reduced_old(entries) == "44571055"
        assert _changes(entries, section="Taux de TVA", record="5,5 %",
                        operation="Modification") == [
            ("5,5 %", "TVA des biens", "44571055", "44571056", "Modification")]
        assert _changes(entries, section="Modes de paiement", operation="Modification") == [
            ("Chèque", "Code journal", "BQ", "CH", "Modification")]


def reduced_old(entries):
    """The 5.5 % rate's goods VAT account when it was created."""
    return next(e.new for e in entries if e.section == "Taux de TVA" and e.record == "5,5 %"
                and e.field == "TVA des biens" and e.operation == "Création")


def test_a_client_plan_also_shows_the_account_fields_of_the_clients_data(app, world,
                                                                          client_plan):
    with app.app_context():
        article = db.session.scalars(select(Article).where(Article.label == "Consultation")).one()
        article.account = "706300"
        article.unit_price_ht = Decimal("95")        # not an accounting setting
        db.session.add(Article(client_id=world.a1, label="Sans compte", nature="goods",
                               vat_rate=Decimal("20"), unit_price_ht=Decimal("10")))
        db.session.add(ArticleCategory(client_id=world.a1, name="Honoraires", account="706400"))
        db.session.add(Charge(client_id=world.a1, kind="fee", label="Frais de port",
                              amount=Decimal("5"), vat_rate=Decimal("20"), account="7085"))
        contact = Contact(client_id=world.a1, name="Martin", first_name="Léa", is_company=False)
        db.session.add(contact)
        db.session.commit()
        contact.auxiliary_account = "CMARTIN"
        contact.city = "Lyon"                        # not versioned
        db.session.commit()

        entries = _history(client_plan)
        assert _changes(entries, section="Articles") == [
            ("Consultation", "Compte de vente", "706100", "706300", "Modification"),
            ("Consultation", "Compte de vente", None, "706100", "Création"),
        ]
        assert _changes(entries, section="Catégories d'articles") == [
            ("Honoraires", "Compte de vente", None, "706400", "Création")]
        assert _changes(entries, section="Taxes, frais & remises") == [
            ("Frais de port", "Compte", None, "7085", "Création")]
        assert _changes(entries, section="Clients") == [
            ("Léa Martin", "Compte auxiliaire", None, "CMARTIN", "Modification")]
        # A template's history has no client sections.
        template_plan = db.session.get(AccountingPlan, client_plan).source_plan_id
        assert {e.section for e in _history(template_plan)} <= {
            "Journaux", "Plan comptable", "Taux de TVA", "Modes de paiement"}


def test_a_price_change_alone_writes_no_history(app, world, client_plan):
    with app.app_context():
        before = _history(client_plan)
        article = db.session.scalars(select(Article).where(Article.label == "Consultation")).one()
        article.unit_price_ht = Decimal("120")
        article.nature = "goods"
        db.session.commit()
        assert _history(client_plan) == before
        # Not even a version row: the price is excluded from versioning.
        assert article.versions.count() == 1


def test_changes_of_another_plan_or_client_never_appear(app, world, client_plan, template):
    with app.app_context():
        other_template = duplicate_plan(db.session, _pcg(), "Modèle Bêta", world.cabinet_b)
        a2_plan = apply_plan(db.session, db.session.get(AccountingPlan, template),
                             db.session.get(Client, world.a2))
        db.session.add(Article(client_id=world.b1, label="Article Bêta", nature="goods",
                               vat_rate=Decimal("20"), unit_price_ht=Decimal("1"),
                               account="707999"))
        db.session.add(Contact(client_id=world.a2, name="Client de a2", auxiliary_account="CA2"))
        db.session.commit()
        before = _history(client_plan)
        other_template.sales_account = "706999"
        a2_plan.sales_account = "706998"
        db.session.commit()
        entries = _history(client_plan)
        assert entries == before
        assert not [e for e in entries if "999" in (e.new or "") or "998" in (e.new or "")
                    or e.record in ("Article Bêta", "Client de a2", "Modèle Bêta")]
        assert _changes(_history(other_template.id), field="Compte de vente",
                        operation="Modification") == [
            ("Modèle Bêta", "Compte de vente", "706", "706999", "Modification")]
        # The template a1's plan came from has its own history, not a1's.
        assert not _changes(_history(template), section="Articles")


def test_the_user_is_recorded_for_a_change_made_in_a_request(app, world, template, browser):
    user = browser("owner_a")
    token = user.csrf(f"/comptabilite/plans/{template}/journaux")
    with app.app_context():
        plan = db.session.get(AccountingPlan, template)
        form = {name: getattr(plan, name) for name in (
            "account_length", "sales_journal", "customer_account", "auxiliary_root",
            "sales_account", "deposit_account", "credit_note_account", "bank_journal",
            "bank_account")}
    form = {name: "" if value is None else str(value) for name, value in form.items()}
    form.update(sales_journal="VT", csrf_token=token)
    response = user.post(f"/comptabilite/plans/{template}/journaux", data=form)
    assert response.status_code == 302, response.text[:500]
    with app.app_context():
        entries = _history(template)
        assert _changes(entries[:1]) == [
            ("BNC libéral", "Journal des ventes", "VE", "VT", "Modification")]
        assert entries[0].user == "Olivia Alpha"
        # The history screen shows it.
        page = user.get(f"/comptabilite/plans/{template}/historique").text
        assert "Journal des ventes" in page and "Olivia Alpha" in page


def test_the_user_of_a_test_request_context_and_none_outside_requests(app, world, template):
    with app.app_context():
        plan = db.session.get(AccountingPlan, template)
        plan.bank_account = "512100"                 # app context only: the CLI, a script
        db.session.commit()
        assert _history(template)[0].user is None
        db.session.remove()

    with app.test_request_context("/"):
        login_user(db.session.get(AppUser, world.users["collab_a"]))
        plan = db.session.get(AccountingPlan, template)
        plan.bank_account = "512200"
        db.session.commit()
        entries = _history(template)
        assert (entries[0].field, entries[0].new, entries[0].user) == (
            "Compte de banque", "512200", "Collab A")
        db.session.remove()

    # The name stays when the collaborator's account is deleted.
    with app.app_context():
        db.session.delete(db.session.get(AppUser, world.users["collab_a"]))
        db.session.commit()
        assert _history(template)[0].user == "Collab A"


def test_newest_first_limited_and_translated(app, template):
    with app.app_context():
        plan = db.session.get(AccountingPlan, template)
        for number in ("7061", "7062", "7063"):
            plan.sales_account = number
            db.session.commit()
        entries = _history(template, limit=3)
        assert [(e.old, e.new) for e in entries] == [("7062", "7063"), ("7061", "7062"),
                                                      ("706", "7061")]
        shouting = plan_history(db.session, plan, lambda message, **_: message.upper(), limit=1)
        assert (shouting[0].section, shouting[0].field, shouting[0].operation) == (
            "JOURNAUX", "COMPTE DE VENTE", "MODIFICATION")


def test_reading_the_history_takes_a_few_queries_whatever_its_length(app, world, client_plan):
    def count_queries(plan_id):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            entries = _history(plan_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), len(entries)

    with app.app_context():
        plan = db.session.get(AccountingPlan, client_plan)   # loaded (and kept) before counting
        few = count_queries(client_plan)
        for index in range(10):
            db.session.add(Contact(client_id=world.a1, name=f"Client {index}",
                                   auxiliary_account=f"C{index}"))
            db.session.add(Article(client_id=world.a1, label=f"Article {index}",
                                   nature="goods", vat_rate=Decimal("20"),
                                   unit_price_ht=Decimal("1"), account=f"707{index}"))
        db.session.commit()
        plan.sales_account = "706777"
        db.session.commit()
        db.session.refresh(plan)
        many = count_queries(client_plan)
        assert many[1] > few[1] + 20
        # The client's creation date, then one query per section.
        assert many[0] == few[0] == 9


def test_applying_again_records_what_the_new_content_changes(app, world, client_plan, template):
    with app.app_context():
        source = db.session.get(AccountingPlan, template)
        source.accounts.append(PlanAccount(number="706100", label="Honoraires", kind="sales"))
        source.sales_account = "706100"
        db.session.commit()
        apply_plan(db.session, source, db.session.get(Client, world.a1))
        db.session.commit()
        entries = _history(client_plan, limit=1000)
        latest = [e for e in entries if e.at == entries[0].at]
        assert ("Compte de vente", "706", "706100") in [
            (e.field, e.old, e.new) for e in latest if e.section == "Journaux"]
        # The rows are replaced (on SQLite a new row may take a deleted one's id,
        # which Continuum records as a change of that row): the new account shows.
        assert [e for e in latest if e.section == "Plan comptable" and e.new == "706100"]
        # The client's article keeps its own account: no entry for it then.
        assert not [e for e in latest if e.section == "Articles"]


def test_a_row_removed_from_its_plan_alone_is_recorded(app, template):
    """Removed from the collection: deleted as an orphan during the flush (not in
    session.deleted before it), still versioned."""
    with app.app_context():
        plan = db.session.get(AccountingPlan, template)
        mode = next(m for m in plan.payment_modes if m.label == "Chèque")
        plan.payment_modes.remove(mode)
        db.session.commit()
        entries = _history(template)
        assert ("Chèque", "Mode de paiement", "Chèque", None, "Suppression") in \
            _changes(entries[:3])


def test_code_running_before_the_migration_writes_no_history_then_it_starts(tmp_path):
    """Deploying: the new code starts (and syncs the default plans) on the old
    schema; the migration then records the state it finds, without listing it."""
    import flask_migrate

    from app import create_app
    from app.plans.defaults import sync_default_plans
    from conftest import TEST_SETTINGS

    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db"})
    with app.app_context():
        flask_migrate.upgrade(revision="0006_accounting_plans")
        sync_default_plans(db.session)                 # versioned rows, no history tables yet
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade()
        assert _history(_pcg().id) == []               # the starting state is not a change
        plan = _pcg()
        plan.sales_account = "7060"
        plan.accounts[0].label = "Clients divers"
        db.session.commit()
        assert _changes(_history(plan.id)) == [
            ("Plan comptable général", "Compte de vente", "706", "7060", "Modification"),
            ("411000 Clients divers", "Libellé", "Clients", "Clients divers", "Modification"),
        ]
        db.session.remove()
        db.engine.dispose()
