"""Validation rules and « in use » checks of charts of accounts (DESIGN.md §2–3).

The web forms, the API and the imports all call these functions, so that a
rule lives in one place. Each `clean_*` / `check_*` function returns the
cleaned value or raises `RuleViolation`, a French msgid marked for the
catalogue with its parameters (`str(error)` is French, `error.translate(gettext)`
is in the screen's language, nested labels included). A form validating
several fields at once gets `RuleErrors`, one violation per field.

No Flask here: SQLAlchemy sessions are passed in, and the caller commits.

« Belongs to the plan » is the resolver's rule (app.accounting.resolver): an
account, padded on the right with zeros to the plan's account length, equals
one of the plan's accounts padded (706 matches 706000 at length 6). The « in
use » checks compare numbers the same way, because that is how the export
will look them up: the plans' settings refer to accounts by number.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional

from sqlalchemy import func, select

from app.accounting.resolver import (
    ResolutionError, _padded_plan_accounts, format_rate, pad_account,
)
from app.messages import N_, TranslatableError
from app.models import (
    AccountingPlan, Article, ArticleCategory, Charge, Contact, Invoice, InvoiceCharge,
    InvoiceLine, PlanAccount, PlanPaymentMode, PlanVatRate,
)
from app.models.accounting import ACCOUNT_KIND_LABELS

# The class (prefix in the plan comptable général) an account of each kind starts with.
ACCOUNT_CLASS_BY_KIND = {"customer": "41", "vat": "445", "sales": "70", "deposit": "419",
                         "discount": "709", "bank": "51", "cash": "53", "other": None}

# Database limits (CHECK constraints and column widths).
ACCOUNT_LENGTH_MIN, ACCOUNT_LENGTH_MAX = 4, 13
AUXILIARY_CODE_MAX = 20
AUXILIARY_ROOT_MAX = 10
JOURNAL_CODE_MAX = 4
PAYMENT_MODE_LABEL_MAX = 60
VAT_RATE_MAX = Decimal("100")
CENT = Decimal("0.01")
# SQLite keeps NUMERIC as binary floating point: rates compare within half a cent.
HALF_CENT = Decimal("0.005")
# Treasury accounts (class 5): bank 51x, cheques 5112, cash 53x.
PAYMENT_ACCOUNT_PREFIX = "5"
USAGES_SHOWN = 10

# Messages ---------------------------------------------------------------------------------

ACCOUNT_REQUIRED = N_("Le numéro de compte est obligatoire.")
ACCOUNT_NOT_DIGITS = N_("Un compte général ne contient que des chiffres (« %(value)s »).")
ACCOUNT_BAD_CLASS = N_("Un compte général commence par le chiffre de sa classe du plan "
                       "comptable général, de 1 à 7 (« %(value)s »).")
ACCOUNT_BAD_PREFIX = N_("Un compte de type « %(kind)s » commence par %(prefix)s (plan "
                        "comptable général).")
ACCOUNT_TOO_LONG = N_("Le compte %(number)s a %(digits)d chiffres : la taille des comptes du "
                      "plan est de %(length)d.")
ACCOUNT_TOO_LONG_ANY = N_("Le compte %(number)s a %(digits)d chiffres : un compte général en "
                          "a %(length)d au plus.")
ACCOUNT_NOT_IN_PLAN = N_("Le compte %(number)s (%(where)s) n'existe pas dans le plan "
                         "comptable : créez-le d'abord dans « Plan comptable ».")
ACCOUNT_EXISTS = N_("Le compte %(number)s existe déjà dans ce plan.")
ACCOUNT_EXISTS_PADDED = N_("Le compte %(number)s existe déjà dans ce plan sous le numéro "
                           "%(existing)s (les zéros de fin ne comptent pas).")
ACCOUNT_USED_DELETE = N_("Le compte %(number)s est utilisé (%(usages)s) : il ne peut pas être "
                         "supprimé.")
ACCOUNT_USED_RENUMBER = N_("Le compte %(number)s est utilisé (%(usages)s) : son numéro ne "
                           "peut pas changer.")
PAYMENT_ACCOUNT_CLASS = N_("Le compte d'un mode de paiement est un compte de trésorerie, de "
                           "classe 5 (banque 512, chèques 5112, caisse 530) (« %(value)s »).")

AUXILIARY_INVALID = N_("Un compte auxiliaire ne contient que des lettres majuscules sans "
                       "accent et des chiffres (« %(value)s »).")
AUXILIARY_TOO_LONG = N_("Un compte auxiliaire compte %(max)d caractères au plus "
                        "(« %(value)s »).")
AUXILIARY_TAKEN = N_("Le compte auxiliaire %(code)s est déjà celui de « %(contact)s ».")
ROOT_INVALID = N_("La racine des comptes auxiliaires compte au plus %(max)d lettres "
                  "majuscules sans accent ou chiffres (« %(value)s »).")

JOURNAL_REQUIRED = N_("Le code journal est obligatoire.")
JOURNAL_INVALID = N_("Un code journal compte 1 à 4 lettres majuscules ou chiffres "
                     "(« %(value)s »).")

RATE_REQUIRED = N_("Le taux de TVA est obligatoire.")
RATE_NOT_A_NUMBER = N_("« %(value)s » n'est pas un taux de TVA.")
RATE_OUT_OF_RANGE = N_("Un taux de TVA est compris entre 0 et 100 (« %(value)s »).")
RATE_TOO_PRECISE = N_("Un taux de TVA a au plus deux décimales (« %(value)s »).")
RATE_EXISTS = N_("Le taux %(rate)s %% existe déjà dans ce plan.")
RATE_USED_DELETE = N_("Le taux %(rate)s %% est utilisé par %(count)d article(s), frais ou "
                      "ligne(s) de brouillon : il ne peut pas être supprimé.")
RATE_USED_CHANGE = N_("Le taux %(rate)s %% est utilisé par %(count)d article(s), frais ou "
                      "ligne(s) de brouillon : sa valeur ne peut pas changer.")

LENGTH_INVALID = N_("La taille des comptes est un nombre entier de 4 à 13 (« %(value)s »).")
LENGTH_BELOW_ACCOUNT = N_("La taille des comptes ne peut pas être inférieure à %(digits)d : "
                          "le compte %(number)s du plan a %(digits)d chiffres.")
LENGTH_BELOW_LONGEST = N_("La taille des comptes ne peut pas être inférieure à %(digits)d : "
                          "un compte du plan a %(digits)d chiffres.")

MODE_LABEL_REQUIRED = N_("Le libellé du mode de paiement est obligatoire.")
MODE_LABEL_TOO_LONG = N_("Le libellé du mode de paiement compte %(max)d caractères au plus.")
MODE_EXISTS = N_("Le mode de paiement « %(label)s » existe déjà dans ce plan.")

PLAN_DEFAULT = N_("Les plans par défaut ne peuvent pas être supprimés ; dupliquez-les pour "
                  "les personnaliser.")
PLAN_OF_CLIENT = N_("Le plan d'un client ne se supprime pas ici.")
PLAN_APPLIED = N_("Le plan « %(name)s » est appliqué à %(count)d client(s) : il ne peut pas "
                  "être supprimé.")

# Where an account is set (`where` of ACCOUNT_NOT_IN_PLAN, and the usages).
SETTING_WHERE = {
    "customer_account": N_("compte client général"),
    "sales_account": N_("compte de vente"),
    "deposit_account": N_("compte d'acomptes"),
    "credit_note_account": N_("compte d'avoirs"),
    "bank_account": N_("compte de banque"),
}
RATE_ACCOUNT_WHERE = {
    "goods_vat_account": N_("compte de TVA des biens"),
    "services_vat_account": N_("compte de TVA des prestations de services"),
    "goods_sales_account": N_("compte de vente des biens"),
    "services_sales_account": N_("compte de vente des prestations de services"),
}
PAYMENT_ACCOUNT_WHERE = N_("compte du mode de paiement")

USED_BY_SETTING = N_("Journaux : %(setting)s")
USED_BY_RATE = N_("Taux de TVA %(rate)s %% : %(account)s")
USED_BY_MODE = N_("Mode de paiement « %(label)s »")
USED_BY_CATEGORY = N_("Catégorie « %(name)s »")
USED_BY_ARTICLE = N_("Article « %(name)s »")
USED_BY_CHARGE = N_("Taxe, frais ou remise « %(name)s »")
USED_BY_MORE = N_("et %(count)d autres")
USAGES_SEPARATOR = " ; "

# Fields of the forms validated as a whole, in the order they are checked.
JOURNAL_ACCOUNT_KINDS = (
    ("customer_account", "customer"), ("sales_account", "sales"),
    ("deposit_account", "deposit"), ("credit_note_account", "sales"),
    ("bank_account", "bank"),
)
JOURNAL_CODE_FIELDS = ("sales_journal", "bank_journal")
JOURNAL_FLAGS = ("incorporate_vat_deposit", "incorporate_vat_article", "split_vat_by_nature")
RATE_ACCOUNT_KINDS = (
    ("goods_vat_account", "vat"), ("services_vat_account", "vat"),
    ("goods_sales_account", "sales"), ("services_sales_account", "sales"),
)

_CODE_CHARACTERS = re.compile(r"[A-Za-z0-9]+")


# Errors and translatable pieces ----------------------------------------------------------

class Phrase(str):
    """A French text that remembers its msgid and parameters, so that a message
    embedding it (a kind label, a setting, a list of usages) is translated whole.
    It is a plain `str` (the French text) everywhere else."""

    def __new__(cls, msgid: str, **params):
        phrase = super().__new__(cls, msgid % params if params else msgid)
        phrase.msgid = msgid
        phrase.params = params
        return phrase

    def translate(self, gettext) -> str:
        params = {name: _translated(value, gettext) for name, value in self.params.items()}
        return gettext(self.msgid, **params) if params else gettext(self.msgid)


class Listing(str):
    """Phrases joined by « ; », translated one by one."""

    def __new__(cls, items: Iterable[str]):
        items = tuple(items)
        listing = super().__new__(cls, USAGES_SEPARATOR.join(items))
        listing.items = items
        return listing

    def translate(self, gettext) -> str:
        return USAGES_SEPARATOR.join(_translated(item, gettext) for item in self.items)


def _translated(value, gettext):
    return value.translate(gettext) if isinstance(value, (Phrase, Listing)) else value


class RuleViolation(TranslatableError):
    """A value refused by a rule of the plans: `msgid` (French, in the
    catalogue) and `params`; `translate` also translates the parameters that
    are themselves phrases (kind labels, settings, usages)."""

    def translate(self, gettext) -> str:
        params = {name: _translated(value, gettext) for name, value in self.params.items()}
        return gettext(self.msgid, **params) if params else gettext(self.msgid)


class RuleErrors(RuleViolation):
    """Several fields of one form refused at once: `errors` maps each field
    name to its RuleViolation, so that the form shows each message next to its
    field. As a RuleViolation it reads as its first error, so that a caller
    expecting a single refusal still shows something meaningful."""

    def __init__(self, errors: dict):
        self.errors = dict(errors)
        first = next(iter(self.errors.values()))
        super().__init__(first.msgid, **first.params)

    def __str__(self):
        return " ".join(str(error) for error in self.errors.values())


# Small helpers ---------------------------------------------------------------------------

def _text(value) -> str:
    """The value as stripped text ('' for None)."""
    return "" if value is None else str(value).strip()


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _check_length_argument(length) -> int:
    """A plan's account length given by code (not typed by a user): a bug if wrong."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise TypeError(f"account_length must be a positive int, not {length!r}")
    return length


def _same_account(candidate, number: str, length: int) -> bool:
    """`candidate` is the account `number` for the export: equal as stored, or
    equal once both are padded to the plan's length."""
    text = _text(candidate)
    if not text:
        return False
    if text == number:
        return True
    try:
        return pad_account(text, length) == pad_account(number, length)
    except ResolutionError:
        return False


def _collect(errors: dict, cleaned: dict, field: str, clean, *args, **kwargs):
    """Run one field's rule, keeping either its value or its violation."""
    try:
        cleaned[field] = clean(*args, **kwargs)
    except RuleViolation as error:
        errors[field] = error


# Values typed in a form ------------------------------------------------------------------

def clean_account_number(value, kind: Optional[str] = None,
                         account_length: Optional[int] = None) -> str:
    """A general account number as the accounting software knows it: digits
    only (spaces typed to group digits are removed: « 411 000 » → 411000),
    starting with a class of the PCG balance sheet / income statement (1–7),
    with the class of its kind (a « Client » account is a 41…), and not longer
    than the plan's account length (the export pads it, never cuts it). An
    unknown kind adds no rule (the kind's own field refuses it)."""
    raw = _text(value)
    number = "".join(raw.split())
    if not number:
        raise RuleViolation(ACCOUNT_REQUIRED)
    if not _is_digits(number):
        raise RuleViolation(ACCOUNT_NOT_DIGITS, value=raw)
    if number[0] not in "1234567":
        raise RuleViolation(ACCOUNT_BAD_CLASS, value=number)
    prefix = ACCOUNT_CLASS_BY_KIND.get(kind) if kind else None
    if prefix and not number.startswith(prefix):
        raise RuleViolation(ACCOUNT_BAD_PREFIX, kind=Phrase(ACCOUNT_KIND_LABELS[kind]),
                            prefix=prefix)
    if account_length is not None and len(number) > account_length:
        raise RuleViolation(ACCOUNT_TOO_LONG, number=number, digits=len(number),
                            length=account_length)
    if len(number) > ACCOUNT_LENGTH_MAX:
        raise RuleViolation(ACCOUNT_TOO_LONG_ANY, number=number, digits=len(number),
                            length=ACCOUNT_LENGTH_MAX)
    return number


def _clean_code(value, max_length: int, msgid: str, **params) -> Optional[str]:
    """Upper-case ASCII letters and digits, checked before upper-casing (so
    that « ß » or « ı » are not silently turned into ASCII letters)."""
    text = _text(value)
    if not text:
        return None
    if not _CODE_CHARACTERS.fullmatch(text) or len(text) > max_length:
        raise RuleViolation(msgid, value=text, **params)
    return text.upper()


def clean_auxiliary_code(value) -> Optional[str]:
    """A contact's auxiliary account code (under the collective 411): upper-case
    letters without accents and digits, at most 20 (the accounting software's
    format and Contact.auxiliary_account's width); None when empty."""
    text = _text(value)
    if text and _CODE_CHARACTERS.fullmatch(text) and len(text) > AUXILIARY_CODE_MAX:
        raise RuleViolation(AUXILIARY_TOO_LONG, value=text, max=AUXILIARY_CODE_MAX)
    return _clean_code(text, AUXILIARY_CODE_MAX, AUXILIARY_INVALID)


def clean_auxiliary_root(value) -> Optional[str]:
    """The root derived auxiliary codes start with (« C », « 411 »): upper-case
    letters and digits, at most 10 (the column); None when empty."""
    return _clean_code(value, AUXILIARY_ROOT_MAX, ROOT_INVALID, max=AUXILIARY_ROOT_MAX)


def clean_journal_code(value, required: bool = False) -> Optional[str]:
    """A journal code of the accounting software (« VE », « BQ »): 1 to 4
    upper-case letters or digits; None when empty, unless required."""
    code = _clean_code(value, JOURNAL_CODE_MAX, JOURNAL_INVALID)
    if code is None and required:
        raise RuleViolation(JOURNAL_REQUIRED)
    return code


def _decimal_rate(value) -> Decimal:
    """The typed rate as Decimal: « 5,5 », « 5.5 », « 20 % », Decimal or int;
    a float is a programming error (binary rounding), not a user's input."""
    if isinstance(value, float):
        raise TypeError(f"Taux de TVA : un nombre à virgule flottante est refusé, utilisez "
                        f"Decimal (« {value!r} »).")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise RuleViolation(RATE_NOT_A_NUMBER, value=_text(value))
    text = "".join(str(value).split()).removesuffix("%").replace(",", ".")
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise RuleViolation(RATE_NOT_A_NUMBER, value=_text(value)) from None
    if not rate.is_finite():
        raise RuleViolation(RATE_NOT_A_NUMBER, value=_text(value))
    return rate


def clean_vat_rate(value) -> Decimal:
    """A VAT rate in percent, 0 ≤ rate < 100 (the database's CHECK) with at most
    two decimals (Numeric(5, 2): 5,5 and 1,05 exist, 5,555 would be rounded
    silently); returned quantized to the cent (5.50)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RuleViolation(RATE_REQUIRED)
    rate = _decimal_rate(value)
    if rate < 0 or rate >= VAT_RATE_MAX:
        raise RuleViolation(RATE_OUT_OF_RANGE, value=_text(value))
    quantized = rate.quantize(CENT)
    if quantized != rate:
        raise RuleViolation(RATE_TOO_PRECISE, value=_text(value))
    return quantized


def clean_account_length(value, longest_account=0) -> int:
    """The plan's account length: an integer from 4 to 13 (the database's
    CHECK), never below the longest general account of the plan (the export
    pads accounts to this length and refuses one that is longer).
    `longest_account` is that account's number (named in the message) or just
    its number of digits."""
    text = _text(value)
    if isinstance(value, bool) or not _is_digits(text):
        raise RuleViolation(LENGTH_INVALID, value=text)
    length = int(text)
    if not ACCOUNT_LENGTH_MIN <= length <= ACCOUNT_LENGTH_MAX:
        raise RuleViolation(LENGTH_INVALID, value=text)
    if isinstance(longest_account, str):
        if len(longest_account) > length:
            raise RuleViolation(LENGTH_BELOW_ACCOUNT, number=longest_account,
                                digits=len(longest_account))
    elif longest_account and longest_account > length:
        raise RuleViolation(LENGTH_BELOW_LONGEST, digits=longest_account)
    return length


# Belonging to the plan -------------------------------------------------------------------

def account_in_plan(number, plan_numbers: Iterable[str], account_length: int) -> bool:
    """Whether `number` is an account of the plan for the export: padded with
    zeros to the plan's length, it equals one of the plan's accounts padded
    (the resolver's rule: 706 matches 706000 at length 6). A number that cannot
    be padded (not digits, too long) belongs to no plan."""
    length = _check_length_argument(account_length)
    try:
        padded = pad_account(number, length)
    except ResolutionError:
        return False
    return padded in _padded_plan_accounts(frozenset(plan_numbers), length)


def require_account_in_plan(number, plan_numbers: Iterable[str], account_length: int,
                            where: str) -> Optional[str]:
    """The account of a setting, refused unless the plan holds it: the export
    would fail on it later, far from the screen where it was typed. `where`
    names the setting (a Phrase is translated with the message). Empty → None."""
    text = _text(number)
    if not text:
        return None
    if not account_in_plan(text, plan_numbers, account_length):
        raise RuleViolation(ACCOUNT_NOT_IN_PLAN, number=text, where=where)
    return text


# Uniqueness ------------------------------------------------------------------------------

def unique_account_number(session, plan_id: int, number, exclude_id: Optional[int] = None):
    """Refuse a number the plan already holds, as typed or once padded (706 and
    706000 are one account for the export: two rows would be ambiguous)."""
    text = _text(number)
    if not text:
        return
    statement = select(PlanAccount.number).where(PlanAccount.plan_id == plan_id)
    if exclude_id is not None:
        statement = statement.where(PlanAccount.id != exclude_id)
    existing = list(session.scalars(statement))
    if text in existing:
        raise RuleViolation(ACCOUNT_EXISTS, number=text)
    if not _is_digits(text):
        return
    key = text.rstrip("0")
    for other in existing:
        # Padded equality at any common length is equality without trailing zeros.
        if _is_digits(other) and other.rstrip("0") == key:
            raise RuleViolation(ACCOUNT_EXISTS_PADDED, number=text, existing=other)


def unique_vat_rate(session, plan_id: int, rate, exclude_id: Optional[int] = None):
    """Refuse a rate the plan already has (lines find their rate by value)."""
    value = clean_vat_rate(rate)
    statement = select(PlanVatRate.id).where(
        PlanVatRate.plan_id == plan_id, func.abs(PlanVatRate.rate - value) < HALF_CENT)
    if exclude_id is not None:
        statement = statement.where(PlanVatRate.id != exclude_id)
    if session.scalar(statement.limit(1)) is not None:
        raise RuleViolation(RATE_EXISTS, rate=format_rate(value))


def unique_payment_mode(session, plan_id: int, label, exclude_id: Optional[int] = None):
    """Refuse a label the plan already has, ignoring case: a payment finds its
    mode by label, case-insensitively (resolver.payment_account)."""
    text = _text(label)
    if not text:
        return
    statement = select(PlanPaymentMode.label).where(PlanPaymentMode.plan_id == plan_id)
    if exclude_id is not None:
        statement = statement.where(PlanPaymentMode.id != exclude_id)
    wanted = text.casefold()
    for other in session.scalars(statement):
        if _text(other).casefold() == wanted:
            raise RuleViolation(MODE_EXISTS, label=other)


def unique_auxiliary_code(session, client_id: int, code,
                          exclude_contact_id: Optional[int] = None):
    """Refuse an auxiliary code another contact of the client has: two
    customers would share one account in the accounting."""
    text = _text(code).upper()
    if not text:
        return
    statement = select(Contact).where(
        Contact.client_id == client_id,
        func.upper(func.trim(Contact.auxiliary_account)) == text)
    if exclude_contact_id is not None:
        statement = statement.where(Contact.id != exclude_contact_id)
    other = session.scalars(statement.limit(1)).first()
    if other is not None:
        raise RuleViolation(AUXILIARY_TAKEN, code=text, contact=other.display_name)


# « In use » ------------------------------------------------------------------------------

def _setting_usages(plan, number: str, length: int) -> list:
    return [Phrase(USED_BY_SETTING, setting=Phrase(where))
            for column, where in SETTING_WHERE.items()
            if _same_account(getattr(plan, column), number, length)]


def _rate_usages(session, plan, number: str, length: int) -> list:
    rates = session.scalars(select(PlanVatRate).where(PlanVatRate.plan_id == plan.id)
                            .order_by(PlanVatRate.rate.desc()))
    return [Phrase(USED_BY_RATE, rate=format_rate(Decimal(row.rate)), account=Phrase(where))
            for row in rates for column, where in RATE_ACCOUNT_WHERE.items()
            if _same_account(getattr(row, column), number, length)]


def _mode_usages(session, plan, number: str, length: int) -> list:
    modes = session.scalars(select(PlanPaymentMode).where(PlanPaymentMode.plan_id == plan.id)
                            .order_by(PlanPaymentMode.label))
    return [Phrase(USED_BY_MODE, label=row.label) for row in modes
            if _same_account(row.account, number, length)]


def _client_usages(session, plan, number: str, length: int) -> list:
    """The client's own records (client plan only) whose account is `number`.
    Padded-equal accounts share the number without its trailing zeros as a
    prefix: the database narrows by that prefix, Python decides."""
    if plan.client_id is None:
        return []
    usages = []
    for model, name_column, msgid in ((ArticleCategory, ArticleCategory.name, USED_BY_CATEGORY),
                                      (Article, Article.label, USED_BY_ARTICLE),
                                      (Charge, Charge.label, USED_BY_CHARGE)):
        statement = select(name_column, model.account).where(
            model.client_id == plan.client_id, model.account.is_not(None))
        if _is_digits(number) and number.rstrip("0"):
            statement = statement.where(model.account.like(number.rstrip("0") + "%"))
        else:
            statement = statement.where(model.account == number)
        for name, account in session.execute(statement.order_by(name_column, model.id)):
            if _same_account(account, number, length):
                usages.append(Phrase(msgid, name=name))
    return usages


def account_usages(session, plan: AccountingPlan, number) -> list:
    """Where the plan uses account `number`, in French (each item is a Phrase,
    a str that also translates): the journal settings, the VAT rates, the
    payment modes and, for a client's plan, the client's categories, articles
    and charges. At most 10, then « et N autres »."""
    text = _text(number)
    if not text:
        return []
    length = plan.account_length
    usages = (_setting_usages(plan, text, length) + _rate_usages(session, plan, text, length)
              + _mode_usages(session, plan, text, length)
              + _client_usages(session, plan, text, length))
    if len(usages) > USAGES_SHOWN:
        usages = usages[:USAGES_SHOWN] + [Phrase(USED_BY_MORE, count=len(usages) - USAGES_SHOWN)]
    return usages


def _account_number_and_id(account):
    """An account row, or its number (a form passes the number it had before editing)."""
    if isinstance(account, PlanAccount):
        return account.number, account.id
    return _text(account), None


def _still_covered(session, plan, number: str, account_id) -> bool:
    """Another row of the plan is the same account once padded (a legacy
    706 next to 706000): the usages stay satisfied without this one."""
    statement = select(PlanAccount.number).where(PlanAccount.plan_id == plan.id,
                                                 PlanAccount.number != number)
    if account_id is not None:
        statement = statement.where(PlanAccount.id != account_id)
    return any(_same_account(other, number, plan.account_length)
               for other in session.scalars(statement))


def _refuse_if_used(session, plan, account, msgid: str):
    number, account_id = _account_number_and_id(account)
    if not number or _still_covered(session, plan, number, account_id):
        return
    usages = account_usages(session, plan, number)
    if usages:
        raise RuleViolation(msgid, number=number, usages=Listing(usages))


def check_account_deletable(session, plan: AccountingPlan, account):
    """Refuse deleting an account a setting or a record of the plan uses: the
    export would then fail on every document that needs it."""
    _refuse_if_used(session, plan, account, ACCOUNT_USED_DELETE)


def check_account_renumber(session, plan: AccountingPlan, account, new_number):
    """Refuse changing the number of a used account (its users refer to it by
    number, they would point to nothing). Its label and kind may change, and a
    number that stays the same account once padded (706 → 706000) too.
    `account` is the row before the change, or its previous number."""
    number, _ = _account_number_and_id(account)
    new = _text(new_number)
    if not number or new == number or _same_account(new, number, plan.account_length):
        return
    _refuse_if_used(session, plan, account, ACCOUNT_USED_RENUMBER)


def vat_rate_usages(session, plan: AccountingPlan, rate) -> int:
    """How many of the client's articles, charges and draft lines and charges
    carry `rate` (client plan only: a template's rates are copied when it is
    applied, no document looks them up). Issued documents are left out: they
    are never changed."""
    if plan.client_id is None:
        return 0
    value = _decimal_rate(rate)
    client_id = plan.client_id

    def near(column):
        return func.abs(column - value) < HALF_CENT

    counts = [
        select(func.count(Article.id)).where(Article.client_id == client_id,
                                             near(Article.vat_rate)),
        select(func.count(Charge.id)).where(Charge.client_id == client_id,
                                            near(Charge.vat_rate)),
    ]
    for model in (InvoiceLine, InvoiceCharge):
        counts.append(select(func.count(model.id)).join(
            Invoice, (Invoice.id == model.invoice_id) & (Invoice.client_id == model.client_id))
            .where(model.client_id == client_id, Invoice.status == "draft",
                   near(model.vat_rate)))
    return sum(session.scalar(statement) or 0 for statement in counts)


def _refuse_if_rate_used(session, plan, rate_row, msgid: str):
    value = Decimal(rate_row.rate)
    count = vat_rate_usages(session, plan, value)
    if count:
        raise RuleViolation(msgid, rate=format_rate(value), count=count)


def check_vat_rate_deletable(session, plan: AccountingPlan, rate_row):
    """Refuse deleting a rate the client's articles, charges or drafts use:
    their VAT account would be missing at export."""
    _refuse_if_rate_used(session, plan, rate_row, RATE_USED_DELETE)


def check_vat_rate_change(session, plan: AccountingPlan, rate_row, new_rate):
    """Refuse changing the value of a used rate (its users would no longer find
    it); the label and the accounts may change. `rate_row.rate` is the value
    before the change."""
    if abs(Decimal(rate_row.rate) - clean_vat_rate(new_rate)) < HALF_CENT:
        return
    _refuse_if_rate_used(session, plan, rate_row, RATE_USED_CHANGE)


def plan_usage(session, plan: AccountingPlan) -> int:
    """How many clients have a plan applied from this one."""
    return session.scalar(select(func.count(AccountingPlan.id)).where(
        AccountingPlan.source_plan_id == plan.id, AccountingPlan.client_id.is_not(None))) or 0


def check_plan_deletable(session, plan: AccountingPlan):
    """Only an unused firm template is deleted: defaults are shipped (and
    resynchronised), a client's plan goes with the client, and a template
    applied to clients is the « source » their plan screens refer to."""
    if plan.client_id is not None:
        raise RuleViolation(PLAN_OF_CLIENT)
    if plan.cabinet_id is None:
        raise RuleViolation(PLAN_DEFAULT)
    count = plan_usage(session, plan)
    if count:
        raise RuleViolation(PLAN_APPLIED, name=plan.name, count=count)


# Whole forms -----------------------------------------------------------------------------

def _plan_account_field(value, kind, plan_numbers, account_length, where):
    """An optional account of a form: cleaned, of its kind, in the plan."""
    if not _text(value):
        return None
    number = clean_account_number(value, kind=kind, account_length=account_length)
    return require_account_in_plan(number, plan_numbers, account_length or ACCOUNT_LENGTH_MAX,
                                   Phrase(where))


def _longest(plan_numbers, longest_account):
    """The longest account to name in the message, when the numbers know it."""
    numbers = [_text(number) for number in plan_numbers if _text(number)]
    named = max(numbers, key=len, default="")
    return named if named and len(named) >= (longest_account or 0) else longest_account


def _typed_length(value) -> Optional[int]:
    """The length typed, even when refused for being below the plan's longest
    account: the accounts typed next to it must still fit it."""
    try:
        return clean_account_length(value)
    except RuleViolation:
        return None


def check_journal_settings(plan_numbers: Iterable[str], values: dict,
                           longest_account=0) -> dict:
    """The « Journaux » form checked as a whole: every field cleaned, every
    account of its kind, held by the plan and no longer than the (new) account
    length. Returns the plan's columns; RuleErrors maps each field at fault
    to its violation."""
    plan_numbers = set(plan_numbers)
    errors, cleaned = {}, {}
    _collect(errors, cleaned, "account_length", clean_account_length,
             values.get("account_length"), _longest(plan_numbers, longest_account))
    length = cleaned.get("account_length") or _typed_length(values.get("account_length"))
    for field in JOURNAL_CODE_FIELDS:
        _collect(errors, cleaned, field, clean_journal_code, values.get(field))
    _collect(errors, cleaned, "auxiliary_root", clean_auxiliary_root,
             values.get("auxiliary_root"))
    for field, kind in JOURNAL_ACCOUNT_KINDS:
        _collect(errors, cleaned, field, _plan_account_field, values.get(field), kind,
                 plan_numbers, length, SETTING_WHERE[field])
    for field in JOURNAL_FLAGS:
        cleaned[field] = bool(values.get(field))
    if errors:
        raise RuleErrors(errors)
    return cleaned


def check_vat_rate_accounts(plan_numbers: Iterable[str], account_length: int,
                            values: dict) -> dict:
    """The four accounts of a VAT rate (VAT and sales, goods and services):
    optional, of their kind, held by the plan. RuleErrors per field."""
    plan_numbers = set(plan_numbers)
    errors, cleaned = {}, {}
    for field, kind in RATE_ACCOUNT_KINDS:
        _collect(errors, cleaned, field, _plan_account_field, values.get(field), kind,
                 plan_numbers, account_length, RATE_ACCOUNT_WHERE[field])
    if errors:
        raise RuleErrors(errors)
    return cleaned


def clean_payment_mode_label(value) -> str:
    """A payment mode's label: required, 60 characters at most (the column;
    payments copy it)."""
    label = _text(value)
    if not label:
        raise RuleViolation(MODE_LABEL_REQUIRED)
    if len(label) > PAYMENT_MODE_LABEL_MAX:
        raise RuleViolation(MODE_LABEL_TOO_LONG, max=PAYMENT_MODE_LABEL_MAX)
    return label


def _payment_account(value, plan_numbers, account_length):
    """A treasury account (class 5: bank, cheques, cash) held by the plan."""
    if not _text(value):
        return None
    number = clean_account_number(value, account_length=account_length)
    if not number.startswith(PAYMENT_ACCOUNT_PREFIX):
        raise RuleViolation(PAYMENT_ACCOUNT_CLASS, value=number)
    return require_account_in_plan(number, plan_numbers, account_length,
                                   Phrase(PAYMENT_ACCOUNT_WHERE))


def check_payment_mode(plan_numbers: Iterable[str], account_length: int, values: dict) -> dict:
    """A payment mode's form: label, optional treasury account in the plan,
    optional journal code. RuleErrors per field."""
    plan_numbers = set(plan_numbers)
    errors, cleaned = {}, {}
    _collect(errors, cleaned, "label", clean_payment_mode_label, values.get("label"))
    _collect(errors, cleaned, "account", _payment_account, values.get("account"),
             plan_numbers, account_length)
    _collect(errors, cleaned, "journal_code", clean_journal_code, values.get("journal_code"))
    if errors:
        raise RuleErrors(errors)
    return cleaned


__all__ = [
    "ACCOUNT_CLASS_BY_KIND", "Listing", "Phrase", "RuleErrors", "RuleViolation",
    "account_in_plan", "account_usages", "check_account_deletable", "check_account_renumber",
    "check_journal_settings", "check_payment_mode", "check_plan_deletable",
    "check_vat_rate_accounts", "check_vat_rate_change", "check_vat_rate_deletable",
    "clean_account_length", "clean_account_number", "clean_auxiliary_code",
    "clean_auxiliary_root", "clean_journal_code", "clean_payment_mode_label", "clean_vat_rate",
    "plan_usage", "require_account_in_plan", "unique_account_number",
    "unique_auxiliary_code", "unique_payment_mode", "unique_vat_rate", "vat_rate_usages",
]
