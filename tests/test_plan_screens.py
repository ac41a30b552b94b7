"""The charts-of-accounts screens (app/views/plans.py, the client sheet's
« Comptabilité » tab): who reaches which plan on every route, read-only
defaults, validation messages next to the field, in-use refusals, applying a
plan with its preview, quick account editing and « compte utilisé »."""
import html
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AccountingPlan, Article, ArticleCategory, Charge, Client, Contact, PlanAccount,
    PlanPaymentMode, PlanVatRate,
)
from app.plans.copying import apply_plan, duplicate_plan
from conftest import update_client

BASE = "/comptabilite/plans"


@pytest.fixture
def plans(app, world):
    """Cabinet A: template « BNC libéral » applied to a1 and a2; cabinet B: its own
    template applied to b1. a1 has a category, two articles in it, a charge and a
    customer; b1 has an article too."""
    with app.app_context():
        pcg = db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()
        bnc = duplicate_plan(db.session, pcg, "BNC libéral", world.cabinet_a)
        other = duplicate_plan(db.session, pcg, "Modèle Bêta", world.cabinet_b)
        a1, a2, b1 = (db.session.get(Client, pk) for pk in (world.a1, world.a2, world.b1))
        plan_a1 = apply_plan(db.session, bnc, a1)
        plan_a2 = apply_plan(db.session, bnc, a2)
        plan_b1 = apply_plan(db.session, other, b1)
        category = ArticleCategory(client_id=a1.id, name="Honoraires")
        consultation = Article(client_id=a1.id, label="Consultation", nature="services",
                               vat_rate=Decimal("20"), unit_price_ht=Decimal("80"),
                               category=category)
        formation = Article(client_id=a1.id, label="Formation", nature="services",
                            vat_rate=Decimal("20"), unit_price_ht=Decimal("500"),
                            category=category)
        fee = Charge(client_id=a1.id, kind="fee", label="Frais de dossier",
                     amount=Decimal("15"), vat_rate=Decimal("20"))
        customer = Contact(client_id=a1.id, name="Durand", is_company=True)
        foreign = Article(client_id=b1.id, label="Article Bêta", nature="goods",
                          vat_rate=Decimal("20"), unit_price_ht=Decimal("10"))
        db.session.add_all([category, consultation, formation, fee, customer, foreign])
        db.session.commit()
        ids = dict(
            pcg=pcg.id, bnc=bnc.id, other=other.id, a1=plan_a1.id, a2=plan_a2.id,
            b1=plan_b1.id, category=category.id, consultation=consultation.id,
            formation=formation.id, fee=fee.id, customer=customer.id, foreign=foreign.id,
            account_a1=_account_id(plan_a1, "706"), account_bnc=_account_id(bnc, "706"),
            rate_a1=plan_a1.vat_rates[0].id, mode_a1=plan_a1.payment_modes[0].id,
        )
        db.session.remove()
        return ids


def text(response):
    """The page as the user reads it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def _account_id(plan, number):
    return next(account.id for account in plan.accounts if account.number == number)


def plan_get_routes(plan_id, account_id, rate_id, mode_id):
    base = f"{BASE}/{plan_id}"
    return [
        f"{base}/", f"{base}/journaux", f"{base}/historique", f"{base}/dupliquer",
        f"{base}/renommer",
        f"{base}/comptes/list/", f"{base}/comptes/add", f"{base}/comptes/edit/{account_id}",
        f"{base}/comptes/show/{account_id}",
        f"{base}/tva/list/", f"{base}/tva/add", f"{base}/tva/edit/{rate_id}",
        f"{base}/modes-de-paiement/list/", f"{base}/modes-de-paiement/edit/{mode_id}",
    ]


def client_section_routes(plan_id):
    base = f"{BASE}/{plan_id}"
    return [f"{base}/frais/list/", f"{base}/categories/list/", f"{base}/clients/list/",
            f"{base}/articles/list/"]


def plan_post_routes(plan_id, account_id, rate_id, mode_id, article_id):
    base = f"{BASE}/{plan_id}"
    return [
        (f"{base}/journaux", {"account_length": "8"}),
        (f"{base}/renommer", {"name": "Piraté"}),
        (f"{base}/supprimer", {}),
        (f"{base}/comptes/add", {"number": "7061", "label": "X", "kind": "sales"}),
        (f"{base}/comptes/edit/{account_id}", {"number": "706", "label": "X", "kind": "sales"}),
        (f"{base}/comptes/delete/{account_id}", {}),
        (f"{base}/tva/delete/{rate_id}", {}),
        (f"{base}/modes-de-paiement/delete/{mode_id}", {}),
        (f"{base}/articles/compte/{article_id}", {"account": "706"}),
    ]


def _routes_of(plans, key):
    return plan_get_routes(plans[key], plans["account_" + key] if "account_" + key in plans
                           else plans["account_a1"], plans["rate_a1"], plans["mode_a1"])


def _snapshot(app):
    with app.app_context():
        return (sorted((a.plan_id, a.number, a.label) for a in db.session.scalars(select(PlanAccount))),
                sorted((p.id, p.name, p.account_length) for p in db.session.scalars(select(AccountingPlan))),
                sorted((a.id, a.account) for a in db.session.scalars(select(Article))))


# Isolation: another cabinet's plans do not exist ---------------------------------------

def test_another_cabinets_plans_answer_404_on_every_route(app, plans, browser):
    user = browser("owner_b")
    for route in _routes_of(plans, "a1") + _routes_of(plans, "bnc") + client_section_routes(plans["a1"]):
        assert user.get(route).status_code == 404, route
    before = _snapshot(app)
    token = user.csrf("/")
    for plan in ("a1", "bnc"):
        for route, data in plan_post_routes(plans[plan], plans["account_a1"], plans["rate_a1"],
                                            plans["mode_a1"], plans["consultation"]):
            response = user.post(route, data=dict(data, csrf_token=token))
            assert response.status_code == 404, route
    assert _snapshot(app) == before
    listing = text(user.get(f"{BASE}/"))
    assert "BNC libéral" not in listing and "Modèle Bêta" in listing


def test_a_row_of_another_plan_is_404_through_this_plans_url(app, plans, browser):
    user = browser("owner_a")
    # a2's plan URL with a1's account, and a1's plan URL with b1's article.
    assert user.get(f"{BASE}/{plans['a2']}/comptes/edit/{plans['account_a1']}").status_code == 404
    token = user.csrf("/")
    response = user.post(f"{BASE}/{plans['a1']}/articles/compte/{plans['foreign']}",
                         data={"account": "706", "csrf_token": token})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Article, plans["foreign"]).account is None


def test_restricted_collaborator_reaches_only_the_plans_of_assigned_clients(app, plans, browser):
    user = browser("restricted_a")
    for route in _routes_of(plans, "a1") + client_section_routes(plans["a1"]):
        assert user.get(route).status_code in (200, 302), route
    for route in client_section_routes(plans["a2"]) + [f"{BASE}/{plans['a2']}/comptes/list/"]:
        assert user.get(route).status_code == 404, route
    # The firm's templates stay theirs to use.
    assert user.get(f"{BASE}/{plans['bnc']}/comptes/list/").status_code == 200


def test_client_sections_do_not_exist_on_a_template(plans, browser):
    user = browser("owner_a")
    for route in client_section_routes(plans["bnc"]) + client_section_routes(plans["pcg"]):
        assert user.get(route).status_code == 404, route


def test_the_client_user_sees_its_own_plan_only_when_the_firm_allows_it(app, world, plans, browser):
    user = browser("client_a1")
    assert user.get(f"{BASE}/{plans['a1']}/comptes/list/").status_code == 404
    assert user.get(f"{BASE}/mon-plan").status_code == 404
    assert "Paramètres comptables" not in text(user.get("/espace/"))
    update_client(app, world.a1, client_can_edit_accounting=True)
    user = browser("client_a1")
    assert "Paramètres comptables" in text(user.get("/espace/"))
    response = user.get(f"{BASE}/mon-plan")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{BASE}/{plans['a1']}/comptes/list/")
    for route in _routes_of(plans, "a1")[:3] + client_section_routes(plans["a1"]):
        assert user.get(route).status_code in (200, 302), route
    # Never the firm's plans, the defaults, another client's plan, nor duplicating.
    for plan in ("bnc", "pcg", "a2", "b1"):
        assert user.get(f"{BASE}/{plans[plan]}/comptes/list/").status_code == 404, plan
    assert user.get(f"{BASE}/{plans['a1']}/dupliquer").status_code == 403
    assert user.get(f"{BASE}/").status_code in (302, 403)


def test_the_client_user_changes_its_plan_when_allowed(app, world, plans, browser):
    update_client(app, world.a1, client_can_edit_accounting=True)
    user = browser("client_a1")
    response = user.post(f"{BASE}/{plans['a1']}/articles/compte/{plans['consultation']}",
                         data={"account": "706", "csrf_token": user.csrf("/")})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Article, plans["consultation"]).account == "706"


# Default plans are read-only --------------------------------------------------------

def test_default_plans_are_read_only_for_everyone(app, plans, browser):
    user = browser("owner_a")
    page = text(user.get(f"{BASE}/{plans['pcg']}/comptes/list/"))
    assert "lecture seule" in page
    assert f"{BASE}/{plans['pcg']}/comptes/add" not in page
    journals = text(user.get(f"{BASE}/{plans['pcg']}/journaux"))
    assert "disabled" in journals
    before = _snapshot(app)
    token = user.csrf("/")
    for route, data in plan_post_routes(plans["pcg"], plans["account_a1"], plans["rate_a1"],
                                        plans["mode_a1"], plans["consultation"]):
        response = user.post(route, data=dict(data, csrf_token=token))
        assert response.status_code in (403, 404), route
    assert user.get(f"{BASE}/{plans['pcg']}/comptes/add").status_code == 403
    assert _snapshot(app) == before
    # Duplicating is how a default is adapted.
    assert user.get(f"{BASE}/{plans['pcg']}/dupliquer").status_code == 200


# Plans of the cabinet: duplicate, rename, delete -----------------------------------

def test_duplicate_rename_and_delete_a_template(app, world, plans, browser):
    user = browser("admin_a")
    token = user.csrf("/")
    response = user.post(f"{BASE}/{plans['pcg']}/dupliquer",
                         data={"name": "Commerce", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        copy = db.session.scalars(select(AccountingPlan).where(
            AccountingPlan.name == "Commerce")).one()
        copy_id, source = copy.id, copy.source_plan_id
        assert (copy.cabinet_id, len(copy.accounts)) == (world.cabinet_a, len(
            db.session.get(AccountingPlan, plans["pcg"]).accounts))
    assert source == plans["pcg"]
    # A name already used in the cabinet is refused next to the field.
    page = user.post(f"{BASE}/{copy_id}/renommer", data={"name": "BNC libéral", "csrf_token": token})
    assert page.status_code == 200 and "s'appelle déjà « BNC libéral »" in text(page)
    assert user.post(f"{BASE}/{copy_id}/renommer",
                     data={"name": "Commerce de détail", "csrf_token": token}).status_code == 302
    # A template applied to clients cannot be deleted; an unused one can.
    response = user.post(f"{BASE}/{plans['bnc']}/supprimer", data={"csrf_token": token},
                         follow_redirects=True)
    assert "appliqué à 2 client" in text(response)
    response = user.post(f"{BASE}/{copy_id}/supprimer", data={"csrf_token": token},
                         follow_redirects=True)
    assert "Plan « Commerce de détail » supprimé." in text(response)
    with app.app_context():
        assert db.session.get(AccountingPlan, copy_id) is None
        assert db.session.get(AccountingPlan, plans["bnc"]) is not None


def test_the_plans_list_shows_defaults_and_own_templates_with_their_clients(plans, browser):
    page = text(browser("collab_a").get(f"{BASE}/"))
    assert "Plan comptable général" in page and "BNC libéral" in page
    assert "Modèle Bêta" not in page


# Validation next to the field ------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    ({"number": "41A", "label": "X", "kind": "other"}, "ne contient que des chiffres"),
    ({"number": "706", "label": "X", "kind": "customer"}, "commence par 41"),
    ({"number": "706123456", "label": "X", "kind": "sales"}, "la taille des comptes du plan"),
    ({"number": "706", "label": "Doublon", "kind": "sales"}, "existe déjà dans ce plan"),
])
def test_account_rules_are_shown_in_french(app, plans, browser, data, message):
    user = browser("owner_a")
    before = _snapshot(app)
    response = user.post(f"{BASE}/{plans['bnc']}/comptes/add",
                         data=dict(data, csrf_token=user.csrf("/")), follow_redirects=True)
    assert message in text(response)
    assert _snapshot(app) == before


def test_vat_rate_and_journal_rules_are_shown_next_to_their_field(app, plans, browser):
    user = browser("owner_a")
    token = user.csrf("/")
    page = text(user.post(f"{BASE}/{plans['bnc']}/tva/add", data={
        "rate": "5,555", "label": "Taux faux", "csrf_token": token}))
    assert "au plus deux décimales" in page
    page = text(user.post(f"{BASE}/{plans['bnc']}/journaux", data={
        "account_length": "6", "sales_journal": "VENTES", "customer_account": "411000",
        "sales_account": "708999", "deposit_account": "4191", "bank_journal": "BQ",
        "bank_account": "512", "csrf_token": token}))
    assert "1 à 4 lettres majuscules ou chiffres" in page
    assert "708999" in page and "n'existe pas dans le plan comptable" in page
    with app.app_context():
        assert db.session.get(AccountingPlan, plans["bnc"]).sales_journal != "VENTES"


def test_journals_are_saved_and_the_account_length_applies(app, plans, browser):
    user = browser("owner_a")
    response = user.post(f"{BASE}/{plans['bnc']}/journaux", data={
        "account_length": "10", "sales_journal": "ve", "customer_account": "411",
        "auxiliary_root": "c", "sales_account": "706", "deposit_account": "4191",
        "incorporate_vat_article": "y", "bank_journal": "BQ1", "bank_account": "512",
        "csrf_token": user.csrf("/")})
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.get(AccountingPlan, plans["bnc"])
        assert (plan.account_length, plan.sales_journal, plan.auxiliary_root,
                plan.incorporate_vat_article) == (10, "VE", "C", True)
        # The source default is untouched.
        assert db.session.get(AccountingPlan, plans["pcg"]).account_length == 8


def test_an_account_in_use_cannot_be_deleted(app, plans, browser):
    user = browser("owner_a")
    with app.app_context():
        plan = db.session.get(AccountingPlan, plans["bnc"])
        customer_id = _account_id(plan, plan.customer_account)
    response = user.post(f"{BASE}/{plans['bnc']}/comptes/delete/{customer_id}",
                         data={"csrf_token": user.csrf("/")}, follow_redirects=True)
    assert "est utilisé" in text(response)
    with app.app_context():
        assert db.session.get(PlanAccount, customer_id) is not None


# Applying a plan to a client -----------------------------------------------------

def test_applying_again_shows_the_changes_then_replaces_the_clients_plan(app, world, plans, browser):
    user = browser("collab_a")
    with app.app_context():
        plan = db.session.get(AccountingPlan, plans["a1"])
        plan.sales_account = "706"
        plan.vat_rates[0].label = "Taux personnalisé"
        db.session.add(PlanAccount(plan_id=plan.id, number="706100", label="Honoraires",
                                   kind="sales"))
        db.session.get(Article, plans["consultation"]).account = "706100"
        db.session.commit()
    page = text(user.get(f"/clients/{world.a1}/plan-comptable?plan={plans['pcg']}"))
    assert "sera remplacé" in page
    assert "706100 Honoraires" in page and "supprimé" in page
    assert "Taux personnalisé" in page
    # The article keeps an account the new plan lacks: said before confirming.
    assert "Comptes absents du nouveau plan" in page and "Consultation" in page
    response = user.post(f"/clients/{world.a1}/plan-comptable",
                         data={"plan": plans["pcg"], "csrf_token": user.csrf("/")})
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.get(AccountingPlan, plans["a1"])
        assert plan.source_plan_id == plans["pcg"]
        assert "706100" not in {account.number for account in plan.accounts}
        assert db.session.get(Article, plans["consultation"]).account == "706100"


def test_a_client_plan_change_never_touches_the_template(app, plans, browser):
    user = browser("owner_a")
    with app.app_context():
        before = sorted((a.number, a.label) for a in db.session.get(
            AccountingPlan, plans["bnc"]).accounts)
    token = user.csrf("/")
    user.post(f"{BASE}/{plans['a1']}/comptes/add",
              data={"number": "706100", "label": "Honoraires", "kind": "sales",
                    "csrf_token": token})
    user.post(f"{BASE}/{plans['a1']}/comptes/edit/{plans['account_a1']}",
              data={"number": "706", "label": "Prestations libérales", "kind": "sales",
                    "csrf_token": token})
    with app.app_context():
        client_accounts = {a.number: a.label for a in db.session.get(
            AccountingPlan, plans["a1"]).accounts}
        assert client_accounts["706100"] == "Honoraires"
        assert client_accounts["706"] == "Prestations libérales"
        assert sorted((a.number, a.label) for a in db.session.get(
            AccountingPlan, plans["bnc"]).accounts) == before


def test_apply_only_offers_defaults_and_own_templates(app, world, plans, browser):
    user = browser("owner_a")
    assert user.get(f"/clients/{world.a1}/plan-comptable?plan={plans['other']}").status_code == 404
    assert user.get(f"/clients/{world.a1}/plan-comptable?plan={plans['a2']}").status_code == 404
    assert user.get(f"/clients/{world.b1}/plan-comptable?plan={plans['bnc']}").status_code == 404
    tab = text(user.get(f"/clients/{world.a1}/?onglet=comptabilite"))
    assert "BNC libéral" in tab and "Modèle Bêta" not in tab


# Client-only sections: quick editing and « compte utilisé » -------------------------

def test_quick_editing_an_article_account_and_its_compte_utilise(app, plans, browser):
    user = browser("owner_a")
    token = user.csrf("/")
    url = f"{BASE}/{plans['a1']}/articles/compte/{plans['consultation']}"
    headers = {"X-Requested-With": "fetch"}
    refused = user.post(url, data={"account": "706999", "csrf_token": token}, headers=headers)
    assert refused.status_code == 422
    assert "n'existe pas dans le plan comptable" in refused.json["message"]
    saved = user.post(url, data={"account": "706", "csrf_token": token}, headers=headers)
    assert saved.status_code == 200 and saved.json["ok"]
    assert "706000" in saved.json["used"] and "Article" in saved.json["used"]
    # A category's account is used by every article of the category without its own.
    user.post(f"{BASE}/{plans['a1']}/comptes/add", data={
        "number": "706100", "label": "Honoraires", "kind": "sales", "csrf_token": token})
    response = user.post(f"{BASE}/{plans['a1']}/categories/compte/{plans['category']}",
                         data={"account": "706100", "csrf_token": token}, headers=headers)
    assert response.status_code == 200, text(response)
    listing = text(user.get(f"{BASE}/{plans['a1']}/articles/list/"))
    formation = listing[listing.index("Formation"):]
    formation = formation[:formation.index("</tr>")]
    assert "706100" in formation and "Catégorie" in formation
    consultation = listing[listing.index("Consultation"):]
    consultation = consultation[:consultation.index("</tr>")]
    assert "706000" in consultation


def test_auxiliary_codes_are_checked_and_unique_per_client(app, plans, browser):
    user = browser("owner_a")
    token = user.csrf("/")
    headers = {"X-Requested-With": "fetch"}
    url = f"{BASE}/{plans['a1']}/clients/compte/{plans['customer']}"
    assert user.post(url, data={"account": "durand é", "csrf_token": token},
                     headers=headers).status_code == 422
    saved = user.post(url, data={"account": "cdurand", "csrf_token": token}, headers=headers)
    assert saved.status_code == 200 and saved.json["value"] == "CDURAND"
    with app.app_context():
        assert db.session.get(Contact, plans["customer"]).auxiliary_account == "CDURAND"


def test_vat_rates_and_payment_modes_show_the_accounts_they_use(plans, browser):
    user = browser("owner_a")
    rates = text(user.get(f"{BASE}/{plans['a1']}/tva/list/"))
    assert "Comptes utilisés" in rates and "44571" in rates
    modes = text(user.get(f"{BASE}/{plans['a1']}/modes-de-paiement/list/"))
    assert "Compte utilisé" in modes and "512" in modes


def test_history_lists_who_changed_what(app, plans, browser):
    user = browser("owner_a")
    user.post(f"{BASE}/{plans['bnc']}/comptes/edit/{plans['account_bnc']}",
              data={"number": "706", "label": "Honoraires libéraux", "kind": "sales",
                    "csrf_token": user.csrf("/")})
    page = text(user.get(f"{BASE}/{plans['bnc']}/historique"))
    assert "Honoraires libéraux" in page and "Prestations de services" in page
    assert "Olivia Alpha" in page
    other = text(user.get(f"{BASE}/{plans['a1']}/historique"))
    assert "Honoraires libéraux" not in other


def test_the_space_checks_an_article_account_against_the_clients_plan(app, plans, browser):
    """The invoicing space's article form follows the same rules as the plan's screens."""
    user = browser("client_a1")
    token = user.csrf("/")
    form = {"label": "Consultation", "nature": "services", "vat_rate": "20",
            "unit_price_ht": "80", "csrf_token": token}
    page = text(user.post(f"/espace/articles/edit/{plans['consultation']}",
                          data=dict(form, account="706999")))
    assert "n'existe pas dans le plan comptable" in page
    with app.app_context():
        assert db.session.get(Article, plans["consultation"]).account is None
    response = user.post(f"/espace/articles/edit/{plans['consultation']}",
                         data=dict(form, account="706"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Article, plans["consultation"]).account == "706"


def test_the_space_offers_the_vat_rates_of_the_clients_plan(app, plans, browser):
    user = browser("client_a1")
    before = text(user.get("/espace/articles/add"))
    assert 'value="8.5"' not in before and 'value="20"' in before
    with app.app_context():
        db.session.add(PlanVatRate(plan_id=plans["a1"], rate=Decimal("8.5"), label="8,5 %"))
        db.session.commit()
    after = text(user.get("/espace/articles/add"))
    assert 'value="8.5"' in after
    # A rate the plan does not hold is refused.
    response = user.post("/espace/articles/add", data={
        "label": "Essai", "nature": "services", "vat_rate": "7", "unit_price_ht": "10",
        "csrf_token": user.csrf("/")})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Article).where(Article.label == "Essai")) is None
