"""« Liste clients »: the firm's client dossiers, on screen and through the API."""
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.formatting import format_date, format_datetime
from app.models import PACKS, Client
from app.validators import (
    clean_dossier_code, clean_pack, clean_siren, form_validator, schema_validator,
)
from app.views.base import TenantModelRestApi, TenantModelView

CLIENT_LABELS = {
    "name": _l("Raison sociale"),
    "siren": _l("SIREN"),
    "email": _l("E-mail du compte"),
    "pack": _l("Pack"),
    "created_at": _l("Créé le"),
    "last_login_at": _l("Dernière connexion"),
    "dossier_code": _l("N° de dossier"),
    "dossier_label": _l("Libellé du dossier"),
    "multi_vat": _l("Multi-TVA"),
    "client_can_edit_accounting": _l("Accès aux paramètres comptables"),
    "accountant_is_admin": _l("Cabinet administrateur du compte"),
    "collaborators": _l("Collaborateurs"),
    "cabinet": _l("Cabinet"),
}


def _siren_display(siren):
    if not siren:
        return ""
    # No-break spaces: a SIREN is read in groups of three but never wrapped.
    return "\u00a0".join((siren[:3], siren[3:6], siren[6:]))


def _dossier_display(code):
    if code:
        return escape(code)
    return Markup('<span class="label label-warning badge-no-dossier">%s</span>') % _l(
        "dossier non relié")


def _yes_no(value):
    return _l("Oui") if value else _l("Non")


def _collaborators_display(collaborators):
    return ", ".join(user.full_name for user in collaborators or [])


class ClientView(TenantModelView):
    datamodel = SQLAInterface(Client)
    list_title = _l("Liste clients")
    show_title = _l("Fiche client")
    add_title = _l("Nouveau client")
    edit_title = _l("Modifier le client")

    list_columns = ["name", "siren", "dossier_code", "email", "pack", "collaborators",
                    "created_at", "last_login_at"]
    show_columns = ["name", "siren", "email", "pack", "dossier_code", "dossier_label",
                    "multi_vat", "client_can_edit_accounting", "accountant_is_admin",
                    "collaborators", "created_at", "last_login_at"]
    add_columns = ["name", "siren", "email", "pack", "dossier_code", "dossier_label",
                   "multi_vat", "collaborators"]
    edit_columns = add_columns
    search_columns = ["name", "siren", "dossier_code", "email", "pack", "collaborators",
                      "created_at", "last_login_at"]
    order_columns = ["name", "siren", "dossier_code", "email", "pack", "created_at",
                     "last_login_at"]
    base_order = ("created_at", "desc")
    page_size = 25
    label_columns = CLIENT_LABELS
    formatters_columns = {
        "siren": _siren_display,
        "dossier_code": _dossier_display,
        "collaborators": _collaborators_display,
        "created_at": format_date,
        "multi_vat": _yes_no,
        "client_can_edit_accounting": _yes_no,
        "accountant_is_admin": _yes_no,
        "last_login_at": lambda value: format_datetime(value) if value else _l("jamais"),
    }
    add_form_extra_fields = {
        "pack": SelectField(_l("Pack"), choices=[(pack, pack) for pack in PACKS],
                            validators=[DataRequired()], widget=Select2Widget()),
        # FAB would make a non-nullable boolean "required", i.e. impossible to leave unchecked.
        "multi_vat": BooleanField(_l("Multi-TVA"), default=False),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {
        "name": [DataRequired(), Length(max=200)],
        "email": [DataRequired(), Email(message=_l("Adresse e-mail invalide.")), Length(max=320)],
        "siren": [Optional(), form_validator(clean_siren)],
        "dossier_code": [Optional(), form_validator(clean_dossier_code)],
        "dossier_label": [Optional(), Length(max=120)],
    }
    description_columns = {
        "dossier_code": _l("Code du dossier dans Isacompta : requis pour tout export comptable."),
    }


class ClientApi(TenantModelRestApi):
    resource_name = "client"
    datamodel = SQLAInterface(Client)
    allow_browser_login = False  # JWT only: the API is exempt from CSRF, cookies must not reach it
    openapi_spec_tag = "Clients"
    list_columns = ["id", "name", "siren", "email", "pack", "dossier_code", "dossier_label",
                    "created_at", "last_login_at", "multi_vat", "client_can_edit_accounting",
                    "accountant_is_admin", "collaborators.id", "collaborators.first_name",
                    "collaborators.last_name"]
    show_columns = list_columns
    add_columns = ["name", "siren", "email", "pack", "dossier_code", "dossier_label",
                   "multi_vat", "collaborators"]
    edit_columns = add_columns
    search_columns = ["name", "siren", "dossier_code", "email", "pack", "collaborators",
                      "created_at", "last_login_at"]
    order_columns = ["name", "siren", "dossier_code", "email", "pack", "created_at",
                     "last_login_at"]
    base_order = ("created_at", "desc")
    label_columns = CLIENT_LABELS
    validators_columns = {
        "siren": schema_validator(clean_siren),
        "dossier_code": schema_validator(clean_dossier_code),
        "pack": schema_validator(clean_pack),
    }
