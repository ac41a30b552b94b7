"""Rows → account resolver → « compte utilisé » and « provenance » (app/plans/resolution.py)."""
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.accounting import resolver
from app.extensions import db
from app.models import AccountingPlan, Client
from app.models.accounting import PlanPaymentMode, PlanVatRate
from app.models.invoicing import Article, ArticleCategory, Charge, Contact, InvoiceLine
from app.plans import resolution
from app.plans.copying import apply_plan


def french(msgid, **params):
    """The catalogue's identity: msgids are French."""
    return msgid % params if params else msgid


class Recorder:
    """A gettext that marks what it translated and remembers the msgids."""

    def __init__(self):
        self.msgids = []

    def __call__(self, msgid, **params):
        self.msgids.append(msgid)
        return "T:" + (msgid % params if params else msgid)


def _pcg():
    return db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()


def _client_plan(world, **settings):
    """Alpha Un's own copy of the default PCG plan, with `settings` changed."""
    own = apply_plan(db.session, _pcg(), db.session.get(Client, world.a1))
    for name, value in settings.items():
        setattr(own, name, value)
    db.session.commit()
    return own


def _rate(plan_row, value):
    return next(row for row in plan_row.vat_rates
                if resolution.normalise_rate(row.rate) == Decimal(value))


def _article(world, label, nature="services", rate="20", account=None, category=None):
    article = Article(client_id=world.a1, label=label, nature=nature,
                      vat_rate=Decimal(rate), account=account, category=category)
    db.session.add(article)
    db.session.flush()
    return article


def _used(explanation):
    return [step.source for step in explanation.provenance if step.used]


# The plan ---------------------------------------------------------------------------------

def test_plan_for_resolver_reads_the_plan_in_a_few_queries(app, world):
    with app.app_context():
        own = _client_plan(world)
        db.session.add(PlanPaymentMode(plan_id=own.id, label="Caisse 2", account="530"))
        db.session.commit()
        own = db.session.get(AccountingPlan, own.id)
        with count_statements() as statements:
            plan = resolution.plan_for_resolver(db.session, own)
        assert len(statements) <= 4
        assert plan.settings == resolver.JournalSettings(
            account_length=8, sales_journal="VE", customer_account="411000",
            auxiliary_root="C", sales_account="706", deposit_account="4191",
            credit_note_account=None, incorporate_vat_deposit=False,
            incorporate_vat_article=False, split_vat_by_nature=False, bank_journal="BQ",
            bank_account="512")
        rates = [entry.rate for entry in plan.vat_rates]
        assert rates == [Decimal("20.00"), Decimal("10.00"), Decimal("5.50"),
                         Decimal("2.10"), Decimal("0.00")]
        assert all(isinstance(rate, Decimal) and str(rate) == f"{rate:.2f}" for rate in rates)
        assert plan.vat_rates[2].goods_vat_account == "44571055"
        assert {"411000", "706", "44571200", "512"} <= plan.accounts
        assert resolver.PaymentModeAccounts("Caisse 2", "530", None) in plan.payment_modes
        # Already a resolver.Plan (as the screens pass it): kept as is.
        assert resolution.plan_for_resolver(db.session, plan) is plan
        assert resolution.normalise_rate(5.5) == Decimal("5.50")
        assert resolution.normalise_rate(Decimal("5.4999999999")) == Decimal("5.50")
        db.session.rollback()


# Articles ---------------------------------------------------------------------------------

def test_an_article_own_account_wins(app, world):
    with app.app_context():
        own = _client_plan(world)
        category = ArticleCategory(client_id=world.a1, name="Annexes", account="7085")
        article = _article(world, "Frais de dossier", account="708", category=category)
        plan = resolution.plan_for_resolver(db.session, own)
        explanation = resolution.explain_article(plan, article, french)
        assert explanation.ok and explanation.error is None
        assert explanation.account == "70800000"
        assert [(s.source, s.account, s.used) for s in explanation.provenance] == [
            ("Article", "708", True), ("Catégorie", "7085", False),
            ("Taux de TVA", "706", False), ("Journaux", "706", False)]
        assert "Frais de dossier" in explanation.provenance[0].detail
        db.session.rollback()


def test_then_its_category_then_the_rate_per_nature_then_the_journals(app, world):
    with app.app_context():
        own = _client_plan(world, sales_account="701")
        category = ArticleCategory(client_id=world.a1, name="Formations", account="7085")
        trained = _article(world, "Formation Excel", category=category)
        empty_category = ArticleCategory(client_id=world.a1, name="Divers")
        service = _article(world, "Consultation", nature="services", category=empty_category)
        good = _article(world, "Clavier", nature="goods")
        rate_10 = _rate(own, "10")
        rate_10.goods_sales_account = None
        good_at_10 = _article(world, "Livre", nature="goods", rate="10")
        db.session.flush()
        plan = resolution.plan_for_resolver(db.session, own)

        explained = resolution.explain_article(plan, trained, french)
        assert (explained.account, _used(explained)) == ("70850000", ["Catégorie"])
        assert "Formations" in explained.provenance[1].detail

        explained = resolution.explain_article(plan, service, french)
        assert (explained.account, _used(explained)) == ("70600000", ["Taux de TVA"])
        assert explained.provenance[1].detail == "compte de la catégorie « Divers » : non renseigné"
        assert explained.provenance[2].detail == \
            "compte de vente des prestations de services du taux 20 %"

        explained = resolution.explain_article(plan, good, french)
        assert (explained.account, _used(explained)) == ("70700000", ["Taux de TVA"])
        assert "aucune catégorie" in explained.provenance[1].detail

        explained = resolution.explain_article(plan, good_at_10, french)
        assert (explained.account, _used(explained)) == ("70100000", ["Journaux"])
        assert explained.provenance[2].account is None
        db.session.rollback()


def test_incorporate_vat_appends_the_vat_suffix(app, world):
    with app.app_context():
        own = _client_plan(world, incorporate_vat_article=True)
        article = _article(world, "Audit", nature="services", rate="20")
        explained = resolution.explain_article(
            resolution.plan_for_resolver(db.session, own), article, french)
        # 706 + 44571200 → 706200, padded to the plan's 8 digits.
        assert explained.account == "70620000"
        last = explained.provenance[-1]
        assert (last.source, last.account, last.used) == ("Incorporer TVA", "706200", True)
        assert "44571200" in last.detail
        db.session.rollback()


def test_an_account_outside_the_plan_is_an_error_naming_it(app, world):
    with app.app_context():
        own = _client_plan(world)
        article = _article(world, "Consultation", account="706999")
        plan = resolution.plan_for_resolver(db.session, own)
        explained = resolution.explain_article(plan, article, french)
        assert not explained.ok and explained.account is None
        assert explained.error == ("Le compte 706999 (compte propre de l'article « Consultation ») "
                                   "n'existe pas dans le plan comptable.")

        # Translated through the gettext it is given, the setting at fault included.
        gettext = Recorder()
        explained = resolution.explain_article(plan, article, gettext)
        assert explained.error.startswith("T:Le compte 706999 (T:compte propre de l'article")
        assert resolver.ACCOUNT_NOT_IN_PLAN in gettext.msgids

        # Nothing anywhere: says what to fill in.
        own.sales_account = None
        _rate(own, "20").services_sales_account = None
        article.account = None
        db.session.flush()
        explained = resolution.explain_article(
            resolution.plan_for_resolver(db.session, own), article, french)
        assert not explained.ok
        assert explained.error.startswith("Aucun compte de vente pour « Consultation »")
        db.session.rollback()


def test_steps_are_translated_with_the_given_gettext(app, world):
    with app.app_context():
        own = _client_plan(world)
        article = _article(world, "Consultation")
        gettext = Recorder()
        explained = resolution.explain_article(
            resolution.plan_for_resolver(db.session, own), article, gettext)
        assert explained.account == "70600000"
        assert all(step.source.startswith("T:") and step.detail.startswith("T:")
                   for step in explained.provenance)
        assert {"Article", "Catégorie", "Taux de TVA", "Journaux"} <= set(gettext.msgids)
        assert "compte de vente des prestations de services du taux %(rate)s %%" \
            in gettext.msgids
        db.session.rollback()


# Charges and lines ------------------------------------------------------------------------

def test_charges_discounts_included_are_items_sold_as_services(app, world):
    with app.app_context():
        own = _client_plan(world, split_vat_by_nature=True)
        discount = Charge(client_id=world.a1, kind="discount", label="Remise fidélité",
                          percentage=Decimal("5"), vat_rate=Decimal("20"), account="709")
        fee = Charge(client_id=world.a1, kind="fee", label="Port", amount=Decimal("9.90"),
                     vat_rate=Decimal("5.5"))
        db.session.add_all([discount, fee])
        db.session.flush()
        assert resolution.item_for_charge(fee) == resolver.ItemRef(
            kind="charge", label="Port", nature="services", vat_rate=Decimal("5.50"))
        explained = resolution.explain_charges(db.session, own, [discount, fee], french)
        assert explained[discount.id].account == "70900000"
        assert _used(explained[discount.id]) == ["Frais, taxe ou remise"]
        assert explained[fee.id].account == "70600000"
        assert _used(explained[fee.id]) == ["Taux de TVA"]
        db.session.rollback()


def test_invoice_lines_from_an_article_or_free(app, world):
    with app.app_context():
        own = _client_plan(world)
        category = ArticleCategory(client_id=world.a1, name="Formations", account="7085")
        article = _article(world, "Formation", category=category)
        from_article = InvoiceLine(article_id=article.id, article=article, label="Formation J1",
                                   nature="services", vat_rate=Decimal("20"),
                                   unit_price_ht=Decimal("100"))
        free = InvoiceLine(label="Livre", nature="goods", vat_rate=Decimal("5.5"),
                           unit_price_ht=Decimal("20"))
        assert resolution.item_for_line(from_article) == resolver.ItemRef(
            kind="article", label="Formation", nature="services", vat_rate=Decimal("20.00"),
            own_account=None, category_label="Formations", category_account="7085")
        assert resolution.item_for_line(free).kind == "free_line"
        plan = resolution.plan_for_resolver(db.session, own)
        assert resolution.explain_line(plan, from_article, french).account == "70850000"
        assert resolution.explain_line(plan, free, french).account == "70700000"
        db.session.rollback()


# Customers --------------------------------------------------------------------------------

def test_a_contact_uses_its_code_or_shows_the_one_that_would_be_derived(app, world):
    with app.app_context():
        own = _client_plan(world)
        durand = Contact(client_id=world.a1, name="Durand", auxiliary_account="CDURAND")
        dupont = Contact(client_id=world.a1, name="Dupont", auxiliary_account="CDUPONT")
        eclair = Contact(client_id=world.a1, name="Boulangerie Éclair")
        other_dupont = Contact(client_id=world.a1, name="Dupont", first_name="Léa",
                               is_company=False)
        martin = Contact(client_id=world.a1, name="Martin")
        martin_bis = Contact(client_id=world.a1, name="Martin")
        db.session.add_all([durand, dupont, eclair, other_dupont, martin, martin_bis])
        db.session.commit()
        plan = resolution.plan_for_resolver(db.session, own)

        explained = resolution.explain_contact(plan, durand, french)
        assert (explained.account, explained.derived) == ("41100000 / CDURAND", False)
        assert _used(explained) == ["Journaux", "Client"]

        explained = resolution.explain_contact(plan, eclair, french)
        assert explained.account == "41100000 / CBOULANGERIEECLAIR"
        assert explained.derived and explained.auxiliary == "CBOULANGERIEECLAIR"
        assert "dérivé" in explained.provenance[-1].detail
        assert "conservé" in explained.provenance[-1].detail
        assert "non renseigné" in explained.provenance[1].detail
        # Shown, never stored here.
        assert eclair.auxiliary_account is None and not db.session.dirty

        page = [durand, dupont, eclair, other_dupont, martin, martin_bis]
        explained = resolution.explain_contacts(db.session, own, page, french)
        assert [explained[c.id].account.split(" / ")[1] for c in page] == [
            "CDURAND", "CDUPONT", "CBOULANGERIEECLAIR", "CDUPONT2", "CMARTIN", "CMARTIN2"]
        assert [explained[c.id].derived for c in page] == [False, False, True, True, True, True]
        db.session.expire_all()
        assert db.session.get(Contact, eclair.id).auxiliary_account is None


def test_a_contact_without_auxiliary_root_is_an_error(app, world):
    with app.app_context():
        own = _client_plan(world, auxiliary_root=None)
        contact = Contact(client_id=world.a1, name="Durand")
        plan = resolution.plan_for_resolver(db.session, own)
        explained = resolution.explain_contact(plan, contact, french)
        assert not explained.ok and "Durand" in explained.error
        assert "racine des comptes auxiliaires" in explained.error
        db.session.rollback()


# Payment modes ----------------------------------------------------------------------------

def test_payment_modes_known_unknown_and_without_journal(app, world):
    with app.app_context():
        own = _client_plan(world)
        db.session.add(PlanPaymentMode(plan_id=own.id, label="Caisse 2", account="530"))
        db.session.flush()
        plan = resolution.plan_for_resolver(db.session, own)

        cheque = resolution.explain_payment_mode(plan, "chèque", french)
        assert (cheque.account, cheque.journal) == ("51120000", "BQ")
        assert cheque.provenance[0].source == "Mode de paiement" and cheque.provenance[0].used

        unknown = resolution.explain_payment_mode(plan, "Bitcoin", french)
        assert (unknown.account, unknown.journal) == ("51200000", "BQ")
        first = unknown.provenance[0]
        assert (first.source, first.used) == ("Mode de paiement", False)
        assert "absent du plan" in first.detail
        assert _used(unknown) == ["Journaux", "Journaux"]

        cash = resolution.explain_payment_mode(plan, "Caisse 2", french)
        assert (cash.account, cash.journal) == ("53000000", "BQ")
        assert _used(cash) == ["Mode de paiement", "Journaux"]

        own.bank_account = None
        db.session.flush()
        plan = resolution.plan_for_resolver(db.session, own)
        missing = resolution.explain_payment_mode(plan, "Bitcoin", french)
        assert not missing.ok and "Bitcoin" in missing.error
        db.session.rollback()


# VAT rates --------------------------------------------------------------------------------

@pytest.mark.parametrize("split", [False, True])
def test_vat_rates_per_nature_with_or_without_split(app, world, split):
    with app.app_context():
        own = _client_plan(world, split_vat_by_nature=split)
        rate = _rate(own, "20")
        rate.services_vat_account = "44571100"
        db.session.flush()
        plan = resolution.plan_for_resolver(db.session, own)
        explained = resolution.explain_vat_rate(plan, rate, french)
        assert set(explained) == {"goods", "services"}
        assert explained["goods"]["vat"].account == "44571200"
        assert explained["goods"]["sales"].account == "70700000"
        assert explained["services"]["sales"].account == "70600000"
        services_vat = explained["services"]["vat"]
        if split:
            assert services_vat.account == "44571100"
            assert [s.used for s in services_vat.provenance] == [True]
        else:
            assert services_vat.account == "44571200"
            assert [s.used for s in services_vat.provenance] == [False, True]
            assert "non ventilée" in services_vat.provenance[0].detail

        # A rate without VAT account (0 %): an error for the VAT, the sales still known.
        zero = resolution.explain_vat_rate(plan, _rate(own, "0"), french)
        assert not zero["goods"]["vat"].ok and "0 %" in zero["goods"]["vat"].error
        assert zero["goods"]["sales"].account == "70700000"
        db.session.rollback()


# Padding ----------------------------------------------------------------------------------

def test_accounts_are_padded_to_the_plan_length(app, world):
    with app.app_context():
        own = _client_plan(world, customer_account="411")
        article = _article(world, "Consultation", account="7085")
        contact = Contact(client_id=world.a1, name="Durand", auxiliary_account="CDURAND")
        plan = resolution.plan_for_resolver(db.session, own)
        assert resolution.explain_article(plan, article, french).account == "70850000"
        assert resolution.explain_contact(plan, contact, french).account == \
            "41100000 / CDURAND"
        own.account_length = 10
        db.session.flush()
        plan = resolution.plan_for_resolver(db.session, own)
        assert resolution.explain_article(plan, article, french).account == "7085000000"
        assert resolution.explain_payment_mode(plan, "Espèces", french).account == "5300000000"
        db.session.rollback()


# A page of rows in a constant number of statements ----------------------------------------

class count_statements:
    """The SQL statements run inside the block."""

    def __enter__(self):
        self.statements = []
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self.statements

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._record)


def test_explaining_a_page_of_articles_takes_a_constant_number_of_statements(app, world):
    with app.app_context():
        own = _client_plan(world)
        for number in range(30):
            category = None
            if number % 3:
                category = ArticleCategory(client_id=world.a1, name=f"Catégorie {number}",
                                           account="7085" if number % 2 else None)
            _article(world, f"Article {number:02d}", nature=("goods", "services")[number % 2],
                     category=category)
        db.session.commit()
        plan_id = own.id

        def page_of(size):
            db.session.expire_all()
            articles = db.session.scalars(select(Article).order_by(Article.label)
                                          .limit(size)).all()
            plan_row = db.session.get(AccountingPlan, plan_id)
            with count_statements() as statements:
                explained = resolution.explain_articles(db.session, plan_row, articles, french)
            return explained, len(statements)

        small, small_count = page_of(5)
        large, large_count = page_of(25)
        assert len(small) == 5 and len(large) == 25
        assert small_count == large_count <= 5
        assert all(explanation.ok for explanation in large.values())
        by_label = {db.session.get(Article, pk).label: e for pk, e in large.items()}
        assert by_label["Article 01"].account == "70850000"   # its category's account
        assert by_label["Article 02"].account == "70700000"   # category without account
        assert by_label["Article 03"].account == "70600000"   # no category, services

        # Rows loaded with their category: no query for the categories.
        db.session.expire_all()
        from sqlalchemy.orm import selectinload
        articles = db.session.scalars(select(Article).options(selectinload(Article.category))
                                      .order_by(Article.label).limit(25)).all()
        plan = resolution.plan_for_resolver(db.session, plan_id)
        with count_statements() as statements:
            again = resolution.explain_articles(db.session, plan, articles, french)
        assert statements == []
        assert {pk: e.account for pk, e in again.items()} == \
            {pk: e.account for pk, e in large.items()}
