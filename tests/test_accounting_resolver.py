"""Which account a line uses (app/accounting/resolver.py): a table of cases for
every step of each precedence, the French errors, then properties checked on
random plans with hypothesis. Pure: no app, no database."""
import re
from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounting import resolver as r
from app.accounting.resolver import (
    ItemRef, JournalSettings, PaymentModeAccounts, Plan, ResolutionError, Step,
    VatRateAccounts, account_radical, credit_note_account, customer_account, deposit_account,
    derive_auxiliary_code, incorporated_account, pad_account, payment_account, sales_account,
    vat_account,
)

# --- A plan at length 8, the default PCG accounts ------------------------------------------

SETTINGS8 = JournalSettings(
    account_length=8, sales_journal="VE", customer_account="411", auxiliary_root="C",
    sales_account="701", deposit_account="4191", credit_note_account=None,
    bank_journal="BQ", bank_account="512",
)
RATES8 = (
    VatRateAccounts(rate=D("20.00"), label="Normal", goods_vat_account="44571200",
                    services_vat_account="44571201", goods_sales_account="707",
                    services_sales_account="706"),
    VatRateAccounts(rate=D("10"), label="Intermédiaire", goods_vat_account="44571100",
                    services_vat_account=None),
    VatRateAccounts(rate=D("5.50"), label="Réduit", goods_vat_account="44571055",
                    services_vat_account="44571056"),
    VatRateAccounts(rate=D("8.5"), label="DOM", goods_vat_account="44574085"),
)
MODES = (
    PaymentModeAccounts(label="Chèque", account="5112", journal_code="CH"),
    PaymentModeAccounts(label="Espèces", account="530", journal_code=None),
    PaymentModeAccounts(label="Virement", account=None, journal_code=None),
)
ACCOUNTS8 = frozenset({
    "411000", "4191", "44571200", "44571201", "44571100", "44571055", "44571056", "44574085",
    "5112", "512", "530", "701", "706", "707", "7071", "707100", "708", "709", "7085",
})
PLAN8 = Plan(settings=SETTINGS8, vat_rates=RATES8, payment_modes=MODES, accounts=ACCOUNTS8)

# The same plan at length 6: per-rate VAT accounts of 6 digits (445712 for 20 %).
PLAN6 = Plan(
    settings=replace(SETTINGS8, account_length=6),
    vat_rates=(
        VatRateAccounts(rate=D("20"), goods_vat_account="445712", services_vat_account="445713",
                        goods_sales_account="707", services_sales_account="706"),
        VatRateAccounts(rate=D("5.5"), goods_vat_account="445715"),
    ),
    payment_modes=MODES,
    accounts=frozenset({"411", "4191", "445712", "445713", "445715", "512", "5112", "530",
                        "701", "706", "707", "7071", "707100", "707105", "709"}),
)


def plan_with(plan=PLAN8, **changes):
    return replace(plan, settings=replace(plan.settings, **changes))


def article(label="Baguette", nature="goods", rate="20", own=None, category=None,
            category_account=None):
    return ItemRef(kind="article", label=label, nature=nature, vat_rate=D(rate),
                   own_account=own, category_label=category, category_account=category_account)


def charge(label="Frais de port", nature="services", rate="20", own=None):
    return ItemRef(kind="charge", label=label, nature=nature, vat_rate=D(rate), own_account=own)


def free_line(label="Livraison", nature="goods", rate="20"):
    return ItemRef(kind="free_line", label=label, nature=nature, vat_rate=D(rate))


def winner(resolution):
    return resolution.provenance[0]


# --- Padding --------------------------------------------------------------------------------

@pytest.mark.parametrize("account, length, expected", [
    ("411", 8, "41100000"),
    ("411", 6, "411000"),
    ("411000", 6, "411000"),
    ("41100000", 8, "41100000"),
    (" 512 ", 6, "512000"),
    ("0", 3, "000"),
], ids=["411-at-8", "411-at-6", "already-6", "already-8", "blanks-stripped", "zero"])
def test_pad_account(account, length, expected):
    assert pad_account(account, length) == expected


@pytest.mark.parametrize("account, length, message", [
    ("41100000", 6, "Le compte 41100000 a 8 chiffres, plus que la taille des comptes du plan (6)."),
    ("411A", 6, "Le compte « 411A » ne doit contenir que des chiffres."),
    ("411 000", 8, "Le compte « 411 000 » ne doit contenir que des chiffres."),
    ("٤١١", 6, "Le compte « ٤١١ » ne doit contenir que des chiffres."),
    ("", 6, "Le compte n'est pas renseigné."),
    (None, 6, "Le compte n'est pas renseigné."),
    ("411", 0, "La taille des comptes du plan doit être un nombre entier positif (« 0 »)."),
    ("411", True,
     "La taille des comptes du plan doit être un nombre entier positif (« True »)."),
], ids=["too-long", "letter", "inner-space", "non-ascii-digits", "empty", "none", "length-0",
        "length-bool"])
def test_pad_account_refuses(account, length, message):
    with pytest.raises(ResolutionError) as error:
        pad_account(account, length)
    assert str(error.value) == message


# --- Sales account: every step of the precedence ------------------------------------------

SALES_CASES = [
    # id, plan, item, expected account, expected source of the winner
    ("article-own-account", PLAN8, article(own="707100", category="Pains", category_account="7071"),
     "70710000", "Article"),
    ("category-account", PLAN8, article(category="Pains", category_account="7071"),
     "70710000", "Catégorie"),
    ("category-without-account-falls-to-rate", PLAN8, article(category="Pains"),
     "70700000", "Taux de TVA"),
    ("rate-goods", PLAN8, article(nature="goods"), "70700000", "Taux de TVA"),
    ("rate-services", PLAN8, article(nature="services"), "70600000", "Taux de TVA"),
    ("rate-without-sales-account-falls-to-settings", PLAN8, article(rate="5.5"),
     "70100000", "Journaux"),
    ("rate-not-in-plan-falls-to-settings", PLAN8, article(rate="2.1"), "70100000", "Journaux"),
    ("rate-compared-as-decimal", PLAN8, article(rate="20.0", nature="services"),
     "70600000", "Taux de TVA"),
    ("charge-own-account", PLAN8, charge(own="7085"), "70850000", "Frais, taxe ou remise"),
    ("charge-skips-category", PLAN8,
     ItemRef(kind="charge", label="Remise", nature="goods", vat_rate=D("20"),
             category_label="Pains", category_account="7071"), "70700000", "Taux de TVA"),
    ("charge-discount-to-settings", PLAN8, charge(label="Remise", own=None, rate="10"),
     "70100000", "Journaux"),
    ("free-line-starts-at-rate", PLAN8, free_line(), "70700000", "Taux de TVA"),
    ("own-account-matches-padded-plan-account", PLAN8, article(own="41100000"),
     "41100000", "Article"),
    ("length-6", PLAN6, article(own="707100"), "707100", "Article"),
    ("length-6-rate", PLAN6, article(nature="services"), "706000", "Taux de TVA"),
    ("length-6-settings", PLAN6, article(rate="5.5"), "701000", "Journaux"),
]


@pytest.mark.parametrize("plan, item, expected, source",
                         [case[1:] for case in SALES_CASES], ids=[case[0] for case in SALES_CASES])
def test_sales_account_precedence(plan, item, expected, source):
    resolution = sales_account(plan, item)
    assert resolution.account == expected
    assert winner(resolution).source == source
    assert len(resolution.provenance) == 1
    # Steps before the winner are not set, those after it are outranked.
    position = resolution.steps.index(winner(resolution))
    for step in resolution.steps[:position]:
        assert step.account is None and not step.used
    for step in resolution.steps[position + 1:]:
        assert not step.used


def test_sales_steps_explain_the_provenance():
    plan = plan_with(sales_account=None)
    resolution = sales_account(plan, article(own="707100", category="Pains", rate="5.5"))
    assert resolution.steps == (
        Step("Article", "compte propre de l'article « Baguette »", "707100", True,
             "compte propre de l'article « %(item)s »", (("item", "Baguette"),)),
        Step("Catégorie", "compte de la catégorie « Pains » : non renseigné", None, False,
             "compte de la catégorie « %(category)s »", (("category", "Pains"),),
             "non renseigné"),
        Step("Taux de TVA", "compte de vente des biens du taux 5,5 % : non renseigné", None,
             False, "compte de vente des biens du taux %(rate)s %%", (("rate", "5,5"),),
             "non renseigné"),
        Step("Journaux", "compte de vente des journaux : non renseigné", None, False,
             "compte de vente des journaux", (), "non renseigné"),
    )
    assert resolution.unpadded == "707100"


def test_sales_steps_of_an_article_without_category_and_a_rate_absent_from_the_plan():
    steps = sales_account(PLAN8, article(rate="2.1")).steps
    assert [step.detail for step in steps] == [
        "compte propre de l'article « Baguette » : non renseigné",
        "catégorie de l'article « Baguette » : aucune catégorie",
        "compte de vente des biens du taux 2,1 % : taux absent du plan",
        "compte de vente des journaux",
    ]


def test_outranked_steps_keep_their_account():
    steps = sales_account(PLAN8, article(own="707100", category="Pains",
                                         category_account="7071")).steps
    assert [(step.source, step.account, step.used) for step in steps] == [
        ("Article", "707100", True), ("Catégorie", "7071", False),
        ("Taux de TVA", "707", False), ("Journaux", "701", False)]


# --- « Incorporer TVA » ----------------------------------------------------------------------

@pytest.mark.parametrize("account, vat, expected", [
    ("706", "44571200", "706200"),          # DESIGN.md's example
    ("706000", "44571200", "706200"),
    ("70600000", "44571200", "706200"),
    ("700000", "44571200", "700200"),       # radical never shorter than 3 digits
    ("7071", "44571055", "7071055"),
    ("707100", "44571055", "7071055"),
    ("70710", "44571100", "7071100"),
    ("70", "44571200", "70200"),            # shorter than 3 digits: kept whole
    ("706", "445712", "7062"),              # a 6-digit VAT account: suffix 2
    ("4191", "44571200", "4191200"),
], ids=["design-example", "706000", "padded-8", "radical-min-3", "7071-055", "707100-055",
        "70710", "short-account", "vat-6-digits", "deposit-4191"])
def test_incorporated_account(account, vat, expected):
    assert incorporated_account(account, vat) == expected


@pytest.mark.parametrize("vat", ["44574085", "44571", "4457", "4457120A"],
                         ids=["encaissements", "radical-only", "shorter", "letter"])
def test_incorporation_refuses_a_vat_account_without_suffix(vat):
    with pytest.raises(ResolutionError) as error:
        incorporated_account("706", vat)
    assert str(error.value) == (
        f"Incorporer TVA : le compte de TVA {vat} doit commencer par 44571 suivi des chiffres "
        "à incorporer (par exemple 44571200).")


INCORPORATION_CASES = [
    # id, plan, item, expected
    ("rate-goods", plan_with(incorporate_vat_article=True), article(), "70720000"),
    ("services-vat-not-split-uses-goods-vat", plan_with(incorporate_vat_article=True),
     article(nature="services"), "70620000"),
    ("services-vat-split", plan_with(incorporate_vat_article=True, split_vat_by_nature=True),
     article(nature="services"), "70620100"),
    ("own-account-5-5", plan_with(incorporate_vat_article=True), article(own="707100",
                                                                          rate="5.5"),
     "70710550"),
    ("settings-account", plan_with(incorporate_vat_article=True), article(rate="10"),
     "70110000"),
    ("length-6", plan_with(PLAN6, incorporate_vat_article=True), article(nature="services"),
     "706200"),
    ("length-6-split", plan_with(PLAN6, incorporate_vat_article=True, split_vat_by_nature=True),
     article(nature="services"), "706300"),
    ("deposit-option-alone-leaves-sales", plan_with(incorporate_vat_deposit=True), article(),
     "70700000"),
]


@pytest.mark.parametrize("plan, item, expected", [case[1:] for case in INCORPORATION_CASES],
                         ids=[case[0] for case in INCORPORATION_CASES])
def test_sales_account_with_incorporation(plan, item, expected):
    resolution = sales_account(plan, item)
    assert resolution.account == expected
    if plan.settings.incorporate_vat_article:
        last = resolution.steps[-1]
        assert last.source == "Incorporer TVA" and last.used
        assert resolution.unpadded == last.account
        assert expected == last.account.ljust(plan.settings.account_length, "0")


def test_incorporation_step_detail():
    resolution = sales_account(plan_with(incorporate_vat_article=True), article(nature="services"))
    assert resolution.steps[-1].detail == \
        "radical 706 suivi des chiffres 200 du compte de TVA 44571200"
    assert [step.source for step in resolution.provenance] == ["Taux de TVA", "Incorporer TVA"]


def test_incorporation_too_long_for_the_plan():
    plan = plan_with(PLAN6, incorporate_vat_article=True)
    with pytest.raises(ResolutionError) as error:
        sales_account(plan, article(own="707105", rate="5.5"))
    assert str(error.value) == (
        "Le compte 7071055 (radical 707105 suivi des chiffres 5 du compte de TVA 445715) a 7 "
        "chiffres, plus que la taille des comptes du plan (6).")


def test_incorporation_with_a_vat_account_without_suffix():
    plan = plan_with(incorporate_vat_article=True)
    with pytest.raises(ResolutionError) as error:
        sales_account(plan, article(rate="8.5"))
    assert error.value.msgid == r.VAT_NOT_INCORPORABLE
    assert error.value.params == {"vat_account": "44574085"}


@pytest.mark.parametrize("plan, rate, nature, expected, incorporated", [
    (PLAN8, "20", "goods", "41910000", False),
    (plan_with(incorporate_vat_deposit=True), "20", "goods", "41912000", True),
    (plan_with(incorporate_vat_deposit=True), "5.5", "services", "41910550", True),
    (plan_with(incorporate_vat_deposit=True, split_vat_by_nature=True), "5.5", "services",
     "41910560", True),
    (plan_with(incorporate_vat_article=True), "20", "goods", "41910000", False),
    (plan_with(PLAN6, incorporate_vat_deposit=True), "20", "goods", "419120", True),
], ids=["plain", "incorporated-20", "incorporated-5-5-not-split", "incorporated-5-5-split",
        "article-option-alone-leaves-deposit", "length-6"])
def test_deposit_account(plan, rate, nature, expected, incorporated):
    resolution = deposit_account(plan, D(rate), nature)
    assert resolution.account == expected
    assert resolution.steps[0].detail == "compte d'acomptes des journaux"
    assert (resolution.steps[-1].source == "Incorporer TVA") is incorporated


# --- Credit notes -------------------------------------------------------------------------

def test_credit_note_account_from_the_journals():
    plan = replace(plan_with(credit_note_account="709", incorporate_vat_article=True))
    resolution = credit_note_account(plan, article(own="707100"))
    assert resolution.account == "70900000"   # never incorporated
    assert [(step.source, step.detail) for step in resolution.steps] == [
        ("Journaux", "compte d'avoirs des journaux")]


@pytest.mark.parametrize("plan, expected", [
    (PLAN8, "70710000"), (plan_with(incorporate_vat_article=True), "70712000"),
], ids=["sales-account", "sales-account-incorporated"])
def test_credit_note_account_falls_back_to_the_sales_account(plan, expected):
    resolution = credit_note_account(plan, article(own="707100"))
    assert resolution.account == expected
    assert resolution.steps[0].detail == "compte d'avoirs des journaux : non renseigné"
    assert not resolution.steps[0].used
    assert resolution.steps[1:] == sales_account(plan, article(own="707100")).steps


# --- VAT ------------------------------------------------------------------------------------

@pytest.mark.parametrize("plan, rate, nature, expected", [
    (PLAN8, "20", "goods", "44571200"),
    (PLAN8, "20", "services", "44571200"),
    (plan_with(split_vat_by_nature=True), "20", "goods", "44571200"),
    (plan_with(split_vat_by_nature=True), "20", "services", "44571201"),
    (PLAN8, "5.5", "services", "44571055"),
    (PLAN8, "5.50", "goods", "44571055"),
    (PLAN8, "10", "services", "44571100"),
    (PLAN6, "20", "goods", "445712"),
    (plan_with(PLAN6, split_vat_by_nature=True), "20", "services", "445713"),
], ids=["goods", "services-not-split", "split-goods", "split-services", "5-5-services",
        "5-50-decimal", "10-services-without-own-account-not-split", "length-6",
        "length-6-split"])
def test_vat_account(plan, rate, nature, expected):
    assert vat_account(plan, D(rate), nature).account == expected


def test_vat_account_steps_say_when_vat_is_not_split():
    steps = vat_account(PLAN8, D("20"), "services").steps
    assert [(step.detail, step.account, step.used) for step in steps] == [
        ("compte de TVA des prestations de services du taux 20 % : TVA non ventilée par "
         "nature, compte des biens retenu", "44571201", False),
        ("compte de TVA des biens du taux 20 %", "44571200", True)]


# --- Customer accounts ----------------------------------------------------------------------

def test_customer_with_its_own_auxiliary_code():
    result = customer_account(PLAN8, "Boulangerie Éclair & Fils", "cecl01", {"CECL01"})
    assert (result.general, result.auxiliary, result.derived) == ("41100000", "cecl01", False)
    assert [(step.detail, step.used) for step in result.steps] == [
        ("compte client collectif des journaux", True),
        ("code auxiliaire du client « Boulangerie Éclair & Fils »", True)]


AUXILIARY_CASES = [
    # id, plan, name, taken, expected
    ("root-letter-max-20", PLAN8, "Boulangerie Éclair & Fils", (), "CBOULANGERIEECLAIRFI"),
    ("taken-replaces-the-end", PLAN8, "Boulangerie Éclair & Fils", ("CBOULANGERIEECLAIRFI",),
     "CBOULANGERIEECLAIRF2"),
    ("taken-twice", PLAN8, "Boulangerie Éclair & Fils",
     ("CBOULANGERIEECLAIRFI", "cboulangerieeclairf2"), "CBOULANGERIEECLAIRF3"),
    ("short-name-appends", PLAN8, "Dupont", ("CDUPONT",), "CDUPONT2"),
    ("short-name-free", PLAN8, "Dupont", ("CDUPONT2",), "CDUPONT"),
    ("ten-taken", PLAN8, "Dupont", ["CDUPONT"] + [f"CDUPONT{n}" for n in range(2, 10)],
     "CDUPONT10"),
    ("digit-root-fits-length-8", plan_with(auxiliary_root="411"), "Boulangerie Éclair & Fils",
     (), "411BOULA"),
    ("digit-root-taken", plan_with(auxiliary_root="411"), "Boulangerie Éclair & Fils",
     ("411BOULA",), "411BOUL2"),
    ("digit-root-length-6", plan_with(PLAN6, auxiliary_root="411"), "Éclair", (), "411ECL"),
    ("lower-case-root", plan_with(auxiliary_root="c"), "Dupont", (), "CDUPONT"),
    ("ligatures", PLAN8, "Œuvre Ærienne Straße", (), "COEUVREAERIENNESTRAS"),
    ("digits-kept", PLAN8, "SARL 3 Frères", (), "CSARL3FRERES"),
]


@pytest.mark.parametrize("plan, name, taken, expected", [case[1:] for case in AUXILIARY_CASES],
                         ids=[case[0] for case in AUXILIARY_CASES])
def test_derived_auxiliary_code(plan, name, taken, expected):
    result = customer_account(plan, name, None, taken)
    assert (result.auxiliary, result.derived) == (expected, True)
    assert derive_auxiliary_code(plan, name, taken) == expected
    assert result.steps[1].detail == f"code auxiliaire du client « {name} » : non renseigné"
    assert result.steps[2].used and result.steps[2].account == expected


def test_a_blank_auxiliary_code_is_not_set():
    assert customer_account(PLAN8, "Dupont", "  ", ()).auxiliary == "CDUPONT"


# --- Payments -------------------------------------------------------------------------------

@pytest.mark.parametrize("plan, mode, account, journal, account_source, journal_source", [
    (PLAN8, "Chèque", "51120000", "CH", "Mode de paiement", "Mode de paiement"),
    (PLAN8, "chèque ", "51120000", "CH", "Mode de paiement", "Mode de paiement"),
    (PLAN8, "Espèces", "53000000", "BQ", "Mode de paiement", "Journaux"),
    (PLAN8, "Virement", "51200000", "BQ", "Journaux", "Journaux"),
    (PLAN8, "Carte bancaire", "51200000", "BQ", "Journaux", "Journaux"),
    (PLAN8, None, "51200000", "BQ", "Journaux", "Journaux"),
    (PLAN6, "Espèces", "530000", "BQ", "Mode de paiement", "Journaux"),
], ids=["mode-account-and-journal", "label-case-insensitive", "mode-account-bank-journal",
        "mode-without-accounts", "mode-not-in-plan", "no-mode", "length-6"])
def test_payment_account(plan, mode, account, journal, account_source, journal_source):
    result = payment_account(plan, mode)
    assert (result.account, result.journal_code) == (account, journal)
    assert winner(result).source == account_source
    assert next(step for step in result.journal_steps if step.used).source == journal_source


def test_payment_mode_not_in_plan_is_explained():
    result = payment_account(PLAN8, "Carte bancaire")
    assert result.steps[0].detail == \
        "compte du mode de paiement « Carte bancaire » : mode de paiement absent du plan"


# --- Errors: each missing or wrong setting, in French ------------------------------------

NO_SALES = plan_with(sales_account=None)
ERROR_CASES = [
    ("sales-article-category", lambda: sales_account(
        NO_SALES, article(rate="5.5", category="Pains")),
     "Aucun compte de vente pour « Baguette » : renseignez le compte de l'article, de sa "
     "catégorie « Pains », du taux de TVA 5,5 % (biens) ou le compte de vente des journaux."),
    ("sales-article-category-services", lambda: sales_account(
        NO_SALES, article(rate="5.5", nature="services", category="Pains")),
     "Aucun compte de vente pour « Baguette » : renseignez le compte de l'article, de sa "
     "catégorie « Pains », du taux de TVA 5,5 % (prestations de services) ou le compte de "
     "vente des journaux."),
    ("sales-article-no-category", lambda: sales_account(NO_SALES, article(rate="10")),
     "Aucun compte de vente pour « Baguette » : renseignez le compte de l'article (ou "
     "classez-le dans une catégorie qui a un compte), celui du taux de TVA 10 % (biens) ou "
     "le compte de vente des journaux."),
    ("sales-article-no-category-services", lambda: sales_account(
        NO_SALES, article(rate="10", nature="services")),
     "Aucun compte de vente pour « Baguette » : renseignez le compte de l'article (ou "
     "classez-le dans une catégorie qui a un compte), celui du taux de TVA 10 % (prestations "
     "de services) ou le compte de vente des journaux."),
    ("sales-charge", lambda: sales_account(NO_SALES, charge(rate="10", nature="goods")),
     "Aucun compte de vente pour « Frais de port » : renseignez son compte dans « Taxes, "
     "frais & remises », celui du taux de TVA 10 % (biens) ou le compte de vente des "
     "journaux."),
    ("sales-charge-services", lambda: sales_account(NO_SALES, charge(rate="10")),
     "Aucun compte de vente pour « Frais de port » : renseignez son compte dans « Taxes, "
     "frais & remises », celui du taux de TVA 10 % (prestations de services) ou le compte "
     "de vente des journaux."),
    ("sales-free-line", lambda: sales_account(NO_SALES, free_line(rate="2.1")),
     "Aucun compte de vente pour la ligne libre « Livraison » : renseignez le compte du taux "
     "de TVA 2,1 % (biens) ou le compte de vente des journaux."),
    ("sales-free-line-services", lambda: sales_account(
        NO_SALES, free_line(rate="2.1", nature="services")),
     "Aucun compte de vente pour la ligne libre « Livraison » : renseignez le compte du taux "
     "de TVA 2,1 % (prestations de services) ou le compte de vente des journaux."),
    ("credit-note-and-sales", lambda: credit_note_account(NO_SALES, article(rate="10")),
     "Aucun compte de vente pour « Baguette » : renseignez le compte de l'article (ou "
     "classez-le dans une catégorie qui a un compte), celui du taux de TVA 10 % (biens) ou "
     "le compte de vente des journaux."),
    ("own-account-not-in-plan", lambda: sales_account(PLAN8, article(own="707999")),
     "Le compte 707999 (compte propre de l'article « Baguette ») n'existe pas dans le plan "
     "comptable."),
    ("category-account-not-in-plan", lambda: sales_account(
        PLAN8, article(category="Pains", category_account="7072")),
     "Le compte 7072 (compte de la catégorie « Pains ») n'existe pas dans le plan comptable."),
    ("own-account-too-long", lambda: sales_account(PLAN6, article(own="70710000")),
     "Le compte 70710000 (compte propre de l'article « Baguette ») a 8 chiffres, plus que la "
     "taille des comptes du plan (6)."),
    ("own-account-not-digits", lambda: sales_account(PLAN8, article(own="707A")),
     "Le compte « 707A » (compte propre de l'article « Baguette ») ne doit contenir que des "
     "chiffres."),
    ("settings-sales-not-in-plan", lambda: sales_account(
        plan_with(sales_account="704"), article(rate="10")),
     "Le compte 704 (compte de vente des journaux) n'existe pas dans le plan comptable."),
    ("vat-goods-missing", lambda: vat_account(
        replace(PLAN8, vat_rates=(VatRateAccounts(rate=D("20")),)), D("20"), "services"),
     "Aucun compte de TVA pour le taux 20 % (biens) : renseignez-le dans les taux de TVA du "
     "plan."),
    ("vat-services-missing-split", lambda: vat_account(
        plan_with(split_vat_by_nature=True), D("10"), "services"),
     "Aucun compte de TVA pour le taux 10 % (prestations de services) : renseignez-le dans "
     "les taux de TVA du plan."),
    ("vat-rate-not-in-plan", lambda: vat_account(PLAN8, D("2.1"), "goods"),
     "Le taux de TVA 2,1 % n'existe pas dans le plan."),
    ("vat-rate-not-in-plan-when-incorporating", lambda: sales_account(
        plan_with(incorporate_vat_article=True), article(rate="2.1")),
     "Le taux de TVA 2,1 % n'existe pas dans le plan."),
    ("vat-account-not-in-plan", lambda: vat_account(
        replace(PLAN8, accounts=ACCOUNTS8 - {"44571100"}), D("10"), "goods"),
     "Le compte 44571100 (compte de TVA des biens du taux 10 %) n'existe pas dans le plan "
     "comptable."),
    ("vat-not-incorporable", lambda: deposit_account(
        plan_with(incorporate_vat_deposit=True), D("8.5")),
     "Incorporer TVA : le compte de TVA 44574085 doit commencer par 44571 suivi des chiffres "
     "à incorporer (par exemple 44571200)."),
    ("deposit-missing", lambda: deposit_account(plan_with(deposit_account=None), D("20")),
     "Aucun compte d'acompte : renseignez le compte d'acomptes des journaux."),
    ("customer-general-missing", lambda: customer_account(
        plan_with(customer_account=" "), "Dupont", "CDUPONT"),
     "Aucun compte client collectif : renseignez le compte client général des journaux."),
    ("customer-general-too-long", lambda: customer_account(
        plan_with(PLAN6, customer_account="4110000"), "Dupont", "CDUPONT"),
     "Le compte 4110000 (compte client collectif des journaux) a 7 chiffres, plus que la "
     "taille des comptes du plan (6)."),
    ("auxiliary-root-missing", lambda: customer_account(
        plan_with(auxiliary_root=None), "Boulangerie Éclair & Fils", None),
     "Aucun compte auxiliaire pour « Boulangerie Éclair & Fils » : renseignez son code "
     "auxiliaire ou la racine des comptes auxiliaires des journaux."),
    ("auxiliary-root-invalid", lambda: customer_account(
        plan_with(auxiliary_root="C-"), "Dupont", None),
     "La racine des comptes auxiliaires « C- » ne doit contenir que des lettres sans accents "
     "et des chiffres."),
    ("auxiliary-root-accent", lambda: customer_account(
        plan_with(auxiliary_root="É"), "Dupont", None),
     "La racine des comptes auxiliaires « É » ne doit contenir que des lettres sans accents "
     "et des chiffres."),
    ("auxiliary-root-too-long", lambda: customer_account(
        plan_with(PLAN6, auxiliary_root="411000"), "Dupont", None),
     "La racine des comptes auxiliaires « 411000 » ne laisse aucune place au nom du client "
     "dans un code de 6 caractères."),
    ("auxiliary-name-unusable", lambda: customer_account(PLAN8, "—  ¿?", None),
     "Impossible de dériver un compte auxiliaire du nom « —  ¿? » (aucune lettre ni aucun "
     "chiffre) : renseignez son code auxiliaire."),
    ("auxiliary-none-free", lambda: customer_account(
        plan_with(PLAN6, auxiliary_root="4110"), "Dupont", None,
        {"4110DU"} | {f"4110D{n}" for n in range(2, 10)}),
     "Aucun compte auxiliaire libre pour « Dupont » : renseignez son code auxiliaire."),
    ("payment-account-missing", lambda: payment_account(
        plan_with(bank_account=None), "Virement"),
     "Aucun compte pour le mode de paiement « Virement » : renseignez le compte du mode de "
     "paiement ou le compte de banque des journaux."),
    ("bank-account-missing", lambda: payment_account(plan_with(bank_account=None), None),
     "Aucun compte pour ce règlement sans mode de paiement : renseignez le compte de banque "
     "des journaux."),
    ("payment-journal-missing", lambda: payment_account(
        plan_with(bank_journal=None), "Espèces"),
     "Aucun journal pour le mode de paiement « Espèces » : renseignez le code journal du mode "
     "de paiement ou le journal de banque des journaux."),
    ("bank-journal-missing", lambda: payment_account(plan_with(bank_journal=""), ""),
     "Aucun journal pour ce règlement sans mode de paiement : renseignez le journal de banque "
     "des journaux."),
    ("payment-account-not-in-plan", lambda: payment_account(
        replace(PLAN8, accounts=ACCOUNTS8 - {"5112"}), "Chèque"),
     "Le compte 5112 (compte du mode de paiement « Chèque ») n'existe pas dans le plan "
     "comptable."),
    ("length-invalid", lambda: sales_account(plan_with(account_length=0), article()),
     "La taille des comptes du plan doit être un nombre entier positif (« 0 »)."),
    ("rate-invalid", lambda: vat_account(PLAN8, "vingt", "goods"),
     "Taux de TVA invalide : « vingt »."),
    ("kind-unknown", lambda: sales_account(PLAN8, replace(article(), kind="service")),
     "Type de ligne inconnu : « service »."),
    ("nature-unknown", lambda: sales_account(PLAN8, article(nature="product")),
     "Nature inconnue : « product » (biens ou prestations de services)."),
]


@pytest.mark.parametrize("call, message", [case[1:] for case in ERROR_CASES],
                         ids=[case[0] for case in ERROR_CASES])
def test_errors_say_which_item_and_which_setting(call, message):
    with pytest.raises(ResolutionError) as error:
        call()
    assert str(error.value) == message
    assert isinstance(error.value, ValueError)
    params = error.value.params
    assert (error.value.msgid % params if params else error.value.msgid) == message


def test_every_error_msgid_is_tested():
    """Every message of the module that ends with a full stop is an error
    message: each one is raised by a case above (or the incorporation tests)."""
    raised = set()
    for _, call, _ in ERROR_CASES:
        with pytest.raises(ResolutionError) as error:
            call()
        raised.add(error.value.msgid)
    for account, length in (("41100000", 6), ("411A", 6), (None, 6)):
        with pytest.raises(ResolutionError) as error:
            pad_account(account, length)
        raised.add(error.value.msgid)
    messages = set()
    for name, value in vars(r).items():
        if not name.isupper():
            continue
        for text in (value.values() if isinstance(value, dict) else [value]):
            if isinstance(text, str) and text.endswith("."):
                messages.add(text)
    assert messages - raised == set()


def test_float_rate_is_refused():
    with pytest.raises(TypeError):
        vat_account(PLAN8, 5.5, "goods")


def test_translate_translates_the_setting_too():
    catalogue = {
        r.ACCOUNT_NOT_IN_PLAN: "Account %(account)s (%(where)s) is not in the chart of accounts.",
        "compte propre de l'article « %(item)s »": "own account of item “%(item)s”",
        r.NOTE_FORMAT: "%(description)s: %(note)s",
        r.NOT_SET: "not set",
    }

    def gettext(msgid, **params):
        text = catalogue.get(msgid, msgid)
        return text % params if params else text

    with pytest.raises(ResolutionError) as error:
        sales_account(PLAN8, article(own="707999"))
    assert error.value.translate(gettext) == \
        "Account 707999 (own account of item “Baguette”) is not in the chart of accounts."
    step = sales_account(PLAN8, article()).steps[0]
    assert step.describe(gettext) == "own account of item “Baguette”: not set"
    assert step.describe(lambda msgid, **params: msgid % params if params else msgid) == \
        step.detail


def test_no_flask_nor_sqlalchemy_in_the_module():
    with open(r.__file__, encoding="utf-8") as module:
        source = module.read()
    assert not re.search(r"^\s*(from|import)\s+(flask|sqlalchemy|flask_appbuilder)", source,
                         re.MULTILINE)


# --- Properties on random plans -------------------------------------------------------------

RATES = [D("20"), D("10"), D("5.5"), D("2.1"), D("0"), D("8.5")]
PROPERTIES = settings(max_examples=200, deadline=None, derandomize=True,
                      suppress_health_check=[HealthCheck.too_slow])

def digits(max_size=10):
    return st.text(alphabet="0123456789", min_size=1, max_size=max_size)


def vat_digits(max_size=10):
    """Mostly 44571 + a suffix (what « Incorporer TVA » needs), sometimes anything."""
    if max_size <= 5:
        return digits(max_size)
    tail = st.text(alphabet="0123456789", min_size=1, max_size=min(3, max_size - 5))
    return st.one_of(tail.map(lambda suffix: "44571" + suffix), digits(max_size))


def draw_account(draw, pool, length, vat=False):
    """A setting's account: mostly one of the plan, else not set, blank, unknown to
    the plan (maybe too long) or not digits."""
    kind = draw(st.sampled_from(["plan"] * 7 + ["none", "blank", "other", "junk"]))
    if vat and kind == "plan":
        pool = [account for account in pool if account.startswith("44571")] or pool
    if kind == "plan" and pool:
        return draw(st.sampled_from(pool))
    if kind == "blank":
        return "  "
    if kind == "other":
        return draw(vat_digits(12) if vat else digits(12))
    if kind == "junk":
        return draw(st.sampled_from(["7O6", " 706 ", "706-1", "٧٠٦"]))
    return None


@st.composite
def plans(draw):
    length = draw(st.sampled_from([6, 8, 10, 3, 4, 5, 7, 9]))
    # Flags first: hypothesis gives its simplest values to the last draws of a long example.
    incorporate_deposit, incorporate_article, split = (draw(st.booleans()) for _ in range(3))
    # Short radicals (706, 7071), sometimes padded (706000), like a real plan's.
    radicals = st.builds(lambda radical, padded: radical.ljust(length, "0") if padded else radical,
                         st.text(alphabet="0123456789", min_size=1, max_size=min(4, length)),
                         st.booleans())
    accounts = draw(st.frozensets(digits(length), max_size=4)) \
        | draw(st.frozensets(radicals, min_size=1, max_size=6)) \
        | draw(st.frozensets(vat_digits(length), max_size=4)) \
        | draw(st.frozensets(st.one_of(digits(), vat_digits()), max_size=2))
    pool = sorted(accounts)
    rates = draw(st.lists(st.sampled_from(RATES), unique=True, min_size=1, max_size=5))
    vat_rates = tuple(
        VatRateAccounts(rate=rate.quantize(D("0.01")) if draw(st.booleans()) else rate,
                        goods_vat_account=draw_account(draw, pool, length, vat=True),
                        services_vat_account=draw_account(draw, pool, length, vat=True),
                        goods_sales_account=draw_account(draw, pool, length),
                        services_sales_account=draw_account(draw, pool, length))
        for rate in rates)
    settings_ = JournalSettings(
        account_length=length, customer_account=draw_account(draw, pool, length),
        auxiliary_root="C", sales_account=draw_account(draw, pool, length),
        deposit_account=draw_account(draw, pool, length),
        credit_note_account=draw_account(draw, pool, length),
        incorporate_vat_deposit=incorporate_deposit, incorporate_vat_article=incorporate_article,
        split_vat_by_nature=split, bank_journal="BQ",
        bank_account=draw_account(draw, pool, length))
    return Plan(settings=settings_, vat_rates=vat_rates, accounts=accounts)


@st.composite
def plans_and_items(draw):
    plan = draw(plans())
    pool = sorted(plan.accounts)
    length = plan.settings.account_length
    kind = draw(st.sampled_from(["article", "charge", "free_line"]))
    has_category = draw(st.booleans())
    item = ItemRef(kind=kind, label=draw(st.text(max_size=10)),
                   nature=draw(st.sampled_from(["goods", "services"])),
                   vat_rate=draw(st.sampled_from(
                       [entry.rate for entry in plan.vat_rates] * 4 + RATES)),
                   own_account=(draw_account(draw, pool, length) if kind != "free_line"
                                else None),
                   category_label="Catégorie" if has_category else None,
                   category_account=(draw_account(draw, pool, length) if has_category
                                     else None))
    return plan, item


def padded_plan(plan):
    length = plan.settings.account_length
    return {account.ljust(length, "0") for account in plan.accounts if len(account) <= length}


def expected_first(plan, item):
    """The precedence, written again: the first account set wins."""
    candidates = []
    if item.kind != "free_line":
        candidates.append(item.own_account)
    if item.kind == "article":
        candidates.append(item.category_account)
    for entry in plan.vat_rates:
        if D(entry.rate) == D(item.vat_rate):
            candidates.append(entry.goods_sales_account if item.nature == "goods"
                              else entry.services_sales_account)
            break
    candidates.append(plan.settings.sales_account)
    return next((value.strip() for value in candidates if value and value.strip()), None)


@PROPERTIES
@given(plans_and_items())
def test_sales_account_winner_comes_from_the_plan(case):
    plan, item = case
    length = plan.settings.account_length
    first = expected_first(plan, item)
    try:
        resolution = sales_account(plan, item)
    except ResolutionError as error:
        if first is None:
            assert error.msgid in r.MISSING_SALES.values()
        return
    assert first is not None
    precedence_winner = resolution.provenance[0]
    assert precedence_winner.account == first
    assert first.ljust(length, "0") in padded_plan(plan)
    if plan.settings.incorporate_vat_article and item.vat_rate != 0:
        vat = vat_account(plan, item.vat_rate, item.nature)
        assert vat.account in padded_plan(plan)
        assert resolution.unpadded == account_radical(first) + vat.unpadded[5:]
    else:
        assert resolution.unpadded == first
    assert len(resolution.account) == length and resolution.account.isdigit()
    assert resolution.account.startswith(resolution.unpadded)
    assert resolution.account == resolution.unpadded.ljust(length, "0")


@PROPERTIES
@given(plans(), st.sampled_from(RATES), st.sampled_from(["goods", "services"]))
def test_vat_account_is_a_padded_account_of_the_plan(plan, rate, nature):
    try:
        resolution = vat_account(plan, rate, nature)
    except ResolutionError:
        return
    assert resolution.account in padded_plan(plan)
    assert len(resolution.account) == plan.settings.account_length
    entry = next(entry for entry in plan.vat_rates if entry.rate == rate)
    chosen = entry.services_vat_account if plan.settings.split_vat_by_nature \
        and nature == "services" else entry.goods_vat_account
    assert resolution.unpadded == chosen.strip()


@PROPERTIES
@given(plans(), st.sampled_from(RATES))
def test_deposit_account_comes_from_the_plan(plan, rate):
    # A 0 % rate has no VAT to incorporate: the deposit account stays as it is.
    try:
        resolution = deposit_account(plan, rate)
    except ResolutionError:
        return
    deposit = plan.settings.deposit_account.strip()
    assert deposit.ljust(plan.settings.account_length, "0") in padded_plan(plan)
    if plan.settings.incorporate_vat_deposit and rate != 0:
        vat = vat_account(plan, rate, "goods").unpadded
        assert resolution.unpadded == incorporated_account(deposit, vat)
    else:
        assert resolution.unpadded == deposit
    assert resolution.account == resolution.unpadded.ljust(plan.settings.account_length, "0")


roots = st.text(alphabet="ABCXYZabc0123456789", min_size=1, max_size=4)
names = st.one_of(st.text(max_size=30),
                  st.sampled_from(["Boulangerie Éclair & Fils", "Dupont", "Dupont 2", "Ça va",
                                   "Œuf & Cie", "A", "D"]))


@PROPERTIES
@given(roots, st.integers(min_value=3, max_value=12), st.lists(names, min_size=1, max_size=12),
       st.sets(st.text(alphabet="ABCDUPONT0123456789", max_size=8), max_size=10))
def test_derived_auxiliary_codes_are_unique_and_clean(root, length, contacts, taken):
    plan = plan_with(auxiliary_root=root, account_length=length)
    taken = {code.upper() for code in taken}
    for name in contacts:
        try:
            code = derive_auxiliary_code(plan, name, taken)
        except ResolutionError:
            continue
        assert code not in taken
        assert re.fullmatch(r"[A-Z0-9]+", code)
        assert code.startswith(root.upper()) and len(code) > len(root)
        assert len(code) <= (min(length, 20) if root.isdigit() else 20)
        taken.add(code)     # the caller keeps it: the next contact gets another one
