"""Field rules shared by forms, the API and imports: one rule, several adapters."""
import re

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as SchemaValidationError
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import ValidationError as NumberError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from wtforms.validators import ValidationError as FormValidationError

from app.models import PACKS

DOSSIER_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


class RuleError(ValueError):
    pass


def clean_siren(value):
    """Normalised SIREN (9 digits, Luhn-valid) or None; raises RuleError."""
    if value is None or not str(value).strip():
        return None
    compact = stdnum_siren.compact(str(value))
    if not compact.isdigit() or len(compact) != 9:
        raise RuleError(_l("Le SIREN doit compter 9 chiffres."))
    if not stdnum_siren.is_valid(compact):
        raise RuleError(_l("Ce SIREN n'est pas valide (clé de contrôle incorrecte)."))
    return compact


def clean_siret(value):
    """Normalised SIRET (14 digits, Luhn-valid, La Poste's exception included) or
    None; raises RuleError."""
    if value is None or not str(value).strip():
        return None
    compact = stdnum_siret.compact(str(value))
    if not compact.isdigit() or len(compact) != 14:
        raise RuleError(_l("Le SIRET doit compter 14 chiffres."))
    if not stdnum_siret.is_valid(compact):
        raise RuleError(_l("Ce SIRET n'est pas valide (clé de contrôle incorrecte)."))
    return compact


def clean_vat_number(value):
    """Normalised intra-EU VAT number (FR44732829320) or None; raises RuleError."""
    if value is None or not str(value).strip():
        return None
    try:
        compact = stdnum_vat.compact(str(value))
    except NumberError:
        # compact() itself refuses, in English, a number whose first two characters
        # are no EU country (« 44732829320 », « CHE-123.456.789 », « GB… »).
        compact = "".join(str(value).split()).upper()
        if compact[:2].isalpha() and len(compact) >= 4:
            raise RuleError(_l("Ce numéro de TVA intracommunautaire n'est pas valide.")) from None
        compact = ""
    if len(compact) < 4 or not compact[:2].isalpha():
        raise RuleError(_l("Le numéro de TVA intracommunautaire commence par le code du pays "
                           "(par exemple FR44732829320)."))
    if not stdnum_vat.is_valid(compact):
        raise RuleError(_l("Ce numéro de TVA intracommunautaire n'est pas valide."))
    return compact


def clean_dossier_code(value):
    if value is None or not str(value).strip():
        return None
    code = str(value).strip()
    if not DOSSIER_CODE_PATTERN.match(code):
        raise RuleError(_l(
            "Le numéro de dossier ne peut contenir que des lettres sans accent, des chiffres, "
            "« - » et « _ » (20 caractères au plus)."))
    return code


def clean_pack(value):
    if value not in PACKS:
        raise RuleError(_l("Pack inconnu : choisissez %(packs)s.", packs=", ".join(PACKS)))
    return value


def form_validator(rule):
    """WTForms adapter: validates and keeps the normalised value."""
    def validate(form, field):
        try:
            field.data = rule(field.data)
        except RuleError as error:
            raise FormValidationError(str(error)) from None
    return validate


def schema_validator(rule):
    """Marshmallow adapter."""
    def validate(value):
        try:
            rule(value)
        except RuleError as error:
            raise SchemaValidationError(str(error)) from None
    return validate
