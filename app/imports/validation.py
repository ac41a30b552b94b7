"""The rows of an import → what to create and update, or every problem found.

Nothing is written here, and nothing is written at all unless the plan has no
problem (all or nothing: the database side refuses a plan with problems). Every
cell is checked, every problem kept with its line, its column (the French
header), the value as typed and the reason in French, so that a file is fixed
in one go.

The rules are the product's own, shared with the forms: SIREN and VAT numbers
(app.validators, python-stdnum), auxiliary codes, sales accounts and VAT rates
(app.plans.rules), emails (email-validator, as the WTForms Email validator).
What only an import needs is here: prices typed in French or English, natures
and types in words, countries by code or name, duplicates in the file and
against the dossier.

A row is identified by its natural key (`natural_key`): a contact by its SIREN,
else by its name, first name and postcode; an article by its reference, else by
its designation — case and accents aside. A row whose key exists in the
dossier is refused, unless the caller asked to update existing records
(`Context.update_existing`): then it updates that record, and an empty cell
keeps the record's current value (a partial file never erases data).

Speed: 100,000 rows are validated column by column in tight loops, each
message translated once per call (`_Messages`), parsed values memoised per
distinct text for the columns that repeat (rates, natures, prices,
categories, accounts…).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Callable, NamedTuple, Optional

from babel import Locale
from email_validator import EmailNotValidError, validate_email

from app.imports.columns import ImportKind, fold
from app.imports.reading import Table, paused_gc
from app.messages import N_
from app.plans import rules
from app.validators import RuleError, clean_siren, clean_vat_number

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
PRICE_LIMIT = Decimal("1000000000000")  # MONEY is Numeric(14, 2)
# « 1 234,56 », « 1 234,56 € »: spaces (no-break ones too) group digits, a trailing € is allowed.
_PRICE_NOISE = str.maketrans("", "", " \u00a0\u202f\u2009€")
_PRICE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_SIRET_LIKE = re.compile(r"\d{14}", re.ASCII)
_FRACTION = re.compile(r"0?[.,]\d+", re.ASCII)

NATURE_WORDS = {
    **dict.fromkeys(("produit", "produits", "bien", "biens", "marchandise", "marchandises",
                     "goods", "good"), "goods"),
    **dict.fromkeys(("service", "services", "prestation", "prestations",
                     "prestation de service", "prestation de services",
                     "prestations de services"), "services"),
}
TYPE_WORDS = {
    **dict.fromkeys(("societe", "entreprise", "professionnel", "professionnelle", "pro",
                     "personne morale", "association", "company"), True),
    **dict.fromkeys(("particulier", "personne physique", "individu", "person"), False),
}
# Babel's territories that are not countries an address can be in.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}

# Messages ---------------------------------------------------------------------------------

REQUIRED = N_("Cette colonne est obligatoire : la cellule est vide.")
TOO_LONG = N_("Texte trop long : %(length)s caractères pour %(max)s au plus.")
TYPE_UNKNOWN = N_("« %(value)s » n'est pas un type : écrivez « Société » ou « Particulier ».")
COUNTRY_UNKNOWN = N_("« %(value)s » n'est pas un pays : écrivez son code ISO à deux lettres "
                     "(FR, BE, DE, CH…).")
EMAIL_INVALID = N_("« %(value)s » n'est pas une adresse e-mail valide.")
SIRET_NOT_SIREN = N_("« %(value)s » est un SIRET (14 chiffres) : indiquez le SIREN, ses 9 "
                     "premiers chiffres (%(siren)s).")
VAT_NOT_SIREN = N_("Le numéro de TVA %(vat)s ne correspond pas au SIREN %(siren)s de la même "
                   "ligne (un numéro de TVA français finit par le SIREN).")
NATURE_UNKNOWN = N_("« %(value)s » n'est pas une nature : écrivez « produit » ou « service ».")
PRICE_NOT_A_NUMBER = N_("« %(value)s » n'est pas un prix valide : écrivez un nombre, par "
                        "exemple 1234,56.")
PRICE_NEGATIVE = N_("« %(value)s » n'est pas un prix valide : il doit être positif ou nul.")
PRICE_AMBIGUOUS = N_("« %(value)s » n'est pas un prix valide : il mélange virgule et point. "
                     "Écrivez-le sans séparateur de milliers, par exemple 12345,60.")
PRICE_TOO_PRECISE = N_("« %(value)s » n'est pas un prix valide : deux décimales au plus "
                       "(arrondissez au centime, par exemple 12,35).")
PRICE_TOO_BIG = N_("« %(value)s » n'est pas un prix valide : il dépasse 999 999 999 999,99.")
RATE_UNKNOWN = N_("« %(value)s » n'est pas un taux de TVA du dossier : choisissez parmi "
                  "%(rates)s.")
NO_RATES = N_("Le dossier n'a aucun taux de TVA : ajoutez ses taux dans son plan comptable "
              "avant d'importer des articles.")
DUPLICATE_SIREN = N_("Doublon : le SIREN %(value)s figure déjà ligne %(first)s.")
DUPLICATE_NAME = N_("Doublon : même nom, prénom et code postal qu'à la ligne %(first)s.")
DUPLICATE_REFERENCE = N_("Doublon : la référence « %(value)s » figure déjà ligne %(first)s.")
DUPLICATE_LABEL = N_("Doublon : la désignation « %(value)s », sans référence, figure déjà "
                     "ligne %(first)s.")
DUPLICATE_AUXILIARY = N_("Doublon : le compte auxiliaire %(value)s figure déjà ligne "
                         "%(first)s.")
EXISTS_SIREN = N_("Le dossier a déjà un client facturé avec le SIREN %(value)s : cochez "
                  "« Mettre à jour ceux qui existent déjà » pour le modifier, ou retirez la "
                  "ligne.")
EXISTS_NAME = N_("Le dossier a déjà un client facturé « %(value)s » avec ce prénom et ce code "
                 "postal : cochez « Mettre à jour ceux qui existent déjà » pour le modifier, "
                 "ou retirez la ligne.")
EXISTS_REFERENCE = N_("Le dossier a déjà un article de référence « %(value)s » : cochez "
                      "« Mettre à jour ceux qui existent déjà » pour le modifier, ou retirez "
                      "la ligne.")
EXISTS_LABEL = N_("Le dossier a déjà un article « %(value)s » sans référence : cochez "
                  "« Mettre à jour ceux qui existent déjà » pour le modifier, ou retirez la "
                  "ligne.")
AUXILIARY_TAKEN = N_("Le compte auxiliaire %(value)s est déjà celui d'un autre client facturé "
                     "du dossier.")
SENTENCE = N_("Ligne %(line)s, colonne « %(column)s » : %(reason)s")

DUPLICATE_MESSAGES = {"siren": DUPLICATE_SIREN, "name": DUPLICATE_NAME,
                      "reference": DUPLICATE_REFERENCE, "label": DUPLICATE_LABEL}
EXISTS_MESSAGES = {"siren": EXISTS_SIREN, "name": EXISTS_NAME,
                   "reference": EXISTS_REFERENCE, "label": EXISTS_LABEL}


# The engine's types ---------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What the validation needs to know of the client's dossier."""
    vat_rates: frozenset
    # natural_key(kind_code, fields) of the client's records → their ids.
    existing: dict
    # category_key(name) of the client's article categories → their ids.
    categories: dict
    update_existing: bool = False
    # Contacts: the auxiliary codes already given → the id of their contact.
    auxiliary_accounts: dict = field(default_factory=dict)
    # Articles: the client's plan (its account numbers and length), when it has
    # one, so that an article's sales account is one of the plan, as on its screen.
    plan_accounts: Optional[frozenset] = None
    account_length: Optional[int] = None


class Problem(NamedTuple):
    line: int
    column: str
    value: Optional[str]
    reason: str


@dataclass
class Plan:
    creates: list
    updates: list
    problems: list
    new_categories: list
    # The file line of each create and update, in the same order (for messages).
    create_lines: list = field(default_factory=list)
    update_lines: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rejected_lines(self) -> list:
        return sorted({problem.line for problem in self.problems})


def problem_sentence(problem: Problem, gettext: Callable) -> str:
    """« Ligne 4, colonne « Prix unitaire HT » : « -3 » n'est pas un prix … »."""
    return gettext(SENTENCE) % {"line": problem.line, "column": problem.column,
                                "reason": problem.reason}


# Keys -----------------------------------------------------------------------------------

def natural_key(kind_code: str, fields: dict) -> Optional[tuple]:
    """How a record is recognised (None when it cannot be): a contact by its
    SIREN, else by (name, first name, postcode); an article by its reference,
    else by its designation; case, accents and spaces aside."""
    if kind_code == "contacts":
        return contact_key(fields.get("siren"), fields.get("name"), fields.get("first_name"),
                           fields.get("postcode"))
    if kind_code == "articles":
        return article_key(fields.get("reference"), fields.get("label"))
    raise ValueError(f"Type d'import inconnu : {kind_code!r}")


def contact_key(siren, name, first_name, postcode) -> Optional[tuple]:
    """`natural_key` of a contact, from its columns: build_context keys every
    contact of the dossier without building a dict for each."""
    if siren:
        return ("siren", "".join(str(siren).split()))
    if not name:
        return None
    return ("name", fold(name), fold(first_name or ""),
            "".join((postcode or "").split()).casefold())


def article_key(reference, label) -> Optional[tuple]:
    """`natural_key` of an article, from its columns."""
    if reference:
        return ("reference", fold(reference))
    return ("label", fold(label)) if label else None


def category_key(name: str) -> str:
    """How a category is recognised by name: case, accents and spaces aside."""
    return fold(name or "")


# Cell rules -----------------------------------------------------------------------------

class _Bad(Exception):
    """A cell refused by a rule of this module: a msgid and its parameters."""

    def __init__(self, msgid: str, **params):
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


class _Failed:
    """A memoised refusal: the translated reason."""
    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


class _Messages:
    """The caller's gettext, called once per msgid (not once per row)."""

    def __init__(self, gettext: Callable):
        self.gettext = gettext
        self.cache = {}

    def __call__(self, msgid: str, **params) -> str:
        return self.text(msgid) % params

    def text(self, msgid: str) -> str:
        text = self.cache.get(msgid)
        if text is None:
            text = self.cache[msgid] = self.gettext(msgid)
        return text

    def translate(self, msgid: str, **params) -> str:
        """Flask-Babel's signature, for the plans' rules, which call their gettext
        with the parameters: the caller's gettext may take the msgid alone (the
        reading and the templates only ever call it so)."""
        return self(msgid, **params) if params else self.text(msgid)

    def reason(self, error: Exception) -> str:
        """The French (or translated) reason of any rule's refusal."""
        if isinstance(error, _Bad):
            return self(error.msgid, **error.params)
        if isinstance(error, rules.RuleViolation):
            return error.translate(self.translate)
        return str(error)  # RuleError: a lazy string, translated by Flask-Babel


def _clean_type(raw: str) -> bool:
    found = TYPE_WORDS.get(fold(raw))
    if found is None:
        raise _Bad(TYPE_UNKNOWN, value=raw)
    return found


def _countries() -> tuple:
    """ISO codes, and the folded names (French and English) of the countries."""
    codes = set()
    names = {}
    for language in ("en", "fr"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                codes.add(code)
                names[fold(name)] = code
    return frozenset(codes), names


_COUNTRIES = None


def _clean_country(raw: str) -> str:
    global _COUNTRIES
    if _COUNTRIES is None:
        _COUNTRIES = _countries()
    codes, names = _COUNTRIES
    code = raw.upper()
    if code in codes:
        return code
    found = names.get(fold(raw))
    if found is None:
        raise _Bad(COUNTRY_UNKNOWN, value=raw)
    return found


def _clean_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _Bad(EMAIL_INVALID, value=raw) from None


def _clean_siren(raw: str) -> str:
    compact = "".join(raw.split())
    if _SIRET_LIKE.fullmatch(compact):
        raise _Bad(SIRET_NOT_SIREN, value=raw, siren=compact[:9])
    return clean_siren(raw)


def _clean_price(raw: str) -> Decimal:
    """« 1 234,56 », « 1234.56 », « 12,5 », « 12,50 € » → Decimal('1234.56') …;
    more than two decimals, both a comma and a point, a sign: refused."""
    text = raw.translate(_PRICE_NOISE)
    negative = text.startswith("-")
    if negative or text.startswith("+"):
        text = text[1:]
    if "," in text and "." in text:
        raise _Bad(PRICE_AMBIGUOUS, value=raw)
    text = text.replace(",", ".")
    if not _PRICE.fullmatch(text):
        raise _Bad(PRICE_NOT_A_NUMBER, value=raw)
    price = Decimal(text)
    if negative and price:
        raise _Bad(PRICE_NEGATIVE, value=raw)
    if price.quantize(CENT) != price:
        raise _Bad(PRICE_TOO_PRECISE, value=raw)
    if price >= PRICE_LIMIT:
        raise _Bad(PRICE_TOO_BIG, value=raw)
    return price.quantize(CENT)


def _clean_nature(raw: str) -> str:
    found = NATURE_WORDS.get(fold(raw))
    if found is None:
        raise _Bad(NATURE_UNKNOWN, value=raw)
    return found


def format_rate(rate: Decimal) -> str:
    """20.00 → « 20 % », 5.50 → « 5,5 % »."""
    return f"{rate.normalize():f}".replace(".", ",") + " %"


def _rate_rule(vat_rates: frozenset) -> Callable:
    rates_text = ", ".join(format_rate(rate) for rate in sorted(vat_rates, reverse=True))

    def clean_rate(raw: str) -> Decimal:
        if not vat_rates:
            raise _Bad(NO_RATES)
        try:
            rate = rules.clean_vat_rate(raw)
        except rules.RuleViolation:
            rate = None
            if not _FRACTION.fullmatch(raw):
                raise
        if rate in vat_rates:
            return rate
        # A cell formatted « % » in a spreadsheet holds 0.2 for 20 % (0.055 for 5,5 %).
        fraction = _percent_of_fraction(raw)
        if fraction in vat_rates:
            return fraction
        raise _Bad(RATE_UNKNOWN, value=raw, rates=rates_text)

    return clean_rate


def _percent_of_fraction(raw: str) -> Optional[Decimal]:
    if not _FRACTION.fullmatch(raw):
        return None
    try:
        percent = Decimal(raw.replace(",", ".")) * HUNDRED
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None
    return percent.quantize(CENT) if percent.quantize(CENT) == percent else None


def _account_rule(context: Context) -> Callable:
    where = rules.Phrase(rules.SETTING_WHERE["sales_account"])

    def clean_account(raw: str) -> str:
        number = rules.clean_account_number(raw, kind="sales",
                                            account_length=context.account_length)
        if context.plan_accounts is not None and context.account_length:
            rules.require_account_in_plan(number, context.plan_accounts,
                                          context.account_length, where)
        return number

    return clean_account


def _cell_rules(kind: ImportKind, context: Context) -> dict:
    """Column key → (rule turning the cell's text into the field's value or
    raising, whether to memoise it per distinct text). Columns absent are text."""
    if kind.code == "contacts":
        return {"is_company": (_clean_type, True), "country": (_clean_country, True),
                "email": (_clean_email, False), "siren": (_clean_siren, False),
                "vat_number": (clean_vat_number, False),
                "auxiliary_account": (rules.clean_auxiliary_code, False)}
    return {"nature": (_clean_nature, True), "unit_price_ht": (_clean_price, True),
            "vat_rate": (_rate_rule(context.vat_rates), True),
            "account": (_account_rule(context), True)}


# Validation -----------------------------------------------------------------------------

class _Run:
    """One validation: the columns' cleaned values and the problems found."""

    def __init__(self, table: Table, context: Context, messages: _Messages):
        self.table = table
        self.kind = table.kind
        self.context = context
        self.say = messages
        self.lines = [row.line for row in table.rows]
        self.problems = []
        self.bad = bytearray(len(table.rows))  # 1: the row has a problem
        self.raw = {}
        self.clean = {}

    def problem(self, index: int, key: str, value, reason: str):
        self.problems.append(Problem(self.lines[index], self.kind.column(key).header,
                                     value, reason))
        self.bad[index] = 1

    def clean_columns(self):
        cell_rules = _cell_rules(self.kind, self.context)
        values = [row.values for row in self.table.rows]
        for column in self.kind.columns:
            key = column.key
            raws = list(map(itemgetter(key), values))
            self.raw[key] = raws
            rule, memoise = cell_rules.get(key, (None, False))
            self.clean[key] = self._clean_column(column, raws, rule, memoise)

    def _clean_column(self, column, raws: list, rule, memoise: bool) -> list:
        header = column.header
        lines, problems, bad = self.lines, self.problems, self.bad
        required = self.say(REQUIRED) if column.required else None
        max_length = column.max_length
        memo = {} if memoise else None
        out = [None] * len(raws)
        for index, raw in enumerate(raws):
            if raw is None:
                if required:
                    problems.append(Problem(lines[index], header, None, required))
                    bad[index] = 1
                continue
            if max_length is not None and len(raw) > max_length:
                problems.append(Problem(lines[index], header, raw,
                                        self.say(TOO_LONG, length=len(raw), max=max_length)))
                bad[index] = 1
                continue
            if rule is None:
                out[index] = raw
                continue
            value = memo.get(raw) if memo is not None else None
            if value is None:
                try:
                    value = rule(raw)
                except (_Bad, rules.RuleViolation, RuleError) as error:
                    value = _Failed(self.say.reason(error))
                if memo is not None:
                    memo[raw] = value
            if value.__class__ is _Failed:
                problems.append(Problem(lines[index], header, raw, value.reason))
                bad[index] = 1
            else:
                out[index] = value
        return out


def validate(table: Table, context: Context, *, gettext: Callable) -> Plan:
    """Check every row of `table` against the rules and the client's dossier
    (`context`); the plan lists what to create and update, or the problems."""
    with paused_gc():
        return _validate(table, context, gettext)


def _validate(table: Table, context: Context, gettext: Callable) -> Plan:
    run = _Run(table, context, _Messages(gettext))
    run.clean_columns()
    if table.kind.code == "contacts":
        _check_vat_matches_siren(run)
        _check_auxiliary_accounts(run)
    fields = _fields(run)
    new_categories = _resolve_categories(run, fields) if table.kind.code == "articles" else []
    creates, updates, create_lines, update_lines = _match(run, fields)
    problems = run.problems
    column_order = {column.header: position
                    for position, column in enumerate(table.kind.columns)}
    problems.sort(key=lambda problem: (problem.line, column_order.get(problem.column, 0)))
    return Plan(creates=creates, updates=updates, problems=problems,
                new_categories=new_categories, create_lines=create_lines,
                update_lines=update_lines)


def _check_vat_matches_siren(run: _Run):
    """A French VAT number is FR + a two-digit key + the SIREN."""
    sirens, vats = run.clean["siren"], run.clean["vat_number"]
    for index, vat in enumerate(vats):
        siren = sirens[index]
        if vat and siren and vat.startswith("FR") and len(vat) == 13 and vat[4:] != siren:
            run.problem(index, "vat_number", run.raw["vat_number"][index],
                        run.say(VAT_NOT_SIREN, vat=vat, siren=siren))


def _fields(run: _Run) -> list:
    """Each row's cleaned fields, every column present (None: an empty cell), or
    None for a row with a problem."""
    keys = run.kind.keys
    bad = run.bad
    return [None if bad[index] else dict(zip(keys, values))
            for index, values in enumerate(zip(*(run.clean[key] for key in keys)))]


def _resolve_categories(run: _Run, fields: list) -> list:
    """An article's category name → `category_id` (known) or `category_key` (to be
    created, listed once in the plan's new categories, as first spelled)."""
    known = run.context.categories
    keys = {}  # name → category_key(name): a few names, many rows
    new = {}
    for row in fields:
        if row is None:
            continue
        name = row.pop("category")
        if name is None:
            row["category_id"] = None
            continue
        key = keys.get(name)
        if key is None:
            key = keys[name] = category_key(name)
        category_id = known.get(key)
        if category_id is not None:
            row["category_id"] = category_id
        else:
            new.setdefault(key, name)
            row["category_key"] = key
    return list(new.values())


# Defaults of a created record for the cells left empty (None needs no default).
CREATE_DEFAULTS = {"contacts": {"is_company": True, "country": "FR"}, "articles": {}}
KEY_COLUMNS = {"siren": "siren", "name": "name", "reference": "reference", "label": "label"}


def _match(run: _Run, fields: list) -> tuple:
    """Duplicates in the file, and records of the dossier: each valid row becomes
    a create, an update (when asked) or a problem."""
    code = run.kind.code
    existing = run.context.existing
    update_existing = run.context.update_existing
    defaults = CREATE_DEFAULTS[code].items()
    lines = run.lines
    first_line = {}
    creates, updates, create_lines, update_lines = [], [], [], []
    for index, row in enumerate(fields):
        if row is None:
            continue
        key = natural_key(code, row)
        if key in first_line:
            column = KEY_COLUMNS[key[0]]
            raw = run.raw[column][index]
            run.problem(index, column, raw, run.say(DUPLICATE_MESSAGES[key[0]], value=raw,
                                                    first=first_line[key]))
            continue
        first_line[key] = lines[index]
        record_id = existing.get(key)
        if record_id is None:
            for name, default in defaults:
                if row[name] is None:
                    row[name] = default
            creates.append(row)
            create_lines.append(lines[index])
        elif update_existing:
            # An empty cell keeps the record's value: a partial file erases nothing.
            updates.append((record_id, {name: value for name, value in row.items()
                                        if value is not None}))
            update_lines.append(lines[index])
        else:
            column = KEY_COLUMNS[key[0]]
            raw = run.raw[column][index]
            run.problem(index, column, raw, run.say(EXISTS_MESSAGES[key[0]], value=raw))
    return creates, updates, create_lines, update_lines


def _check_auxiliary_accounts(run: _Run):
    """An auxiliary code belongs to one contact: not twice in the file, and not
    one that another contact of the dossier has (the row's own contact may keep
    its code)."""
    owners = run.context.auxiliary_accounts
    # The row's own record keeps its code, whether the row updates it or is refused
    # as already in the dossier (the same file sent twice names that, not the code).
    existing = run.context.existing
    clean = run.clean
    first_line = {}
    for index, code in enumerate(clean["auxiliary_account"]):
        if code is None:
            continue
        raw = run.raw["auxiliary_account"][index]
        if code in first_line:
            run.problem(index, "auxiliary_account", raw,
                        run.say(DUPLICATE_AUXILIARY, value=code, first=first_line[code]))
            continue
        first_line[code] = run.lines[index]
        owner = owners.get(code)
        if owner is None:
            continue
        key = contact_key(clean["siren"][index], clean["name"][index],
                          clean["first_name"][index], clean["postcode"][index])
        if owner != existing.get(key):
            run.problem(index, "auxiliary_account", raw, run.say(AUXILIARY_TAKEN, value=code))


__all__ = ["Context", "Plan", "Problem", "article_key", "category_key", "contact_key",
           "natural_key", "problem_sentence", "validate"]
