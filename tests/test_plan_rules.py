"""Validation rules and « in use » checks of charts of accounts (app/plans/rules.py)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.messages import TranslatableError
from app.models import (
    AccountingPlan, Article, ArticleCategory, Charge, Client, Contact, Invoice, InvoiceCharge,
    InvoiceLine, PlanAccount, PlanPaymentMode, PlanVatRate,
)
from app.models.accounting import PLAN_COPIED_COLUMNS
from app.plans import rules
from app.plans.copying import apply_plan, duplicate_plan
from app.plans.rules import RuleErrors, RuleViolation


def _refused(call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    return caught.value


# Errors ------------------------------------------------------------------------------------

def test_a_violation_is_a_translatable_error_in_french():
    error = _refused(rules.clean_account_number, "706", kind="customer")
    assert isinstance(error, TranslatableError) and isinstance(error, ValueError)
    assert error.msgid == rules.ACCOUNT_BAD_PREFIX
    assert error.params == {"kind": "Client", "prefix": "41"}
    assert str(error) == ("Un compte de type « Client » commence par 41 (plan comptable "
                          "général).")


def test_translation_also_translates_the_phrases_a_message_embeds():
    catalogue = {
        rules.ACCOUNT_BAD_PREFIX: "An account of kind “%(kind)s” starts with %(prefix)s.",
        "Client": "Customer",
        rules.ACCOUNT_USED_DELETE: "Account %(number)s is used (%(usages)s).",
        rules.USED_BY_SETTING: "Journals: %(setting)s",
        "compte de vente": "sales account",
        rules.USED_BY_MODE: "Payment method “%(label)s”",
    }

    def gettext(msgid, **params):
        text = catalogue.get(msgid, msgid)
        return text % params if params else text

    error = _refused(rules.clean_account_number, "706", kind="customer")
    assert error.translate(gettext) == "An account of kind “Customer” starts with 41."
    usages = rules.Listing([rules.Phrase(rules.USED_BY_SETTING,
                                         setting=rules.Phrase("compte de vente")),
                            rules.Phrase(rules.USED_BY_MODE, label="Chèque")])
    used = RuleViolation(rules.ACCOUNT_USED_DELETE, number="706", usages=usages)
    assert str(used) == ("Le compte 706 est utilisé (Journaux : compte de vente ; Mode de "
                         "paiement « Chèque ») : il ne peut pas être supprimé.")
    assert used.translate(gettext) == (
        "Account 706 is used (Journals: sales account ; Payment method “Chèque”).")


def test_rule_errors_carry_one_violation_per_field():
    first = RuleViolation(rules.ACCOUNT_REQUIRED)
    second = RuleViolation(rules.JOURNAL_REQUIRED)
    errors = RuleErrors({"customer_account": first, "sales_journal": second})
    assert isinstance(errors, RuleViolation)
    assert errors.errors == {"customer_account": first, "sales_journal": second}
    assert errors.msgid == rules.ACCOUNT_REQUIRED
    assert str(errors) == f"{first} {second}"


# Account numbers --------------------------------------------------------------------------

@pytest.mark.parametrize("value, kind, length, expected", [
    ("411000", None, None, "411000"),
    (" 411 000 ", "customer", 6, "411000"),
    ("411\u00a0000", "customer", None, "411000"),       # non-breaking space, as pasted
    ("4191", "deposit", 8, "4191"),
    ("4191", "customer", 8, "4191"),                    # 419 is in class 41
    ("44571200", "vat", 8, "44571200"),
    ("706", "sales", 6, "706"),
    ("709", "discount", 6, "709"),
    ("512", "bank", 6, "512"),
    ("5112", "bank", 6, "5112"),
    ("530", "cash", 6, "530"),
    ("627", "other", 6, "627"),
    ("101300", None, 6, "101300"),
    ("7", None, None, "7"),
    ("7654321098765", None, None, "7654321098765"),     # 13 digits: the largest length
    (411000, None, None, "411000"),
    ("627", "not-a-kind", None, "627"),                 # the kind field refuses that
])
def test_clean_account_number_accepts(value, kind, length, expected):
    assert rules.clean_account_number(value, kind=kind, account_length=length) == expected


@pytest.mark.parametrize("value, kind, length, msgid, params", [
    (None, None, None, rules.ACCOUNT_REQUIRED, {}),
    ("  ", None, None, rules.ACCOUNT_REQUIRED, {}),
    ("411A00", None, None, rules.ACCOUNT_NOT_DIGITS, {"value": "411A00"}),
    ("411-000", None, None, rules.ACCOUNT_NOT_DIGITS, {"value": "411-000"}),
    ("٤١١", None, None, rules.ACCOUNT_NOT_DIGITS, {"value": "٤١١"}),    # non-ASCII digits
    ("²411", None, None, rules.ACCOUNT_NOT_DIGITS, {"value": "²411"}),
    ("0411", None, None, rules.ACCOUNT_BAD_CLASS, {"value": "0411"}),
    ("801000", None, None, rules.ACCOUNT_BAD_CLASS, {"value": "801000"}),
    ("9", None, None, rules.ACCOUNT_BAD_CLASS, {"value": "9"}),
    ("401000", "customer", None, rules.ACCOUNT_BAD_PREFIX, {"kind": "Client", "prefix": "41"}),
    ("4441", "vat", None, rules.ACCOUNT_BAD_PREFIX, {"kind": "TVA", "prefix": "445"}),
    ("606", "sales", None, rules.ACCOUNT_BAD_PREFIX, {"kind": "Vente", "prefix": "70"}),
    ("4110", "deposit", None, rules.ACCOUNT_BAD_PREFIX, {"kind": "Acompte", "prefix": "419"}),
    ("706", "discount", None, rules.ACCOUNT_BAD_PREFIX, {"kind": "Remise", "prefix": "709"}),
    ("530", "bank", None, rules.ACCOUNT_BAD_PREFIX, {"kind": "Banque", "prefix": "51"}),
    ("512", "cash", None, rules.ACCOUNT_BAD_PREFIX, {"kind": "Caisse", "prefix": "53"}),
    ("4110000", "customer", 6, rules.ACCOUNT_TOO_LONG,
     {"number": "4110000", "digits": 7, "length": 6}),
    ("70612345678901", None, None, rules.ACCOUNT_TOO_LONG_ANY,
     {"number": "70612345678901", "digits": 14, "length": 13}),
])
def test_clean_account_number_refuses(value, kind, length, msgid, params):
    error = _refused(rules.clean_account_number, value, kind=kind, account_length=length)
    assert (error.msgid, error.params) == (msgid, params)


def test_account_number_messages_read_in_french():
    assert str(_refused(rules.clean_account_number, "4110000", account_length=6)) == (
        "Le compte 4110000 a 7 chiffres : la taille des comptes du plan est de 6.")
    assert str(_refused(rules.clean_account_number, "41a")) == (
        "Un compte général ne contient que des chiffres (« 41a »).")
    assert "de 1 à 7" in str(_refused(rules.clean_account_number, "801"))


# Codes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("   ", None),
    ("martin", "MARTIN"), (" cDupont2 ", "CDUPONT2"), ("411MARTIN", "411MARTIN"),
    ("A" * 20, "A" * 20),
])
def test_clean_auxiliary_code_accepts(value, expected):
    assert rules.clean_auxiliary_code(value) == expected


@pytest.mark.parametrize("value, msgid", [
    ("Éclair", rules.AUXILIARY_INVALID),
    ("strasse ß", rules.AUXILIARY_INVALID),
    ("straße", rules.AUXILIARY_INVALID),        # « ß ».upper() would be « SS »: refused first
    ("DUPONT JEAN", rules.AUXILIARY_INVALID),
    ("DUPONT-JEAN", rules.AUXILIARY_INVALID),
    ("DUPONT_", rules.AUXILIARY_INVALID),
    ("A" * 21, rules.AUXILIARY_TOO_LONG),
])
def test_clean_auxiliary_code_refuses(value, msgid):
    error = _refused(rules.clean_auxiliary_code, value)
    assert error.msgid == msgid
    assert error.params["value"] == value.strip()


@pytest.mark.parametrize("value, required, expected", [
    ("ve", False, "VE"), (" BQ ", False, "BQ"), ("V", False, "V"), ("VT01", True, "VT01"),
    ("", False, None), (None, False, None),
])
def test_clean_journal_code_accepts(value, required, expected):
    assert rules.clean_journal_code(value, required=required) == expected


@pytest.mark.parametrize("value, required, msgid", [
    ("VENTE", False, rules.JOURNAL_INVALID),
    ("V E", False, rules.JOURNAL_INVALID),
    ("VÉ", False, rules.JOURNAL_INVALID),
    ("V-1", False, rules.JOURNAL_INVALID),
    ("", True, rules.JOURNAL_REQUIRED),
    (None, True, rules.JOURNAL_REQUIRED),
])
def test_clean_journal_code_refuses(value, required, msgid):
    assert _refused(rules.clean_journal_code, value, required=required).msgid == msgid


def test_journal_code_message_names_the_value():
    assert str(_refused(rules.clean_journal_code, "VENTE")) == (
        "Un code journal compte 1 à 4 lettres majuscules ou chiffres (« VENTE »).")


# VAT rates --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (D("20"), D("20.00")), (20, D("20.00")), (0, D("0.00")), ("0", D("0.00")),
    ("5,5", D("5.50")), ("5.5", D("5.50")), (" 2,1 ", D("2.10")), ("1,05", D("1.05")),
    ("20 %", D("20.00")), ("8,50", D("8.50")), ("5.500", D("5.50")), ("99,99", D("99.99")),
])
def test_clean_vat_rate_accepts(value, expected):
    rate = rules.clean_vat_rate(value)
    assert rate == expected and isinstance(rate, D)
    assert rate.as_tuple().exponent == -2


@pytest.mark.parametrize("value, msgid", [
    (None, rules.RATE_REQUIRED), ("  ", rules.RATE_REQUIRED),
    ("abc", rules.RATE_NOT_A_NUMBER), ("5,5,5", rules.RATE_NOT_A_NUMBER),
    ("NaN", rules.RATE_NOT_A_NUMBER), ("Infinity", rules.RATE_NOT_A_NUMBER),
    (D("NaN"), rules.RATE_NOT_A_NUMBER), (True, rules.RATE_NOT_A_NUMBER),
    ([20], rules.RATE_NOT_A_NUMBER),
    ("-1", rules.RATE_OUT_OF_RANGE), ("-0,01", rules.RATE_OUT_OF_RANGE),
    ("100", rules.RATE_OUT_OF_RANGE), (D("250"), rules.RATE_OUT_OF_RANGE),
    ("5,555", rules.RATE_TOO_PRECISE), (D("0.001"), rules.RATE_TOO_PRECISE),
])
def test_clean_vat_rate_refuses(value, msgid):
    assert _refused(rules.clean_vat_rate, value).msgid == msgid


def test_vat_rate_messages_and_floats():
    assert str(_refused(rules.clean_vat_rate, "5,555")) == (
        "Un taux de TVA a au plus deux décimales (« 5,555 »).")
    assert str(_refused(rules.clean_vat_rate, "120")) == (
        "Un taux de TVA est compris entre 0 et 100 (« 120 »).")
    assert str(_refused(rules.clean_vat_rate, "vingt")) == "« vingt » n'est pas un taux de TVA."
    with pytest.raises(TypeError):
        rules.clean_vat_rate(5.5)


# Account length ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, longest, expected", [
    (4, 0, 4), ("13", 0, 13), (" 8 ", "44571200", 8), (6, 6, 6), (8, "411000", 8),
])
def test_clean_account_length_accepts(value, longest, expected):
    assert rules.clean_account_length(value, longest) == expected


@pytest.mark.parametrize("value, longest, msgid, params", [
    (3, 0, rules.LENGTH_INVALID, {"value": "3"}),
    (14, 0, rules.LENGTH_INVALID, {"value": "14"}),
    ("huit", 0, rules.LENGTH_INVALID, {"value": "huit"}),
    ("6.5", 0, rules.LENGTH_INVALID, {"value": "6.5"}),
    (None, 0, rules.LENGTH_INVALID, {"value": ""}),
    (True, 0, rules.LENGTH_INVALID, {"value": "True"}),
    (6, "44571200", rules.LENGTH_BELOW_ACCOUNT, {"number": "44571200", "digits": 8}),
    (6, 8, rules.LENGTH_BELOW_LONGEST, {"digits": 8}),
])
def test_clean_account_length_refuses(value, longest, msgid, params):
    error = _refused(rules.clean_account_length, value, longest)
    assert (error.msgid, error.params) == (msgid, params)


def test_account_length_names_the_longest_account():
    assert str(_refused(rules.clean_account_length, 6, "44571200")) == (
        "La taille des comptes ne peut pas être inférieure à 8 : le compte 44571200 du plan "
        "a 8 chiffres.")


# Belonging to the plan --------------------------------------------------------------------

PLAN = {"411000", "4191", "44571", "44571200", "512", "706", "707100"}


@pytest.mark.parametrize("number, length, expected", [
    ("706", 6, True), ("706000", 6, True), ("70600", 6, True), (" 706000 ", 8, True),
    ("411", 6, True), ("411000", 8, True), ("41100000", 8, True),
    ("4191000", 8, True), ("445712", 8, True),     # 445712 and 44571200: one account at 8
    ("7071", 6, True), ("707", 6, False), ("7061", 6, False), ("44571201", 8, False),
    ("4110000", 6, False),                          # too long for the plan
    ("41100A", 6, False), ("", 6, False), (None, 6, False),
])
def test_account_in_plan_uses_padded_equality(number, length, expected):
    assert rules.account_in_plan(number, PLAN, length) is expected


def test_account_in_plan_ignores_plan_rows_that_cannot_be_padded():
    assert rules.account_in_plan("7061", {"70610000"}, 6) is False
    assert rules.account_in_plan("7061", {"70610000", "7061"}, 6) is True
    with pytest.raises(TypeError):
        rules.account_in_plan("706", PLAN, None)


def test_require_account_in_plan():
    assert rules.require_account_in_plan("706000", PLAN, 6, "compte de vente") == "706000"
    assert rules.require_account_in_plan(None, PLAN, 6, "compte de vente") is None
    assert rules.require_account_in_plan("  ", PLAN, 6, "compte de vente") is None
    error = _refused(rules.require_account_in_plan, "708", PLAN, 6, "compte de vente")
    assert str(error) == ("Le compte 708 (compte de vente) n'existe pas dans le plan "
                          "comptable : créez-le d'abord dans « Plan comptable ».")


# Whole forms ------------------------------------------------------------------------------

PCG_JOURNALS = {
    "account_length": 8, "sales_journal": "ve", "customer_account": "411000",
    "auxiliary_root": "c", "sales_account": "706", "deposit_account": "4191",
    "credit_note_account": "", "incorporate_vat_deposit": None,
    "incorporate_vat_article": "y", "split_vat_by_nature": False, "bank_journal": " BQ ",
    "bank_account": "512", "csrf_token": "ignored",
}


def test_journal_settings_are_cleaned_as_a_whole():
    cleaned = rules.check_journal_settings(PLAN, PCG_JOURNALS, 8)
    assert set(cleaned) == set(PLAN_COPIED_COLUMNS)
    assert cleaned == {
        "account_length": 8, "sales_journal": "VE", "customer_account": "411000",
        "auxiliary_root": "C", "sales_account": "706", "deposit_account": "4191",
        "credit_note_account": None, "incorporate_vat_deposit": False,
        "incorporate_vat_article": True, "split_vat_by_nature": False, "bank_journal": "BQ",
        "bank_account": "512",
    }


def test_journal_settings_report_every_field_at_fault():
    values = dict(PCG_JOURNALS, sales_journal="VENTES", customer_account="401000",
                  auxiliary_root="CLIENTS-PRO", sales_account="708",
                  deposit_account="41 91", credit_note_account="709", bank_account="530")
    with pytest.raises(RuleErrors) as caught:
        rules.check_journal_settings(PLAN, values, 8)
    errors = caught.value.errors
    assert {name: error.msgid for name, error in errors.items()} == {
        "sales_journal": rules.JOURNAL_INVALID,
        "customer_account": rules.ACCOUNT_BAD_PREFIX,
        "auxiliary_root": rules.ROOT_INVALID,
        "sales_account": rules.ACCOUNT_NOT_IN_PLAN,
        "credit_note_account": rules.ACCOUNT_NOT_IN_PLAN,   # 709 is class 70, not in the plan
        "bank_account": rules.ACCOUNT_BAD_PREFIX,
    }
    assert str(errors["sales_account"]).startswith("Le compte 708 (compte de vente) n'existe")
    assert errors["bank_account"].params["kind"] == "Banque"


def test_journal_settings_check_accounts_against_the_new_length():
    numbers = PLAN | {"7061"}
    values = dict(PCG_JOURNALS, account_length="6", sales_account="70610000")
    with pytest.raises(RuleErrors) as caught:
        rules.check_journal_settings(numbers, values, 8)
    errors = caught.value.errors
    # The length may not drop below 44571200, and 70610000 no longer fits in it.
    assert errors["account_length"].params == {"number": "44571200", "digits": 8}
    assert errors["sales_account"].msgid == rules.ACCOUNT_TOO_LONG
    assert errors["sales_account"].params["length"] == 6
    assert set(errors) == {"account_length", "sales_account"}
    # Without the long accounts the same length is fine, and 7061 is in the plan.
    short = {"411000", "4191", "512", "706", "7061"}
    cleaned = rules.check_journal_settings(short, dict(values, sales_account="706100"), 6)
    assert (cleaned["account_length"], cleaned["sales_account"]) == (6, "706100")


def test_journal_settings_with_a_bad_length_still_check_the_accounts():
    values = dict(PCG_JOURNALS, account_length="quinze", customer_account="412")
    with pytest.raises(RuleErrors) as caught:
        rules.check_journal_settings(PLAN, values, 0)
    assert {name: error.msgid for name, error in caught.value.errors.items()} == {
        "account_length": rules.LENGTH_INVALID, "customer_account": rules.ACCOUNT_NOT_IN_PLAN}


def test_journal_settings_name_the_longest_account_or_its_length():
    values = dict(PCG_JOURNALS, account_length=6)
    with pytest.raises(RuleErrors) as caught:
        rules.check_journal_settings({"411000"}, values, 9)   # the caller knows better
    assert caught.value.errors["account_length"].params == {"digits": 9}


def test_vat_rate_accounts():
    values = {"goods_vat_account": " 44571200 ", "services_vat_account": "",
              "goods_sales_account": "7071", "services_sales_account": None, "rate": "20"}
    assert rules.check_vat_rate_accounts(PLAN, 8, values) == {
        "goods_vat_account": "44571200", "services_vat_account": None,
        "goods_sales_account": "7071", "services_sales_account": None}
    wrong = {"goods_vat_account": "706", "services_vat_account": "44571100",
             "goods_sales_account": "707100", "services_sales_account": "7060000000"}
    with pytest.raises(RuleErrors) as caught:
        rules.check_vat_rate_accounts(PLAN, 8, wrong)
    errors = caught.value.errors
    assert {name: error.msgid for name, error in errors.items()} == {
        "goods_vat_account": rules.ACCOUNT_BAD_PREFIX,
        "services_vat_account": rules.ACCOUNT_NOT_IN_PLAN,
        "services_sales_account": rules.ACCOUNT_TOO_LONG}
    assert errors["services_vat_account"].params["where"] == (
        "compte de TVA des prestations de services")


def test_payment_mode_form():
    assert rules.check_payment_mode(PLAN | {"5112", "530"}, 6, {
        "label": " Chèque ", "account": "5112", "journal_code": "bq"}) == {
        "label": "Chèque", "account": "5112", "journal_code": "BQ"}
    assert rules.check_payment_mode(PLAN, 6, {"label": "Virement"}) == {
        "label": "Virement", "account": None, "journal_code": None}
    with pytest.raises(RuleErrors) as caught:
        rules.check_payment_mode(PLAN, 6, {"label": " ", "account": "706",
                                           "journal_code": "BANQUE"})
    assert {name: error.msgid for name, error in caught.value.errors.items()} == {
        "label": rules.MODE_LABEL_REQUIRED, "account": rules.PAYMENT_ACCOUNT_CLASS,
        "journal_code": rules.JOURNAL_INVALID}
    with pytest.raises(RuleErrors) as caught:
        rules.check_payment_mode(PLAN, 6, {"label": "x" * 61, "account": "530"})
    assert {name: error.msgid for name, error in caught.value.errors.items()} == {
        "label": rules.MODE_LABEL_TOO_LONG, "account": rules.ACCOUNT_NOT_IN_PLAN}
    assert rules.check_payment_mode(PLAN, 6, {"label": "x" * 60})["label"] == "x" * 60


# Database rules ---------------------------------------------------------------------------

def _pcg():
    return db.session.scalars(select(AccountingPlan).where(AccountingPlan.code == "pcg")).one()


def _client_plan(world, client_id=None):
    client = db.session.get(Client, client_id or world.a1)
    template = duplicate_plan(db.session, _pcg(), f"Modèle {client.id}", world.cabinet_a)
    return apply_plan(db.session, template, client)


def _account(plan, number):
    return next(row for row in plan.accounts if row.number == number)


def test_unique_account_number(app, world):
    with app.app_context():
        pcg = _pcg()
        rules.unique_account_number(db.session, pcg.id, "708600")
        assert _refused(rules.unique_account_number, db.session, pcg.id, "708500").params == {
            "number": "708500", "existing": "7085"}
        error = _refused(rules.unique_account_number, db.session, pcg.id, "706")
        assert str(error) == "Le compte 706 existe déjà dans ce plan."
        error = _refused(rules.unique_account_number, db.session, pcg.id, "706000")
        assert error.msgid == rules.ACCOUNT_EXISTS_PADDED
        assert error.params == {"number": "706000", "existing": "706"}
        # Editing the row itself, or another plan, is not a duplicate.
        own = _account(pcg, "706")
        rules.unique_account_number(db.session, pcg.id, "706000", exclude_id=own.id)
        copy = duplicate_plan(db.session, pcg, "Sans 706", world.cabinet_a)
        copy.accounts.remove(_account(copy, "706"))
        db.session.flush()
        rules.unique_account_number(db.session, copy.id, "706")
        assert _refused(rules.unique_account_number, db.session, copy.id, "44571").msgid == \
            rules.ACCOUNT_EXISTS
        db.session.rollback()


def test_unique_vat_rate(app, world):
    with app.app_context():
        pcg = _pcg()
        error = _refused(rules.unique_vat_rate, db.session, pcg.id, "5,5")
        assert str(error) == "Le taux 5,5 % existe déjà dans ce plan."
        assert _refused(rules.unique_vat_rate, db.session, pcg.id, D("20.00")).params == {
            "rate": "20"}
        assert _refused(rules.unique_vat_rate, db.session, pcg.id, 0).params == {"rate": "0"}
        rules.unique_vat_rate(db.session, pcg.id, D("5.49"))
        rules.unique_vat_rate(db.session, pcg.id, "8,5")          # an overseas rate only
        row = next(rate for rate in pcg.vat_rates if rate.rate == D("5.5"))
        rules.unique_vat_rate(db.session, pcg.id, "5,50", exclude_id=row.id)
        dom = db.session.scalars(select(AccountingPlan).where(
            AccountingPlan.code == "pcg-dom")).one()
        assert _refused(rules.unique_vat_rate, db.session, dom.id, "8,5").params == {
            "rate": "8,5"}
        assert _refused(rules.unique_vat_rate, db.session, dom.id, "1,05").params == {
            "rate": "1,05"}


def test_unique_payment_mode_ignores_case(app, world):
    with app.app_context():
        pcg = _pcg()
        error = _refused(rules.unique_payment_mode, db.session, pcg.id, " CHÈQUE ")
        assert str(error) == "Le mode de paiement « Chèque » existe déjà dans ce plan."
        rules.unique_payment_mode(db.session, pcg.id, "Chèque emploi service")
        row = next(mode for mode in pcg.payment_modes if mode.label == "Chèque")
        rules.unique_payment_mode(db.session, pcg.id, "chèque", exclude_id=row.id)


def test_unique_auxiliary_code_per_client(app, world):
    with app.app_context():
        martin = Contact(client_id=world.a1, name="Boulangerie Martin", auxiliary_account="MARTIN")
        other = Contact(client_id=world.a1, name="Durand", first_name="Zoé", is_company=False)
        db.session.add_all([martin, other])
        db.session.flush()
        error = _refused(rules.unique_auxiliary_code, db.session, world.a1, "martin",
                         exclude_contact_id=other.id)
        assert str(error) == ("Le compte auxiliaire MARTIN est déjà celui de « Boulangerie "
                              "Martin ».")
        rules.unique_auxiliary_code(db.session, world.a1, "MARTIN", exclude_contact_id=martin.id)
        rules.unique_auxiliary_code(db.session, world.a2, "MARTIN")
        rules.unique_auxiliary_code(db.session, world.a1, "MARTIN2")
        rules.unique_auxiliary_code(db.session, world.a1, None)
        db.session.rollback()


# « In use » -------------------------------------------------------------------------------

def test_account_usages_of_a_default_plan(app, world):
    with app.app_context():
        pcg = _pcg()
        assert rules.account_usages(db.session, pcg, "706") == [
            "Journaux : compte de vente",
            "Taux de TVA 20 % : compte de vente des prestations de services",
            "Taux de TVA 10 % : compte de vente des prestations de services",
            "Taux de TVA 5,5 % : compte de vente des prestations de services",
            "Taux de TVA 2,1 % : compte de vente des prestations de services",
            "Taux de TVA 0 % : compte de vente des prestations de services",
        ]
        # Padded equality: 70600000 is 706 at length 8.
        assert rules.account_usages(db.session, pcg, "70600000") == \
            rules.account_usages(db.session, pcg, "706")
        assert rules.account_usages(db.session, pcg, "44571200") == [
            "Taux de TVA 20 % : compte de TVA des biens",
            "Taux de TVA 20 % : compte de TVA des prestations de services"]
        assert rules.account_usages(db.session, pcg, "512") == [
            "Journaux : compte de banque", "Mode de paiement « Carte bancaire »",
            "Mode de paiement « Prélèvement »", "Mode de paiement « Virement »"]
        assert rules.account_usages(db.session, pcg, "411") == [
            "Journaux : compte client général"]
        assert rules.account_usages(db.session, pcg, "7061") == []
        assert rules.account_usages(db.session, pcg, "627") == []
        assert rules.account_usages(db.session, pcg, "") == []


def test_account_usages_of_a_client_plan_list_its_records(app, world):
    with app.app_context():
        plan = _client_plan(world)
        db.session.add_all([
            ArticleCategory(client_id=world.a1, name="Conseil", account="706000"),
            ArticleCategory(client_id=world.a1, name="Formation", account="70610"),
            Article(client_id=world.a1, label="Audit", vat_rate=D("20"), account="706"),
            Article(client_id=world.a1, label="Sans compte", vat_rate=D("20")),
            Charge(client_id=world.a1, kind="fee", label="Déplacement", amount=D("30"),
                   vat_rate=D("20"), account="70600000"),
            # Another client's records never count.
            Article(client_id=world.a2, label="Autre client", vat_rate=D("20"), account="706"),
        ])
        db.session.flush()
        usages = rules.account_usages(db.session, plan, "706")
        assert usages[-3:] == ["Catégorie « Conseil »", "Article « Audit »",
                               "Taxe, frais ou remise « Déplacement »"]
        assert len(usages) == 9
        # The same records do not make a template's account used.
        template = db.session.get(AccountingPlan, plan.source_plan_id)
        assert len(rules.account_usages(db.session, template, "706")) == 6
        db.session.rollback()


def test_account_usages_are_capped(app, world):
    with app.app_context():
        plan = _client_plan(world)
        db.session.add_all([Article(client_id=world.a1, label=f"Article {n:02d}",
                                    vat_rate=D("20"), account="7085") for n in range(12)])
        db.session.flush()
        usages = rules.account_usages(db.session, plan, "7085")
        assert usages == [f"Article « Article {n:02d} »" for n in range(10)] + ["et 2 autres"]
        db.session.rollback()


def test_a_used_account_cannot_be_deleted(app, world):
    with app.app_context():
        pcg = _pcg()
        error = _refused(rules.check_account_deletable, db.session, pcg, _account(pcg, "4191"))
        assert str(error) == ("Le compte 4191 est utilisé (Journaux : compte d'acomptes) : il "
                              "ne peut pas être supprimé.")
        error = _refused(rules.check_account_deletable, db.session, pcg, _account(pcg, "512"))
        assert error.params["usages"] == (
            "Journaux : compte de banque ; Mode de paiement « Carte bancaire » ; Mode de "
            "paiement « Prélèvement » ; Mode de paiement « Virement »")
        rules.check_account_deletable(db.session, pcg, _account(pcg, "627"))
        rules.check_account_deletable(db.session, pcg, "665")


def test_an_account_duplicated_once_padded_may_go(app, world):
    with app.app_context():
        copy = duplicate_plan(db.session, _pcg(), "Avec doublon", world.cabinet_a)
        copy.accounts.append(PlanAccount(number="70600000", label="Prestations", kind="sales"))
        db.session.flush()
        # 70600000 keeps every usage of 706 satisfied, and the other way round.
        rules.check_account_deletable(db.session, copy, _account(copy, "706"))
        rules.check_account_deletable(db.session, copy, _account(copy, "70600000"))
        db.session.rollback()


def test_a_used_account_keeps_its_number(app, world):
    with app.app_context():
        plan = _client_plan(world)
        db.session.add(ArticleCategory(client_id=world.a1, name="Pâtisserie", account="7011"))
        plan.accounts.append(PlanAccount(number="7011", label="Pâtisserie", kind="sales"))
        db.session.flush()
        error = _refused(rules.check_account_renumber, db.session, plan,
                         _account(plan, "7011"), "7012")
        assert str(error) == ("Le compte 7011 est utilisé (Catégorie « Pâtisserie ») : son "
                              "numéro ne peut pas changer.")
        # The previous number, as a form knows it, works the same.
        assert _refused(rules.check_account_renumber, db.session, plan, "706",
                        "7065").msgid == rules.ACCOUNT_USED_RENUMBER
        # Same account once padded, or unused: fine.
        rules.check_account_renumber(db.session, plan, _account(plan, "7011"), "70110000")
        rules.check_account_renumber(db.session, plan, _account(plan, "7011"), "7011")
        rules.check_account_renumber(db.session, plan, _account(plan, "627"), "6270")
        rules.check_account_renumber(db.session, plan, _account(plan, "701"), "7013")
        db.session.rollback()


def _invoice(client_id, contact_id, status, rate, with_charge=False):
    values = {}
    if status != "draft":
        values = {"number": f"F-{status}", "issue_date": dt.date(2026, 1, 5)}
    invoice = Invoice(client_id=client_id, contact_id=contact_id, status=status, **values)
    invoice.lines = [InvoiceLine(client_id=client_id, position=1, label="Ligne",
                                 unit_price_ht=D("10"), vat_rate=rate, nature="goods")]
    if with_charge:
        invoice.charges = [InvoiceCharge(client_id=client_id, position=1, kind="fee",
                                         label="Port", amount=D("5"), vat_rate=rate)]
    db.session.add(invoice)
    return invoice


def test_vat_rate_usages_count_the_clients_records_and_drafts(app, world):
    with app.app_context():
        plan = _client_plan(world)
        contact = Contact(client_id=world.a1, name="Martin")
        db.session.add(contact)
        db.session.flush()
        db.session.add_all([
            Article(client_id=world.a1, label="Croissant", vat_rate=D("5.5")),
            Article(client_id=world.a1, label="Pain", vat_rate=D("5.50")),
            Article(client_id=world.a1, label="Gâteau", vat_rate=D("20")),
            Charge(client_id=world.a1, kind="fee", label="Port", amount=D("5"),
                   vat_rate=D("5.5")),
            Article(client_id=world.a2, label="Autre client", vat_rate=D("5.5")),
        ])
        _invoice(world.a1, contact.id, "draft", D("5.5"), with_charge=True)
        _invoice(world.a1, contact.id, "issued", D("5.5"), with_charge=True)
        db.session.flush()
        # 2 articles + 1 charge + 1 draft line + 1 draft charge; issued ones left out.
        assert rules.vat_rate_usages(db.session, plan, D("5.5")) == 5
        assert rules.vat_rate_usages(db.session, plan, "5,5") == 5
        assert rules.vat_rate_usages(db.session, plan, D("20")) == 1
        assert rules.vat_rate_usages(db.session, plan, D("10")) == 0
        template = db.session.get(AccountingPlan, plan.source_plan_id)
        assert rules.vat_rate_usages(db.session, template, D("5.5")) == 0

        rate_row = next(row for row in plan.vat_rates if row.rate == D("5.5"))
        error = _refused(rules.check_vat_rate_deletable, db.session, plan, rate_row)
        assert str(error) == ("Le taux 5,5 % est utilisé par 5 article(s), frais ou ligne(s) "
                              "de brouillon : il ne peut pas être supprimé.")
        assert _refused(rules.check_vat_rate_change, db.session, plan, rate_row,
                        "7").msgid == rules.RATE_USED_CHANGE
        rules.check_vat_rate_change(db.session, plan, rate_row, "5,50")   # same value
        unused = next(row for row in plan.vat_rates if row.rate == D("10"))
        rules.check_vat_rate_deletable(db.session, plan, unused)
        rules.check_vat_rate_change(db.session, plan, unused, "7")
        rules.check_vat_rate_deletable(db.session, template, next(
            row for row in template.vat_rates if row.rate == D("5.5")))
        db.session.rollback()


def test_which_plans_may_be_deleted(app, world):
    with app.app_context():
        pcg = _pcg()
        assert str(_refused(rules.check_plan_deletable, db.session, pcg)) == (
            "Les plans par défaut ne peuvent pas être supprimés ; dupliquez-les pour les "
            "personnaliser.")
        template = duplicate_plan(db.session, pcg, "Commerce", world.cabinet_a)
        assert rules.plan_usage(db.session, template) == 0
        rules.check_plan_deletable(db.session, template)
        own = apply_plan(db.session, template, db.session.get(Client, world.a1))
        apply_plan(db.session, template, db.session.get(Client, world.a2))
        # A template duplicated from this one is not a client using it.
        duplicate_plan(db.session, template, "Commerce bis", world.cabinet_a)
        db.session.flush()
        assert rules.plan_usage(db.session, template) == 2
        assert str(_refused(rules.check_plan_deletable, db.session, template)) == (
            "Le plan « Commerce » est appliqué à 2 client(s) : il ne peut pas être supprimé.")
        assert _refused(rules.check_plan_deletable, db.session, own).msgid == \
            rules.PLAN_OF_CLIENT
        assert rules.plan_usage(db.session, pcg) == 0
        db.session.rollback()


def test_plan_forms_agree_with_the_database_constraints(app, world):
    """What the rules accept the database stores (CHECKs and widths)."""
    with app.app_context():
        copy = duplicate_plan(db.session, _pcg(), "Limites", world.cabinet_a)
        numbers = {row.number for row in copy.accounts}
        values = rules.check_journal_settings(
            numbers, dict(PCG_JOURNALS, account_length="13", auxiliary_root="A" * 10),
            max(map(len, numbers)))
        for name, value in values.items():
            setattr(copy, name, value)
        copy.vat_rates.append(PlanVatRate(rate=rules.clean_vat_rate("99,99"), label="Max"))
        copy.payment_modes.append(PlanPaymentMode(**rules.check_payment_mode(
            numbers, 13, {"label": "x" * 60, "account": "530", "journal_code": "CA01"})))
        db.session.flush()
        db.session.expire_all()
        assert (copy.account_length, copy.auxiliary_root) == (13, "A" * 10)
        assert any(row.rate == D("99.99") for row in copy.vat_rates)
        db.session.rollback()
