"""Which account an accounting line uses (DESIGN.md §3, « Which account wins »), in pure Python.

No Flask, no SQLAlchemy: plain frozen dataclasses in, plain frozen dataclasses
out. The accounting export and the « compte utilisé / provenance » screens both
call these functions, so that the rule lives in one place only. Amounts never
appear here, only accounts.

Every answer carries its `steps`: the precedence, most specific first, each
with its source (« Article », « Catégorie », « Taux de TVA », « Journaux »…),
a French detail, the account it holds (as stored in the plan, unpadded; None
when not set) and whether it was used. Steps before the winner are the ones not
set (detail ending in « : non renseigné »), steps after it are set but
outranked. The returned `account` is padded to the plan's account length.

Rules:
- padding: a general account is padded on the right with zeros to the plan's
  account length (411 → 41100000 at length 8); an account longer than that
  length, or with anything but the digits 0–9, is refused;
- every account a rule picks must belong to the plan: it, padded, equals one
  of `Plan.accounts` padded (706 matches 706000). An account set but wrong
  (unknown to the plan, not digits, too long) is an error, never silently
  skipped for the next one: a line is never posted to another account than the
  one the accountant configured;
- sales account: the item's own account (article or charge) → its category's
  account (articles only) → the VAT rate's sales account for the item's nature
  → the journal settings' sales account. A free line has neither own account
  nor category: its precedence starts at the VAT rate;
- « Incorporer TVA » (`incorporated_account`): the winner becomes its radical
  followed by the suffix of the line's VAT account:
    radical = the account as stored with its trailing zeros removed, but never
              shorter than 3 digits (the first 3 digits of the account are kept;
              an account of fewer than 3 digits is kept whole):
              706 → 706, 706000 → 706, 700000 → 700, 7071 → 7071, 70710 → 7071;
    suffix  = the VAT account as stored minus its leading « 44571 », trailing
              zeros kept: 44571200 → 200, 44571055 → 055, 445712 → 2;
    a VAT account not starting with 44571, or equal to 44571, is refused.
  So 706 + 44571200 → 706200, 707100 + 44571055 → 7071055 (which needs an
  account length of 7 or more). The VAT account is the one `vat_account` gives
  for the line (so « split by nature » applies). The result is padded, and need
  not be in the plan (it is derived from two accounts that are). It applies to
  the sales account (option « article ») and to the deposit account (option
  « acompte »), never to an explicit credit-note account;
- credit note: the journal settings' credit-note account, else the item's
  sales account (with its incorporation, if any);
- VAT: the rate's account for the line's nature when « split by nature » is
  on, else the goods one (no fallback to the other nature);
- customer: the collective account of the journal settings (padded) and the
  contact's auxiliary code, else one derived once (`derive_auxiliary_code`,
  rules there), that the caller stores so that it is kept;
- payment: the payment mode's account and journal code, each falling back to
  the journal settings' bank account and bank journal.

Errors are `ResolutionError`: a French `msgid` marked for the catalogue, with
%(name)s placeholders that `params` fill; `translate(gettext)` also translates
the part of the message that describes the setting at fault.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import count
from typing import Callable, Iterable, Optional

from app.messages import N_

GOODS = "goods"
SERVICES = "services"
NATURES = (GOODS, SERVICES)

ARTICLE = "article"
CHARGE = "charge"
FREE_LINE = "free_line"
ITEM_KINDS = (ARTICLE, CHARGE, FREE_LINE)

VAT_RADICAL = "44571"
RADICAL_MIN_DIGITS = 3
# Width of contact.auxiliary_account: a derived code never exceeds it.
AUXILIARY_MAX_LENGTH = 20


# Sources of the steps (shown in the « provenance » column).
SOURCE_ARTICLE = N_("Article")
SOURCE_CHARGE = N_("Frais, taxe ou remise")
SOURCE_CATEGORY = N_("Catégorie")
SOURCE_RATE = N_("Taux de TVA")
SOURCE_JOURNALS = N_("Journaux")
SOURCE_INCORPORATION = N_("Incorporer TVA")
SOURCE_CONTACT = N_("Client")
SOURCE_PAYMENT_MODE = N_("Mode de paiement")

# Notes appended to a step's detail.
NOTE_FORMAT = N_("%(description)s : %(note)s")
NOT_SET = N_("non renseigné")
NO_CATEGORY = N_("aucune catégorie")
RATE_NOT_IN_PLAN = N_("taux absent du plan")
MODE_NOT_IN_PLAN = N_("mode de paiement absent du plan")
VAT_NOT_SPLIT = N_("TVA non ventilée par nature, compte des biens retenu")

SALES_OF_RATE = {
    GOODS: N_("compte de vente des biens du taux %(rate)s %%"),
    SERVICES: N_("compte de vente des prestations de services du taux %(rate)s %%"),
}
VAT_OF_RATE = {
    GOODS: N_("compte de TVA des biens du taux %(rate)s %%"),
    SERVICES: N_("compte de TVA des prestations de services du taux %(rate)s %%"),
}

# Errors: a needed account is missing.
MISSING_SALES = {
    ("article_category", GOODS): N_(
        "Aucun compte de vente pour « %(item)s » : renseignez le compte de l'article, de sa "
        "catégorie « %(category)s », du taux de TVA %(rate)s %% (biens) ou le compte de vente "
        "des journaux."),
    ("article_category", SERVICES): N_(
        "Aucun compte de vente pour « %(item)s » : renseignez le compte de l'article, de sa "
        "catégorie « %(category)s », du taux de TVA %(rate)s %% (prestations de services) ou le "
        "compte de vente des journaux."),
    (ARTICLE, GOODS): N_(
        "Aucun compte de vente pour « %(item)s » : renseignez le compte de l'article (ou "
        "classez-le dans une catégorie qui a un compte), celui du taux de TVA %(rate)s %% "
        "(biens) ou le compte de vente des journaux."),
    (ARTICLE, SERVICES): N_(
        "Aucun compte de vente pour « %(item)s » : renseignez le compte de l'article (ou "
        "classez-le dans une catégorie qui a un compte), celui du taux de TVA %(rate)s %% "
        "(prestations de services) ou le compte de vente des journaux."),
    (CHARGE, GOODS): N_(
        "Aucun compte de vente pour « %(item)s » : renseignez son compte dans « Taxes, frais & "
        "remises », celui du taux de TVA %(rate)s %% (biens) ou le compte de vente des "
        "journaux."),
    (CHARGE, SERVICES): N_(
        "Aucun compte de vente pour « %(item)s » : renseignez son compte dans « Taxes, frais & "
        "remises », celui du taux de TVA %(rate)s %% (prestations de services) ou le compte de "
        "vente des journaux."),
    (FREE_LINE, GOODS): N_(
        "Aucun compte de vente pour la ligne libre « %(item)s » : renseignez le compte du taux "
        "de TVA %(rate)s %% (biens) ou le compte de vente des journaux."),
    (FREE_LINE, SERVICES): N_(
        "Aucun compte de vente pour la ligne libre « %(item)s » : renseignez le compte du taux "
        "de TVA %(rate)s %% (prestations de services) ou le compte de vente des journaux."),
}
MISSING_VAT = {
    GOODS: N_("Aucun compte de TVA pour le taux %(rate)s %% (biens) : renseignez-le dans les "
              "taux de TVA du plan."),
    SERVICES: N_("Aucun compte de TVA pour le taux %(rate)s %% (prestations de services) : "
                 "renseignez-le dans les taux de TVA du plan."),
}
RATE_UNKNOWN = N_("Le taux de TVA %(rate)s %% n'existe pas dans le plan.")
MISSING_DEPOSIT = N_("Aucun compte d'acompte : renseignez le compte d'acomptes des journaux.")
MISSING_CUSTOMER = N_("Aucun compte client collectif : renseignez le compte client général "
                      "des journaux.")
MISSING_AUXILIARY = N_("Aucun compte auxiliaire pour « %(contact)s » : renseignez son code "
                       "auxiliaire ou la racine des comptes auxiliaires des journaux.")
MISSING_PAYMENT_ACCOUNT = N_(
    "Aucun compte pour le mode de paiement « %(mode)s » : renseignez le compte du mode de "
    "paiement ou le compte de banque des journaux.")
MISSING_BANK_ACCOUNT = N_("Aucun compte pour ce règlement sans mode de paiement : renseignez "
                          "le compte de banque des journaux.")
MISSING_PAYMENT_JOURNAL = N_(
    "Aucun journal pour le mode de paiement « %(mode)s » : renseignez le code journal du mode "
    "de paiement ou le journal de banque des journaux.")
MISSING_BANK_JOURNAL = N_("Aucun journal pour ce règlement sans mode de paiement : renseignez "
                          "le journal de banque des journaux.")

# Errors: a value is not valid.
ACCOUNT_EMPTY = N_("Le compte n'est pas renseigné.")
ACCOUNT_NOT_DIGITS = N_("Le compte « %(account)s » ne doit contenir que des chiffres.")
ACCOUNT_TOO_LONG = N_("Le compte %(account)s a %(digits)d chiffres, plus que la taille des "
                      "comptes du plan (%(length)d).")
ACCOUNT_NOT_DIGITS_AT = N_("Le compte « %(account)s » (%(where)s) ne doit contenir que des "
                           "chiffres.")
ACCOUNT_TOO_LONG_AT = N_("Le compte %(account)s (%(where)s) a %(digits)d chiffres, plus que "
                         "la taille des comptes du plan (%(length)d).")
ACCOUNT_NOT_IN_PLAN = N_("Le compte %(account)s (%(where)s) n'existe pas dans le plan "
                         "comptable.")
LENGTH_INVALID = N_("La taille des comptes du plan doit être un nombre entier positif "
                    "(« %(length)s »).")
VAT_NOT_INCORPORABLE = N_(
    "Incorporer TVA : le compte de TVA %(vat_account)s doit commencer par 44571 suivi des "
    "chiffres à incorporer (par exemple 44571200).")
RATE_INVALID = N_("Taux de TVA invalide : « %(rate)s ».")
KIND_UNKNOWN = N_("Type de ligne inconnu : « %(kind)s ».")
NATURE_UNKNOWN = N_("Nature inconnue : « %(nature)s » (biens ou prestations de services).")
ROOT_INVALID = N_("La racine des comptes auxiliaires « %(root)s » ne doit contenir que des "
                  "lettres sans accents et des chiffres.")
ROOT_TOO_LONG = N_("La racine des comptes auxiliaires « %(root)s » ne laisse aucune place au "
                   "nom du client dans un code de %(length)d caractères.")
NAME_UNUSABLE = N_("Impossible de dériver un compte auxiliaire du nom « %(contact)s » (aucune "
                   "lettre ni aucun chiffre) : renseignez son code auxiliaire.")
NO_FREE_AUXILIARY = N_("Aucun compte auxiliaire libre pour « %(contact)s » : renseignez son "
                       "code auxiliaire.")


class ResolutionError(ValueError):
    """A needed account is missing or wrong. `msgid` is French and in the
    catalogue; `params` fill it. When the message names a setting through
    %(where)s, `step` is that setting's Step, so that `translate` can
    translate the description too."""

    def __init__(self, msgid: str, *, step: Optional[Step] = None, **params):
        self.msgid = msgid
        self.params = params
        self.step = step
        super().__init__(msgid % params if params else msgid)

    def translate(self, gettext: Callable) -> str:
        """The message in the screen's language: gettext(msgid, **params)."""
        params = dict(self.params)
        if self.step is not None and "where" in params:
            params["where"] = self.step.describe(gettext)
        return gettext(self.msgid, **params) if params else gettext(self.msgid)


# Inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class JournalSettings:
    """« Journaux » of a plan. Accounts are strings of digits, None when not set."""
    account_length: int
    sales_journal: Optional[str] = None
    customer_account: Optional[str] = None
    auxiliary_root: Optional[str] = None
    sales_account: Optional[str] = None
    deposit_account: Optional[str] = None
    credit_note_account: Optional[str] = None
    incorporate_vat_deposit: bool = False
    incorporate_vat_article: bool = False
    split_vat_by_nature: bool = False
    bank_journal: Optional[str] = None
    bank_account: Optional[str] = None


@dataclass(frozen=True)
class VatRateAccounts:
    """« Taux de TVA » of a plan, with its accounts per nature."""
    rate: Decimal
    label: str = ""
    goods_vat_account: Optional[str] = None
    services_vat_account: Optional[str] = None
    goods_sales_account: Optional[str] = None
    services_sales_account: Optional[str] = None


@dataclass(frozen=True)
class PaymentModeAccounts:
    """« Mode de paiement » of a plan."""
    label: str
    account: Optional[str] = None
    journal_code: Optional[str] = None


@dataclass(frozen=True)
class Plan:
    """A plan as the resolver needs it; `accounts` are the plan's account
    numbers as stored (unpadded)."""
    settings: JournalSettings
    vat_rates: tuple = ()        # VatRateAccounts
    payment_modes: tuple = ()    # PaymentModeAccounts
    accounts: frozenset = frozenset()


@dataclass(frozen=True)
class ItemRef:
    """What a line sells: an article, a charge (tax, fee or discount) or a free
    line. `own_account` is the article's or the charge's own account."""
    kind: str                    # "article" | "charge" | "free_line"
    label: str
    nature: str                  # "goods" | "services"
    vat_rate: Decimal
    own_account: Optional[str] = None
    category_label: Optional[str] = None
    category_account: Optional[str] = None


# Outputs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One rule of the precedence. `source` is a catalogue msgid without
    placeholders; `detail` is French, built from `msgid` % `params` (pairs)
    and, when `note` is set, « detail : note »; `account` is as stored
    (unpadded), None when not set; `used` tells whether it gave the result."""
    source: str
    detail: str
    account: Optional[str]
    used: bool
    msgid: str = ""
    params: tuple = ()
    note: str = ""

    def describe(self, gettext: Callable) -> str:
        """The detail in the screen's language."""
        if not self.msgid:
            return self.detail
        params = dict(self.params)
        text = gettext(self.msgid, **params) if params else gettext(self.msgid)
        if self.note:
            text = gettext(NOTE_FORMAT, description=text, note=gettext(self.note))
        return text


@dataclass(frozen=True)
class Resolution:
    """The account to post to (padded) and why."""
    account: str
    steps: tuple

    @property
    def unpadded(self) -> str:
        """The winner before padding: the last used step's account (after
        « Incorporer TVA » when it applies)."""
        return [step for step in self.steps if step.used][-1].account

    @property
    def provenance(self) -> tuple:
        """The steps that gave the result."""
        return tuple(step for step in self.steps if step.used)


@dataclass(frozen=True)
class CustomerAccount:
    """The customer side of an entry: collective account (padded) + auxiliary
    code. `derived` is True when the code was derived now: the caller stores it
    on the contact so that it is kept."""
    general: str
    auxiliary: str
    derived: bool
    steps: tuple

    @property
    def provenance(self) -> tuple:
        """The steps that gave the general account and the auxiliary code."""
        return tuple(step for step in self.steps if step.used)


@dataclass(frozen=True)
class PaymentResolution:
    """The account (padded) and journal of a payment; `steps` explain the
    account, `journal_steps` the journal (their `account` holds a journal code)."""
    account: str
    journal_code: str
    steps: tuple
    journal_steps: tuple = ()

    @property
    def provenance(self) -> tuple:
        """The steps that gave the account."""
        return tuple(step for step in self.steps if step.used)


# Helpers ---------------------------------------------------------------------------------

def _clean(value) -> Optional[str]:
    """None for a value not set (None, empty or blank), else the stripped text."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _check_length(length) -> int:
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ResolutionError(LENGTH_INVALID, length=str(length))
    return length


def _length(plan: Plan) -> int:
    return _check_length(plan.settings.account_length)


def _rate(value) -> Decimal:
    """A VAT rate as Decimal, from a Decimal, an int or a string; never a float."""
    if isinstance(value, float):
        raise TypeError(f"Taux de TVA : un nombre à virgule flottante est refusé, "
                        f"utilisez Decimal (« {value!r} »).")
    try:
        if isinstance(value, str):
            rate = Decimal(value.strip().replace(",", "."))
        elif isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            rate = Decimal(value)
        else:
            raise InvalidOperation
    except InvalidOperation:
        raise ResolutionError(RATE_INVALID, rate=str(value)) from None
    if not rate.is_finite():
        raise ResolutionError(RATE_INVALID, rate=str(value))
    return rate


def format_rate(rate: Decimal) -> str:
    """5.50 → « 5,5 », 20.00 → « 20 » (no Babel here: pure module)."""
    text = format(rate, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _nature(nature) -> str:
    if nature not in NATURES:
        raise ResolutionError(NATURE_UNKNOWN, nature=str(nature))
    return nature


def _check_item(item: ItemRef):
    if item.kind not in ITEM_KINDS:
        raise ResolutionError(KIND_UNKNOWN, kind=str(item.kind))
    return item.kind, _nature(item.nature), _rate(item.vat_rate)


def _step(source, msgid, account, used, note="", **params) -> Step:
    detail = msgid % params if params else msgid
    if note:
        detail = NOTE_FORMAT % {"description": detail, "note": note}
    return Step(source=source, detail=detail, account=account, used=used, msgid=msgid,
                params=tuple(sorted(params.items())), note=note)


def _chain(candidates):
    """Steps of a precedence: the first candidate with an account wins.
    Each candidate is (source, msgid, account, note when not set, params)."""
    steps, winner = [], None
    for source, msgid, account, missing_note, params in candidates:
        account = _clean(account)
        used = winner is None and account is not None
        step = _step(source, msgid, account, used,
                     note=missing_note if account is None else "", **params)
        if used:
            winner = step
        steps.append(step)
    return steps, winner


@lru_cache(maxsize=64)
def _padded_plan_accounts(accounts: frozenset, length: int) -> frozenset:
    padded = set()
    for account in accounts:
        text = _clean(account)
        if text is not None and _is_digits(text) and len(text) <= length:
            padded.add(text.ljust(length, "0"))
    return frozenset(padded)


def _pad_step(plan: Plan, step: Step) -> str:
    """The step's account padded; the error names the step's setting."""
    length = _length(plan)
    account = step.account
    if not _is_digits(account):
        raise ResolutionError(ACCOUNT_NOT_DIGITS_AT, step=step, account=account,
                              where=step.detail)
    if len(account) > length:
        raise ResolutionError(ACCOUNT_TOO_LONG_AT, step=step, account=account,
                              where=step.detail, digits=len(account), length=length)
    return account.ljust(length, "0")


def _plan_account(plan: Plan, step: Step) -> str:
    """The step's account padded, once checked to belong to the plan."""
    padded = _pad_step(plan, step)
    accounts = plan.accounts if isinstance(plan.accounts, frozenset) \
        else frozenset(plan.accounts)
    if padded not in _padded_plan_accounts(accounts, _length(plan)):
        raise ResolutionError(ACCOUNT_NOT_IN_PLAN, step=step, account=step.account,
                              where=step.detail)
    return padded


def _find_rate(plan: Plan, rate: Decimal) -> Optional[VatRateAccounts]:
    for entry in plan.vat_rates:
        if _rate(entry.rate) == rate:
            return entry
    return None


# Public API ------------------------------------------------------------------------------

def pad_account(account: Optional[str], length: int) -> str:
    """A general account padded on the right with zeros: 411 → 41100000 at 8.
    ResolutionError when empty, not only digits, or longer than `length`."""
    length = _check_length(length)
    text = _clean(account)
    if text is None:
        raise ResolutionError(ACCOUNT_EMPTY)
    if not _is_digits(text):
        raise ResolutionError(ACCOUNT_NOT_DIGITS, account=text)
    if len(text) > length:
        raise ResolutionError(ACCOUNT_TOO_LONG, account=text, digits=len(text), length=length)
    return text.ljust(length, "0")


def account_radical(account: str) -> str:
    """The account without its trailing zeros, never shorter than 3 digits
    (or the whole account when it is shorter): 706000 → 706, 700000 → 700,
    70710 → 7071."""
    kept = max(RADICAL_MIN_DIGITS, len(account.rstrip("0")))
    return account[:kept]


def vat_suffix(vat_account: str) -> str:
    """The digits of a VAT account after the radical 44571, trailing zeros
    kept: 44571200 → 200. ResolutionError when there are none."""
    if not (_is_digits(vat_account) and vat_account.startswith(VAT_RADICAL)
            and len(vat_account) > len(VAT_RADICAL)):
        raise ResolutionError(VAT_NOT_INCORPORABLE, vat_account=vat_account)
    return vat_account[len(VAT_RADICAL):]


def incorporated_account(account: str, vat_account: str) -> str:
    """« Incorporer TVA »: radical of `account` + suffix of `vat_account`,
    unpadded: 706 + 44571200 → 706200; 707100 + 44571055 → 7071055."""
    return account_radical(account) + vat_suffix(vat_account)


def _finish(plan: Plan, steps: list, winner: Step, incorporate: bool, rate: Decimal,
            nature: str) -> Resolution:
    padded = _plan_account(plan, winner)
    # A 0 % line carries no VAT, so there is no VAT account to take digits from.
    if not incorporate or rate == 0:
        return Resolution(account=padded, steps=tuple(steps))
    vat = _vat_resolution(plan, rate, nature).unpadded
    radical, suffix = account_radical(winner.account), vat_suffix(vat)
    step = _step(SOURCE_INCORPORATION,
                 N_("radical %(radical)s suivi des chiffres %(suffix)s du compte de TVA "
                    "%(vat_account)s"),
                 radical + suffix, True, radical=radical, suffix=suffix, vat_account=vat)
    return Resolution(account=_pad_step(plan, step), steps=tuple(steps) + (step,))


def _sales_chain(plan: Plan, item: ItemRef):
    kind, nature, rate = _check_item(item)
    label = item.label or ""
    candidates = []
    if kind == ARTICLE:
        candidates.append((SOURCE_ARTICLE, N_("compte propre de l'article « %(item)s »"),
                           item.own_account, NOT_SET, {"item": label}))
        if item.category_label is not None or item.category_account is not None:
            candidates.append((SOURCE_CATEGORY, N_("compte de la catégorie « %(category)s »"),
                               item.category_account, NOT_SET,
                               {"category": item.category_label or ""}))
        else:
            candidates.append((SOURCE_CATEGORY, N_("catégorie de l'article « %(item)s »"),
                               None, NO_CATEGORY, {"item": label}))
    elif kind == CHARGE:
        candidates.append((SOURCE_CHARGE, N_("compte propre de « %(item)s »"),
                           item.own_account, NOT_SET, {"item": label}))
    entry = _find_rate(plan, rate)
    rate_account = None if entry is None else (
        entry.goods_sales_account if nature == GOODS else entry.services_sales_account)
    candidates.append((SOURCE_RATE, SALES_OF_RATE[nature], rate_account,
                       NOT_SET if entry is not None else RATE_NOT_IN_PLAN,
                       {"rate": format_rate(rate)}))
    candidates.append((SOURCE_JOURNALS, N_("compte de vente des journaux"),
                       plan.settings.sales_account, NOT_SET, {}))
    steps, winner = _chain(candidates)
    if winner is None:
        variant = "article_category" if kind == ARTICLE and item.category_label is not None \
            else kind
        params = {"item": label, "rate": format_rate(rate)}
        if variant == "article_category":
            params["category"] = item.category_label
        raise ResolutionError(MISSING_SALES[(variant, nature)], **params)
    return steps, winner, nature, rate


def sales_account(plan: Plan, item: ItemRef) -> Resolution:
    """The sales account of an item: own account → category (articles) → the
    VAT rate's sales account for the item's nature → the journals' sales
    account; then « Incorporer TVA » (article option) and padding."""
    steps, winner, nature, rate = _sales_chain(plan, item)
    return _finish(plan, steps, winner, bool(plan.settings.incorporate_vat_article), rate,
                   nature)


def deposit_account(plan: Plan, vat_rate: Decimal, nature: str = GOODS) -> Resolution:
    """The journals' deposit account; with « Incorporer TVA » (deposit option),
    incorporated with the VAT account of `vat_rate` (for `nature`, which
    matters only when VAT is split by nature); padded."""
    rate, nature = _rate(vat_rate), _nature(nature)
    steps, winner = _chain([(SOURCE_JOURNALS, N_("compte d'acomptes des journaux"),
                             plan.settings.deposit_account, NOT_SET, {})])
    if winner is None:
        raise ResolutionError(MISSING_DEPOSIT)
    return _finish(plan, steps, winner, bool(plan.settings.incorporate_vat_deposit), rate,
                   nature)


def credit_note_account(plan: Plan, item: ItemRef) -> Resolution:
    """The journals' credit-note account (never incorporated), else the item's
    sales account (`sales_account`, incorporation included); padded."""
    _check_item(item)
    steps, winner = _chain([(SOURCE_JOURNALS, N_("compte d'avoirs des journaux"),
                             plan.settings.credit_note_account, NOT_SET, {})])
    if winner is not None:
        return Resolution(account=_plan_account(plan, winner), steps=tuple(steps))
    sales = sales_account(plan, item)
    return Resolution(account=sales.account, steps=tuple(steps) + sales.steps)


def _vat_resolution(plan: Plan, rate: Decimal, nature: str) -> Resolution:
    entry = _find_rate(plan, rate)
    shown = format_rate(rate)
    if entry is None:
        raise ResolutionError(RATE_UNKNOWN, rate=shown)
    split = bool(plan.settings.split_vat_by_nature)
    chosen = nature if split else GOODS
    steps = []
    if not split and nature == SERVICES:
        steps.append(_step(SOURCE_RATE, VAT_OF_RATE[SERVICES],
                           _clean(entry.services_vat_account), False, note=VAT_NOT_SPLIT,
                           rate=shown))
    account = _clean(entry.goods_vat_account if chosen == GOODS
                     else entry.services_vat_account)
    if account is None:
        raise ResolutionError(MISSING_VAT[chosen], rate=shown)
    step = _step(SOURCE_RATE, VAT_OF_RATE[chosen], account, True, rate=shown)
    steps.append(step)
    return Resolution(account=_plan_account(plan, step), steps=tuple(steps))


def vat_account(plan: Plan, vat_rate: Decimal, nature: str) -> Resolution:
    """The VAT account of a rate: the one of `nature` when the journals split
    VAT by nature, else the goods one; padded. Rates compare as Decimal."""
    return _vat_resolution(plan, _rate(vat_rate), _nature(nature))


def _ascii_code(text: str) -> str:
    """Upper-case ASCII letters and digits of `text`: accents removed
    (NFKD), Œ → OE, Æ → AE, ß → SS, anything else dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    upper = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    for letter, ascii_letters in (("Œ", "OE"), ("Æ", "AE"), ("Ø", "O"), ("Ł", "L"),
                                  ("Đ", "D"), ("Ð", "D"), ("Þ", "TH")):
        upper = upper.replace(letter, ascii_letters)
    return "".join(ch for ch in upper if ch.isascii() and ch.isalnum())


def auxiliary_max_length(plan: Plan) -> int:
    """A derived code fits the account length when the root is only digits
    (e.g. 411DUPON at 8, capped at 20), else 20 characters (e.g. CDUPONT…)."""
    root = (_clean(plan.settings.auxiliary_root) or "").upper()
    if root and _is_digits(root):
        return min(_length(plan), AUXILIARY_MAX_LENGTH)
    return AUXILIARY_MAX_LENGTH


def derive_auxiliary_code(plan: Plan, contact_name: str,
                          taken_codes: Iterable[str] = ()) -> str:
    """The auxiliary code derived from a contact's name, unique against
    `taken_codes` (compared stripped and upper-case):

    - root = the journals' auxiliary root, upper-cased; it must be ASCII
      letters and digits;
    - name = the upper-case ASCII letters and digits of the contact's name
      (`_ascii_code`): « Boulangerie Éclair & Fils » → BOULANGERIEECLAIRFILS;
    - maximum length (`auxiliary_max_length`): the plan's account length
      when the root is only digits, else 20, never more than 20;
    - code = (root + name) cut to the maximum length; when taken, try
      (root + name) cut to (maximum − number of digits of n) followed by n,
      for n = 2, 3, …: the end is replaced when the code is full, the number
      appended when there is room (CDUPONT → CDUPONT2; CBOULANGERIEECLAIRFI →
      CBOULANGERIEECLAIRF2); the first free one wins. At least one character
      of the name is always kept after the root.

    The caller stores the result on the contact (it is « kept ») and adds it
    to `taken_codes` before deriving the next one.
    """
    name = (contact_name or "").strip()
    raw_root = _clean(plan.settings.auxiliary_root)
    if raw_root is None:
        raise ResolutionError(MISSING_AUXILIARY, contact=name)
    root = raw_root.upper()
    if not (root.isascii() and root.isalnum()):
        raise ResolutionError(ROOT_INVALID, root=raw_root)
    max_length = auxiliary_max_length(plan)
    if len(root) >= max_length:
        raise ResolutionError(ROOT_TOO_LONG, root=raw_root, length=max_length)
    letters = _ascii_code(name)
    if not letters:
        raise ResolutionError(NAME_UNUSABLE, contact=name)
    full = root + letters
    taken = {code.strip().upper() for code in taken_codes if code}
    code = full[:max_length]
    if code not in taken:
        return code
    for number in count(2):
        suffix = str(number)
        kept = max_length - len(suffix)
        if kept <= len(root):
            raise ResolutionError(NO_FREE_AUXILIARY, contact=name)
        code = full[:kept] + suffix
        if code not in taken:
            return code


def customer_account(plan: Plan, contact_name: str, auxiliary_code: Optional[str] = None,
                     taken_codes: Iterable[str] = ()) -> CustomerAccount:
    """The journals' collective customer account (padded) and the contact's
    auxiliary code, else one derived by `derive_auxiliary_code` (derived=True:
    the caller stores it)."""
    name = (contact_name or "").strip()
    general_steps, general = _chain([(SOURCE_JOURNALS, N_("compte client collectif des journaux"),
                                      plan.settings.customer_account, NOT_SET, {})])
    if general is None:
        raise ResolutionError(MISSING_CUSTOMER)
    padded = _plan_account(plan, general)
    own = _clean(auxiliary_code)
    own_step = _step(SOURCE_CONTACT, N_("code auxiliaire du client « %(contact)s »"), own,
                     own is not None, note="" if own is not None else NOT_SET, contact=name)
    if own is not None:
        return CustomerAccount(general=padded, auxiliary=own, derived=False,
                               steps=tuple(general_steps) + (own_step,))
    code = derive_auxiliary_code(plan, name, taken_codes)
    derived_step = _step(
        SOURCE_JOURNALS,
        N_("code dérivé de la racine des comptes auxiliaires « %(root)s » et du nom "
           "« %(contact)s », conservé ensuite"),
        code, True, root=_clean(plan.settings.auxiliary_root).upper(), contact=name)
    return CustomerAccount(general=padded, auxiliary=code, derived=True,
                           steps=tuple(general_steps) + (own_step, derived_step))


def _find_mode(plan: Plan, label: str) -> Optional[PaymentModeAccounts]:
    wanted = label.casefold()
    for mode in plan.payment_modes:
        if (_clean(mode.label) or "").casefold() == wanted:
            return mode
    return None


def payment_account(plan: Plan, mode_label: Optional[str]) -> PaymentResolution:
    """The account (padded) and journal code of a payment: the payment mode's
    (found by label, case-insensitively), each else the journals' bank account
    and bank journal."""
    label = _clean(mode_label)
    mode = _find_mode(plan, label) if label is not None else None
    missing_note = NOT_SET if mode is not None else MODE_NOT_IN_PLAN
    account_candidates, journal_candidates = [], []
    if label is not None:
        account_candidates.append((SOURCE_PAYMENT_MODE,
                                   N_("compte du mode de paiement « %(mode)s »"),
                                   mode.account if mode else None, missing_note, {"mode": label}))
        journal_candidates.append((SOURCE_PAYMENT_MODE,
                                   N_("journal du mode de paiement « %(mode)s »"),
                                   mode.journal_code if mode else None, missing_note,
                                   {"mode": label}))
    account_candidates.append((SOURCE_JOURNALS, N_("compte de banque des journaux"),
                               plan.settings.bank_account, NOT_SET, {}))
    journal_candidates.append((SOURCE_JOURNALS, N_("journal de banque des journaux"),
                               plan.settings.bank_journal, NOT_SET, {}))
    steps, winner = _chain(account_candidates)
    if winner is None:
        if label is None:
            raise ResolutionError(MISSING_BANK_ACCOUNT)
        raise ResolutionError(MISSING_PAYMENT_ACCOUNT, mode=label)
    journal_steps, journal = _chain(journal_candidates)
    if journal is None:
        if label is None:
            raise ResolutionError(MISSING_BANK_JOURNAL)
        raise ResolutionError(MISSING_PAYMENT_JOURNAL, mode=label)
    return PaymentResolution(account=_plan_account(plan, winner), journal_code=journal.account,
                             steps=tuple(steps), journal_steps=tuple(journal_steps))


__all__ = [
    "ARTICLE", "CHARGE", "FREE_LINE", "GOODS", "SERVICES", "AUXILIARY_MAX_LENGTH",
    "CustomerAccount", "ItemRef", "JournalSettings", "PaymentModeAccounts",
    "PaymentResolution", "Plan", "Resolution", "ResolutionError", "Step", "VatRateAccounts",
    "account_radical", "auxiliary_max_length", "credit_note_account", "customer_account",
    "deposit_account", "derive_auxiliary_code", "format_rate", "incorporated_account",
    "pad_account", "payment_account", "sales_account", "vat_account", "vat_suffix",
]
