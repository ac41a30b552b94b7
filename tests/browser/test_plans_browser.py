"""The charts-of-accounts screens in Chromium: a firm administrator adapts a
template from the default plan, applies it to a client, then sets the sales
accounts of the client's articles and reads the « compte utilisé » of each."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import AccountingPlan, Article, ArticleCategory
from conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def articles(app, world):
    """Client a1: a category « Honoraires » without account holding two service
    articles at 20 %, and a third article without category."""
    with app.app_context():
        category = ArticleCategory(client_id=world.a1, name="Honoraires")
        db.session.add_all([
            category,
            Article(client_id=world.a1, label="Consultation", nature="services",
                    vat_rate=Decimal("20"), unit_price_ht=Decimal("80"), category=category),
            Article(client_id=world.a1, label="Formation", nature="services",
                    vat_rate=Decimal("20"), unit_price_ht=Decimal("500"), category=category),
            Article(client_id=world.a1, label="Frais de déplacement", nature="services",
                    vat_rate=Decimal("20"), unit_price_ht=Decimal("40")),
        ])
        db.session.commit()
        db.session.remove()


def _row(page, text):
    """The list row whose cell reads exactly `text`."""
    return page.locator("tr[data-pk]").filter(
        has=page.get_by_role("cell", name=text, exact=True))


def _used(row):
    """The « Compte utilisé » cell of a row."""
    return row.locator("td.used-cell")


def _open_tab(page, name):
    page.locator(".plan-tabs").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".plan-tabs li.active")).to_have_text(name)


def _add_account(page, number, label):
    page.locator("a[href$='/comptes/add']").first.click()
    page.wait_for_load_state()
    page.get_by_label("Numéro").fill(number)
    page.get_by_label("Libellé").fill(label)
    page.get_by_label("Type").select_option(label="Vente")
    page.get_by_role("button", name=re.compile(r"^Enregistrer")).click()  # FAB's form
    page.wait_for_load_state()
    row = _row(page, number)
    expect(row).to_contain_text(label)
    expect(row).to_contain_text("Vente")


def test_a_template_applied_to_a_client_then_its_articles_accounts(
        app, world, articles, live_server, page, screenshot):
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()
    page.on("dialog", accept)
    browser_login(page, live_server, "admin_a")

    # 1. Paramètres > Comptabilité: duplicate the default plan as « BNC libéral ».
    page.locator(".navbar").get_by_role("link", name="Paramètres").click()
    page.locator(".navbar").get_by_role("link", name="Comptabilité").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Plans comptables")).to_be_visible()
    pcg = page.locator("tr[data-plan]").filter(
        has=page.get_by_role("link", name="Plan comptable général", exact=True))
    expect(pcg).to_have_count(1)
    screenshot("plans-list")
    pcg.get_by_role("link", name="Dupliquer").click()
    page.wait_for_load_state()
    page.get_by_label("Nom du nouveau plan").fill("BNC libéral")
    page.get_by_role("button", name="Dupliquer").click()
    page.wait_for_load_state()
    expect(page.locator(".plan-title")).to_contain_text("BNC libéral")
    expect(page.locator(".plan-title")).to_contain_text("Modèle du cabinet")
    expect(page.get_by_text("Plan « BNC libéral » créé à partir de « Plan comptable général ».")) \
        .to_be_visible()

    # 2. Its accounts: 706100 « Honoraires » and 706200 « Formations », sales accounts.
    _open_tab(page, "Plan comptable")
    _add_account(page, "706100", "Honoraires")
    _add_account(page, "706200", "Formations")

    # Journaux: the fallback sales account becomes 706100.
    _open_tab(page, "Journaux")
    page.get_by_label("Compte de vente").fill("706100")
    screenshot("plans-journals-form")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Journaux enregistrés.")).to_be_visible()
    expect(page.get_by_label("Compte de vente")).to_have_value("706100")

    # Taux de TVA: services sold at 20 % go to 706200.
    _open_tab(page, "Taux de TVA")
    twenty = _row(page, "20 %")
    twenty.locator("a[href*='/tva/edit/']").click()
    page.wait_for_load_state()
    page.get_by_label("Vente des services").fill("706200")
    page.get_by_role("button", name=re.compile(r"^Enregistrer")).click()  # FAB's form
    page.wait_for_load_state()
    twenty = _row(page, "20 %")
    expect(twenty).to_contain_text("706200")
    screenshot("plans-vat-rates")

    with app.app_context():
        template = db.session.scalars(select(AccountingPlan).where(
            AccountingPlan.name == "BNC libéral")).one()
        assert (template.cabinet_id, template.client_id, template.sales_account) == (
            world.cabinet_a, None, "706100")
        template_id = template.id
        db.session.remove()

    # 4. The client sheet: apply « BNC libéral », read the preview, confirm.
    page.goto(f"{live_server}/clients/{world.a1}/?onglet=comptabilite")
    expect(page.get_by_text("Aucun plan comptable appliqué")).to_be_visible()
    page.get_by_label("Appliquer un plan").select_option(label="BNC libéral")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Appliquer « BNC libéral » à « Alpha Un SARL »")) \
        .to_be_visible()
    expect(page.get_by_text("Le client reçoit sa propre copie de ce plan")).to_be_visible()
    screenshot("plans-apply-preview")
    page.get_by_role("button", name="Confirmer et appliquer").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Plan « BNC libéral » appliqué à « Alpha Un SARL ».")).to_be_visible()
    # The client has no plan yet: nothing to replace, so no confirmation was asked.
    assert dialogs == []
    card = page.locator(".client-plan-card")
    expect(card).to_contain_text("Appliqué à partir de « BNC libéral »")

    # 5. The client's plan, « Articles »: Consultation gets its own account.
    card.get_by_role("link", name="Articles", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".plan-title")).to_contain_text("Plan du client")
    expect(page.locator(".plan-tabs li.active")).to_have_text("Articles")
    expect(page.locator("thead")).to_contain_text("Compte utilisé")
    consultation, formation = _row(page, "Consultation"), _row(page, "Formation")
    travel = _row(page, "Frais de déplacement")
    # Before: every article falls back on the 20 % rate's services account.
    for row in (consultation, formation, travel):
        expect(_used(row).locator("code.used-number")).to_have_text("70620000")

    consultation.get_by_label("Compte de vente").fill("706100")
    consultation.get_by_role("button", name="Enregistrer").click()
    expect(consultation.locator(".quick-message")).to_have_text(
        "« Consultation » : compte enregistré.")
    expect(consultation.locator("form.quick-account")).to_have_class(re.compile(r"\bis-saved\b"))
    expect(_used(consultation).locator("code.used-number")).to_have_text("70610000")

    # Formation, same category without account: the rate's account, and why.
    expect(_used(formation).locator("code.used-number")).to_have_text("70620000")
    why = _used(formation).locator("details.provenance")
    why.locator("summary", has_text="Pourquoi ?").click()
    expect(why).to_have_attribute("open", "")
    retained = why.locator("li.is-used")
    expect(retained).to_have_count(1)
    expect(retained).to_contain_text("Taux de TVA")
    expect(retained).to_contain_text("706200")
    expect(why.locator("li", has_text="Catégorie")).to_contain_text("Honoraires")
    screenshot("plans-articles-why")

    # The category gets an account (706): Formation now uses it, Consultation keeps its own.
    _open_tab(page, "Catégories d'articles")
    honoraires = _row(page, "Honoraires")
    honoraires.get_by_label("Compte de vente").fill("706")
    honoraires.get_by_role("button", name="Enregistrer").click()
    expect(honoraires.locator(".quick-message")).to_have_text(
        "« Honoraires » : compte enregistré.")
    _open_tab(page, "Articles")
    consultation, formation = _row(page, "Consultation"), _row(page, "Formation")
    travel = _row(page, "Frais de déplacement")
    expect(_used(formation).locator("code.used-number")).to_have_text("70600000")
    why = _used(formation).locator("details.provenance")
    why.locator("summary", has_text="Pourquoi ?").click()
    expect(why.locator("li.is-used")).to_have_count(1)
    expect(why.locator("li.is-used")).to_contain_text("Catégorie")
    expect(_used(consultation).locator("code.used-number")).to_have_text("70610000")
    expect(_used(travel).locator("code.used-number")).to_have_text("70620000")
    screenshot("plans-articles-category")

    with app.app_context():
        client_plan = db.session.scalars(select(AccountingPlan).where(
            AccountingPlan.client_id == world.a1)).one()
        assert client_plan.source_plan_id == template_id
        accounts = {a.label: a.account for a in db.session.scalars(
            select(Article).where(Article.client_id == world.a1))}
        assert accounts == {"Consultation": "706100", "Formation": None,
                            "Frais de déplacement": None}
        category = db.session.scalars(select(ArticleCategory).where(
            ArticleCategory.client_id == world.a1)).one()
        assert category.account == "706"
        db.session.remove()
