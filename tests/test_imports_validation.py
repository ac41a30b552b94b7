"""Validating the rows of an import (app/imports/validation.py): every cell
checked with its French reason, line and column; duplicates in the file and
against the dossier (refused by default, updated when asked); categories found
or created; prices and rates in every form a user types. Pure: no app, no
database — the dossier is a Context, like the one app.imports.service builds
for a client with the default « pcg » plan."""
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.imports.columns import KINDS
from app.imports.reading import Limits, RawRow, Table, read_file
from app.imports.validation import (
    Context, Problem, category_key, natural_key, problem_sentence, validate,
)
from app.plans.default_data import DEFAULT_PLANS
from import_corpus.build_corpus import CORPUS, FIELDS, RATES_TEXT, corpus_bytes

ARTICLES, CONTACTS = KINDS["articles"], KINDS["contacts"]
CENT = D("0.01")
PCG = next(plan for plan in DEFAULT_PLANS if plan["code"] == "pcg")
PCG_RATES = frozenset(rate["rate"].quantize(CENT) for rate in PCG["vat_rates"])
PCG_ACCOUNTS = frozenset(number for number, _label, _kind in PCG["accounts"])
EXISTS_HINT = ("cochez « Mettre à jour ceux qui existent déjà » pour le modifier, ou retirez "
               "la ligne.")


def gettext(msgid):
    return msgid


def context(kind=ARTICLES, **values):
    if kind is ARTICLES:
        values = {"vat_rates": PCG_RATES, "plan_accounts": PCG_ACCOUNTS, "account_length": 8,
                  **values}
    return Context(**{"vat_rates": frozenset(), "existing": {}, "categories": {}, **values})


def table(kind, *rows, first_line=2):
    """A table as read_file gives it: each row's cells in the template's order."""
    return Table(kind=kind, rows=[RawRow(first_line + index, dict(zip(kind.keys, row)))
                                  for index, row in enumerate(rows)], detected={})


def article(reference="A-1", label="Audit", nature="service", price="10", rate="20",
            category=None, account=None):
    return (reference, label, nature, price, rate, category, account)


def contact(name="Dupont", *, is_company=None, first_name=None, postcode=None, siren=None,
            vat=None, auxiliary=None, email=None, country=None):
    return (is_company, name, first_name, None, None, postcode, None, country, email, None,
            siren, vat, auxiliary)


def sentences(plan, translate=gettext):
    return [problem_sentence(problem, translate) for problem in plan.problems]


def check(kind, *rows, translate=gettext, first_line=2, **values):
    return validate(table(kind, *rows, first_line=first_line), context(kind, **values),
                    gettext=translate)


# The corpus -----------------------------------------------------------------------------

def _read(case):
    return read_file(corpus_bytes(case), case.name, KINDS[case.kind], limits=Limits(),
                     gettext=gettext)


@pytest.mark.parametrize("case", [case for case in CORPUS if case.problems],
                         ids=lambda case: case.name)
def test_each_file_with_bad_rows_gets_every_problem(case):
    plan = validate(_read(case), context(KINDS[case.kind]), gettext=gettext)
    assert tuple(sentences(plan)) == case.problems
    assert not plan.ok
    assert plan.rejected_lines == sorted({problem.line for problem in plan.problems})


@pytest.mark.parametrize("case", [case for case in CORPUS if case.accepted],
                         ids=lambda case: case.name)
def test_each_good_file_gives_the_records_to_create(case):
    read = _read(case)
    plan = validate(read, context(KINDS[case.kind]), gettext=gettext)
    assert plan.ok and plan.updates == []
    assert tuple(plan.new_categories) == case.categories
    names = {category_key(name): name for name in plan.new_categories}
    rows = []
    for create in plan.creates:
        if case.kind == "articles":
            assert create.pop("category_id", None) is None
            create["category"] = names.get(create.pop("category_key", None))
        rows.append(tuple(create[name] for name in FIELDS[case.kind]))
    assert tuple(rows) == case.rows
    assert plan.create_lines == [row.line for row in read.rows]


def test_problems_keep_the_value_as_typed_and_come_in_line_then_column_order():
    plan = check(ARTICLES, article(rate="19,6", price="-1"), article("A-2", nature="x"),
                 article("A-3", price="1,234.5", label=None), first_line=5)
    assert plan.problems == [
        Problem(5, "Prix unitaire HT", "-1",
                "« -1 » n'est pas un prix valide : il doit être positif ou nul."),
        Problem(5, "Taux de TVA", "19,6",
                f"« 19,6 » n'est pas un taux de TVA du dossier : choisissez parmi {RATES_TEXT}."),
        Problem(6, "Nature", "x", "« x » n'est pas une nature : écrivez « produit » ou "
                                  "« service »."),
        Problem(7, "Désignation", None, "Cette colonne est obligatoire : la cellule est vide."),
        Problem(7, "Prix unitaire HT", "1,234.5",
                "« 1,234.5 » n'est pas un prix valide : il mélange virgule et point. Écrivez-le "
                "sans séparateur de milliers, par exemple 12345,60."),
    ]
    assert plan.creates == [] and plan.rejected_lines == [5, 6, 7]


def test_the_same_bad_value_on_many_rows_is_reported_on_each():
    rows = [article(f"A-{number}", rate="7") for number in range(50)]
    plan = check(ARTICLES, *rows)
    assert [problem.line for problem in plan.problems] == list(range(2, 52))
    assert {problem.reason for problem in plan.problems} == {
        f"« 7 » n'est pas un taux de TVA du dossier : choisissez parmi {RATES_TEXT}."}


def test_a_good_row_among_bad_ones_is_still_planned_but_the_plan_is_not_ok():
    plan = check(ARTICLES, article("A-1"), article("A-2", price="x"))
    assert len(plan.creates) == 1 and not plan.ok


def test_texts_too_long_are_refused_never_cut():
    plan = check(ARTICLES, article("R" * 41, label="L" * 200, category="C" * 121))
    assert sentences(plan) == [
        "Ligne 2, colonne « Référence » : Texte trop long : 41 caractères pour 40 au plus.",
        "Ligne 2, colonne « Catégorie » : Texte trop long : 121 caractères pour 120 au plus."]


# Contacts -------------------------------------------------------------------------------

def test_contact_values_are_cleaned():
    plan = check(CONTACTS, contact("Lefèvre", is_company="personne physique",
                                   first_name="Zoé", postcode="01000", siren="542 051 180",
                                   vat="fr 59 542 051 180", auxiliary="lefevre2",
                                   email="Zoe.Lefevre@Exemple.FR", country="Belgique"),
                 contact("Acme"))
    assert plan.ok
    assert plan.creates[0] == {
        "is_company": False, "name": "Lefèvre", "first_name": "Zoé", "address_line1": None,
        "address_line2": None, "postcode": "01000", "city": None, "country": "BE",
        "email": "Zoe.Lefevre@exemple.fr", "phone": None, "siren": "542051180",
        "vat_number": "FR59542051180", "auxiliary_account": "LEFEVRE2"}
    # Created with the defaults of the screens: a company in France.
    assert (plan.creates[1]["is_company"], plan.creates[1]["country"]) == (True, "FR")


@pytest.mark.parametrize("vat, reason", [
    ("44732829320", "Le numéro de TVA intracommunautaire commence par le code du pays (par "
                    "exemple FR44732829320)."),
    ("CHE-123.456.789", "Ce numéro de TVA intracommunautaire n'est pas valide."),
    ("GB980780684", "Ce numéro de TVA intracommunautaire n'est pas valide."),
    ("FR45732829320", "Ce numéro de TVA intracommunautaire n'est pas valide."),
])
def test_vat_numbers_python_stdnum_cannot_place_get_a_french_reason(vat, reason):
    assert sentences(check(CONTACTS, contact(vat=vat))) == [
        f"Ligne 2, colonne « N° de TVA intracommunautaire » : {reason}"]


def test_a_contact_already_in_the_dossier_is_refused_by_default():
    existing = {natural_key("contacts", {"siren": "542051180"}): 7,
                natural_key("contacts", {"name": "Martin", "first_name": "Claire",
                                         "postcode": "75016"}): 8}
    plan = check(CONTACTS, contact("Lefèvre SA", siren="542 051 180", auxiliary="LEF"),
                 contact("MARTIN", first_name="claire", postcode="75 016"),
                 contact("Martin", first_name="Claire", postcode="69003"),
                 existing=existing, auxiliary_accounts={"LEF": 7})
    assert sentences(plan) == [
        "Ligne 2, colonne « SIREN » : Le dossier a déjà un client facturé avec le SIREN "
        "542 051 180 : " + EXISTS_HINT,
        "Ligne 3, colonne « Nom ou raison sociale » : Le dossier a déjà un client facturé "
        "« MARTIN » avec ce prénom et ce code postal : " + EXISTS_HINT]
    assert [create["postcode"] for create in plan.creates] == ["69003"]


def test_a_contact_already_in_the_dossier_is_updated_when_asked_empty_cells_kept():
    existing = {natural_key("contacts", {"siren": "542051180"}): 7}
    plan = check(CONTACTS, contact("Lefèvre SA", siren="542051180", auxiliary="LEF",
                                   email="compta@lefevre.fr"),
                 contact("Nouveau"), existing=existing, update_existing=True,
                 auxiliary_accounts={"LEF": 7})
    assert plan.ok
    assert plan.updates == [(7, {"name": "Lefèvre SA", "siren": "542051180",
                                 "email": "compta@lefevre.fr", "auxiliary_account": "LEF"})]
    assert plan.update_lines == [2] and plan.create_lines == [3]
    assert [create["name"] for create in plan.creates] == ["Nouveau"]


def test_an_auxiliary_code_belongs_to_one_contact():
    plan = check(CONTACTS, contact("A", auxiliary="CDUPONT"), contact("B", auxiliary="cdupont"),
                 contact("C", auxiliary="CMARTIN"), auxiliary_accounts={"CMARTIN": 3})
    assert sentences(plan) == [
        "Ligne 3, colonne « Compte auxiliaire » : Doublon : le compte auxiliaire CDUPONT figure "
        "déjà ligne 2.",
        "Ligne 4, colonne « Compte auxiliaire » : Le compte auxiliaire CMARTIN est déjà celui "
        "d'un autre client facturé du dossier."]


def test_update_mode_still_refuses_two_rows_for_one_record():
    existing = {natural_key("contacts", {"siren": "542051180"}): 7}
    plan = check(CONTACTS, contact("A", siren="542051180"), contact("B", siren="542051180"),
                 existing=existing, update_existing=True)
    assert sentences(plan) == ["Ligne 3, colonne « SIREN » : Doublon : le SIREN 542051180 "
                               "figure déjà ligne 2."]


def test_natural_keys_ignore_case_accents_and_spaces():
    assert natural_key("contacts", {"siren": "542 051 180", "name": "X"}) == \
        ("siren", "542051180")
    assert natural_key("contacts", {"name": "  Lefèvre ", "first_name": "ZOÉ",
                                    "postcode": "01 000"}) == \
        natural_key("contacts", {"name": "lefevre", "first_name": "zoe", "postcode": "01000"})
    assert natural_key("contacts", {"name": None}) is None
    assert natural_key("articles", {"reference": "Réf-1", "label": "x"}) == ("reference", "ref-1")
    assert natural_key("articles", {"reference": None, "label": "Thé  vert"}) == \
        ("label", "the vert")
    with pytest.raises(ValueError):
        natural_key("factures", {})


# Articles -------------------------------------------------------------------------------

def test_an_article_already_in_the_dossier_is_refused_or_updated():
    existing = {("reference", "a-1"): 11, ("label", "pose"): 12}
    rows = (article("A-1", price="12,50"), article(None, label="Pose", price=None),
            article("A-3"))
    refused = check(ARTICLES, *rows, existing=existing)
    assert sentences(refused) == [
        "Ligne 2, colonne « Référence » : Le dossier a déjà un article de référence « A-1 » : "
        + EXISTS_HINT,
        "Ligne 3, colonne « Prix unitaire HT » : Cette colonne est obligatoire : la cellule est "
        "vide."]
    # Line 3 lacks its price: refused for it first; fixed, it is found too.
    rows = (rows[0], article(None, label="Pose", price="90"), rows[2])
    refused = check(ARTICLES, *rows, existing=existing)
    assert sentences(refused)[1] == (
        "Ligne 3, colonne « Désignation » : Le dossier a déjà un article « Pose » sans "
        "référence : " + EXISTS_HINT)
    updated = check(ARTICLES, *rows, existing=existing, update_existing=True)
    assert updated.ok
    assert updated.updates == [
        (11, {"reference": "A-1", "label": "Audit", "nature": "services",
              "unit_price_ht": D("12.50"), "vat_rate": D("20.00")}),
        (12, {"label": "Pose", "nature": "services", "unit_price_ht": D("90.00"),
              "vat_rate": D("20.00")})]
    assert [create["reference"] for create in updated.creates] == ["A-3"]


def test_categories_are_found_by_name_or_created_once():
    plan = check(ARTICLES, article("A-1", category="Matériel"),
                 article("A-2", category="MATERIEL"), article("A-3", category="Outils"),
                 article("A-4", category=" matériel "), article("A-5"),
                 categories={category_key("Outils"): 4})
    assert plan.new_categories == ["Matériel"]
    assert [(create.get("category_id"), create.get("category_key")) for create in plan.creates] \
        == [(None, "materiel"), (None, "materiel"), (4, None), (None, "materiel"),
            (None, None)]


def test_a_dossier_without_rates_refuses_every_article():
    plan = check(ARTICLES, article("A-1"), article("A-2"), vat_rates=frozenset())
    assert {problem.reason for problem in plan.problems} == {
        "Le dossier n'a aucun taux de TVA : ajoutez ses taux dans son plan comptable avant "
        "d'importer des articles."}
    assert len(plan.problems) == 2


@pytest.mark.parametrize("typed, rate", [
    ("20", "20.00"), ("20,0", "20.00"), ("20 %", "20.00"), ("20%", "20.00"), ("0,2", "20.00"),
    ("0.2", "20.00"), (".2", "20.00"), ("5.5", "5.50"), ("5,5 %", "5.50"), ("0,055", "5.50"),
    ("2,1", "2.10"), ("0.021", "2.10"), ("0", "0.00"), ("0,00", "0.00"), ("+20", "20.00"),
])
def test_vat_rates_in_every_form_typed_or_from_a_percent_cell(typed, rate):
    (create,) = check(ARTICLES, article(rate=typed)).creates
    assert create["vat_rate"] == D(rate)


@pytest.mark.parametrize("typed, reason", [
    ("19,6", f"« 19,6 » n'est pas un taux de TVA du dossier : choisissez parmi {RATES_TEXT}."),
    ("0,196", f"« 0,196 » n'est pas un taux de TVA du dossier : choisissez parmi {RATES_TEXT}."),
    ("100", "Un taux de TVA est compris entre 0 et 100 (« 100 »)."),
    ("5,555", "Un taux de TVA a au plus deux décimales (« 5,555 »)."),
    ("TVA 20", "« TVA 20 » n'est pas un taux de TVA."),
])
def test_vat_rates_refused(typed, reason):
    assert sentences(check(ARTICLES, article(rate=typed))) == [
        f"Ligne 2, colonne « Taux de TVA » : {reason}"]


def test_sales_accounts_are_checked_against_the_plan_when_the_client_has_one():
    rows = (article("A-1", account="706"), article("A-2", account="70600000"),
            article("A-3", account="708800"), article("A-4", account="706 000 001"))
    assert sentences(check(ARTICLES, *rows)) == [
        "Ligne 4, colonne « Compte de vente » : Le compte 708800 (compte de vente) n'existe pas "
        "dans le plan comptable : créez-le d'abord dans « Plan comptable ».",
        "Ligne 5, colonne « Compte de vente » : Le compte 706000001 a 9 chiffres : la taille "
        "des comptes du plan est de 8."]
    without_plan = check(ARTICLES, *rows[:3], plan_accounts=None, account_length=None)
    assert without_plan.ok
    assert [create["account"] for create in without_plan.creates] == ["706", "70600000",
                                                                      "708800"]


def test_messages_are_translated_by_a_gettext_taking_the_msgid_alone():
    """The caller's gettext may take the msgid only (read_file's convention), even
    for the plans' rules, which pass their parameters (and their phrases)."""
    catalogue = {
        "« %(value)s » n'est pas un taux de TVA.": "« %(value)s » is not a VAT rate.",
        "Le compte %(number)s (%(where)s) n'existe pas dans le plan comptable : créez-le "
        "d'abord dans « Plan comptable ».": "Account %(number)s (%(where)s) is not in the plan.",
        "compte de vente": "sales account",
        "« %(value)s » n'est pas une nature : écrivez « produit » ou « service ».":
            "« %(value)s » is no nature.",
        "Ligne %(line)s, colonne « %(column)s » : %(reason)s":
            "Line %(line)s, column « %(column)s »: %(reason)s",
    }
    translate = lambda msgid: catalogue.get(msgid, msgid)  # noqa: E731
    plan = check(ARTICLES, article(rate="vingt", nature="truc", account="708800"),
                 translate=translate)
    assert sentences(plan, translate) == [
        "Line 2, column « Nature »: « truc » is no nature.",
        "Line 2, column « Taux de TVA »: « vingt » is not a VAT rate.",
        "Line 2, column « Compte de vente »: Account 708800 (sales account) is not in the plan."]


# Prices ---------------------------------------------------------------------------------

prices = st.decimals(min_value=0, max_value=D("999999999999.99"), places=2)
GROUPS = ["", " ", "\u00a0", "\u202f"]


def typed_price(price: D, mark: str, group: str, trailing_zeros: bool, euro: str, plus: bool):
    """`price` as a user may type it."""
    whole, _, cents = f"{price:.2f}".partition(".")
    if group:
        digits = whole
        whole = ""
        while len(digits) > 3:
            digits, whole = digits[:-3], group + digits[-3:] + whole
        whole = digits + whole
    if not trailing_zeros:
        cents = cents.rstrip("0")
    text = whole + (mark + cents if cents else "")
    return ("+" if plus else "") + text + euro


@given(price=prices, mark=st.sampled_from([",", "."]), group=st.sampled_from(GROUPS),
       trailing_zeros=st.booleans(), euro=st.sampled_from(["", "€", " €", "\u00a0€"]),
       plus=st.booleans())
@settings(max_examples=200, deadline=None)
def test_a_price_typed_in_any_accepted_form_is_the_same_decimal(price, mark, group,
                                                                 trailing_zeros, euro, plus):
    typed = typed_price(price, mark, group, trailing_zeros, euro, plus)
    plan = check(ARTICLES, article(price=typed))
    assert plan.ok, (typed, plan.problems)
    assert plan.creates[0]["unit_price_ht"] == price
    assert plan.creates[0]["unit_price_ht"].as_tuple().exponent == -2


@given(price=prices.filter(bool), mark=st.sampled_from([",", "."]),
       group=st.sampled_from(GROUPS), space=st.sampled_from(["", " "]))
@settings(max_examples=100, deadline=None)
def test_a_negative_price_is_refused_in_any_form(price, mark, group, space):
    typed = "-" + space + typed_price(price, mark, group, True, "", False)
    assert sentences(check(ARTICLES, article(price=typed))) == [
        f"Ligne 2, colonne « Prix unitaire HT » : « {typed} » n'est pas un prix valide : il "
        "doit être positif ou nul."]


@given(price=st.decimals(min_value=0, max_value=D("999999999.999"), places=3)
       .filter(lambda price: price != price.quantize(CENT)), mark=st.sampled_from([",", "."]))
@settings(max_examples=80, deadline=None)
def test_a_price_with_more_than_two_decimals_is_refused_not_rounded(price, mark):
    typed = f"{price:.3f}".replace(".", mark)
    assert sentences(check(ARTICLES, article(price=typed))) == [
        f"Ligne 2, colonne « Prix unitaire HT » : « {typed} » n'est pas un prix valide : deux "
        "décimales au plus (arrondissez au centime, par exemple 12,35)."]


@pytest.mark.parametrize("typed", ["12,50 EUR", "1e3", "12..5", "1 2,5,0", "NaN", "Infinity",
                                   "١٢", "12-", "(12)", "€"])
def test_what_is_not_a_price(typed):
    assert sentences(check(ARTICLES, article(price=typed)))[0].endswith(
        "n'est pas un prix valide : écrivez un nombre, par exemple 1234,56.")
