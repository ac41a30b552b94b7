"""« Liste clients »: the firm's client dossiers, on screen and through the API."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, ngettext
from werkzeug.datastructures import MultiDict
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.clients.listing import (
    COLUMNS, CREATED_CHOICES, DOSSIER_CHOICES, LAST_LOGIN_CHOICES, PAGE_SIZES, UNASSIGNED,
    InvalidListArgument, ListQuery, fetch_page, page_count,
)
from app.clients.dossiers import dossier_code_owner
from app.clients.staff import staff_members
from app.clients.pins import pin_clients, pinned_client_ids, unpin_clients
from app.clients.preferences import load_list_preferences, save_list_preferences
from app.extensions import db
from app.formatting import format_date, format_datetime, format_siren
from app.models import PACKS, AppUser, Client
from app.models.mixins import utcnow
from app.security.tenancy import NOTHING, current_scope, visible_criteria
from app.validators import (
    clean_dossier_code, clean_pack, clean_siren, form_validator, schema_validator,
)
from app.views.base import ForeignReference, TenantModelRestApi, TenantModelView, safe_next


class DossierCodeTaken(ForeignReference):
    """Refused like any invalid submission: a French message, nothing written."""

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


def _dossier_display(code):
    if code:
        return escape(code)
    return Markup('<span class="label label-warning badge-no-dossier">%s</span>') % _l(
        "dossier non relié")


def _yes_no(value):
    return _l("Oui") if value else _l("Non")


def _collaborators_display(collaborators):
    return ", ".join(user.full_name for user in collaborators or [])


def _list_url(args, **changes):
    """The list's URL with some arguments changed (None removes one)."""
    merged = MultiDict(args)
    merged.poplist("fragment")  # only the continuous mode's own next-rows URL asks for it
    for key, value in changes.items():
        merged.poplist(key)
        if value is None:
            continue
        for item in (value if isinstance(value, (list, tuple)) else [value]):
            merged.add(key, item)
    return url_for("ClientView.list", **merged.to_dict(flat=False))


def _without(args, key, value=None):
    """The list's URL without one filter (or one value of a multi-valued filter)."""
    if value is None:
        extra = {"from": None, "to": None} if key == "last_login" else {}
        return _list_url(args, page=None, **{key: None}, **extra)
    kept = [v for v in args.getlist(key) if v != value]
    return _list_url(args, page=None, **{key: kept})


def _active_filters(query, args, staff_by_id):
    """Chips for the filters in use: (label, URL that removes it)."""
    chips = []
    if query.q:
        chips.append((gettext("Recherche : « %(q)s »", q=query.q), _without(args, "q")))
    if query.last_login:
        label = gettext(LAST_LOGIN_CHOICES[query.last_login])
        if query.last_login == "range":
            label = gettext("Connexion du %(start)s au %(end)s",
                            start=format_date(query.login_from) or "…",
                            end=format_date(query.login_to) or "…")
        chips.append((label, _without(args, "last_login")))
    for user_id in query.collaborators:
        user = staff_by_id.get(user_id)
        chips.append((gettext("Suivi par %(name)s", name=user.full_name if user else "?"),
                      _without(args, "collaborator", str(user_id))))
    if query.unassigned:
        chips.append((gettext("Non attribué"), _without(args, "collaborator", UNASSIGNED)))
    for pack in query.packs:
        chips.append((gettext("Pack %(pack)s", pack=pack), _without(args, "pack", pack)))
    if query.created:
        chips.append((gettext(CREATED_CHOICES[query.created]), _without(args, "created")))
    if query.dossier:
        chips.append((gettext(DOSSIER_CHOICES[query.dossier]), _without(args, "dossier")))
    return chips


def export_columns(clients, columns):
    """« Export » (prêt / bloqué, and why) and « Dernier export » of a page, in
    two queries, only when those columns are shown."""
    from app.exports.batches import last_exports
    from app.exports.checks import quick_readiness

    ids = [client.id for client in clients]
    return {
        "export_reasons": {client_id: ", ".join(gettext(reason) for reason in reasons)
                           for client_id, reasons in quick_readiness(db.session, clients).items()}
        if "export_status" in columns else {},
        "last_exports": last_exports(db.session, ids) if "last_export" in columns else {},
    }


def _as_list(items):
    """FAB passes one record for a row action and a list for a selection."""
    return items if isinstance(items, list) else [items]


def cabinet_staff():
    """Staff users the current user may see (their cabinet), owner first."""
    visible = visible_criteria(AppUser, current_scope() or NOTHING)
    return [user for user, _level in staff_members(db.session, visible)]


class UniqueDossierCode:
    """The dossier number is unique in the cabinet, on every path that sets it."""

    def _check_dossier_code(self, item):
        # No autoflush: the edited client must not be written before it is checked.
        with db.session.no_autoflush:
            taken = item.dossier_code and dossier_code_owner(
                db.session, item.cabinet_id, item.dossier_code, item.id)
        if taken:
            raise DossierCodeTaken(gettext(
                "Le numéro de dossier « %(code)s » est déjà utilisé dans le cabinet.",
                code=item.dossier_code))

    def pre_add(self, item):
        super().pre_add(item)
        self._check_dossier_code(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._check_dossier_code(item)


class ClientView(UniqueDossierCode, TenantModelView):
    datamodel = SQLAInterface(Client)
    list_template = "passerelle/clients/list.html"
    method_permission_name = {
        "list": "list", "show": "show", "add": "add", "edit": "edit", "delete": "delete",
        "download": "list", "action": "list", "action_post": "list",
        "preferences": "list", "pin": "list", "unpin": "list",
        "manage_access": "manage_access", "export_entries": "list",
    }
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
        "siren": format_siren,
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


    # The list ----------------------------------------------------------------
    def _can(self, permission):
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    @expose("/list/")
    @has_access
    def list(self):
        prefs = load_list_preferences(db.session, g.user.id)
        try:
            query = ListQuery.from_args(request.args, default_page_size=prefs["page_size"])
        except InvalidListArgument as error:
            flash(gettext(error.message, **error.params), "warning")
            return redirect(url_for("ClientView.list"))
        visible = visible_criteria(Client, current_scope() or NOTHING)
        count, clients = fetch_page(db.session, visible, query, now=utcnow())
        pages = page_count(count, query.page_size)
        if query.page > pages and count:
            return redirect(_list_url(request.args, page=pages))
        context = dict(
            clients=clients, count=count, query=query, pages=pages, prefs=prefs,
            columns=[(key, gettext(COLUMNS[key][0]), COLUMNS[key][1] is not None)
                     for key in prefs["columns"]],
            pinned=pinned_client_ids(db.session, g.user.id),
            **export_columns(clients, prefs["columns"]),
            can_edit=self._can("can_edit"), can_add=self._can("can_add"),
            can_delete=self._can("can_delete"), can_manage_access=self._can("can_manage_access"),
            can_export=self.appbuilder.sm.has_access("can_export", "ExportView"),
            list_url=lambda **changes: _list_url(request.args, **changes),
            next_page_url=(_list_url(request.args, page=query.page + 1, fragment="rows")
                           if query.page < pages else None),
        )
        if request.args.get("fragment") == "rows":
            return render_template("passerelle/clients/_rows.html", **context)
        staff = cabinet_staff()
        context.update(
            staff=staff, packs=PACKS, page_sizes=PAGE_SIZES, all_columns=COLUMNS,
            last_login_choices=LAST_LOGIN_CHOICES,
            chips=_active_filters(query, request.args, {u.id: u for u in staff}),
            clear_url=url_for("ClientView.list"),
        )
        self.update_redirect()
        return self.render_template(self.list_template, title=gettext("Liste clients"),
                                    **context)

    @expose("/preferences", methods=["POST"])
    @has_access
    def preferences(self):
        save_list_preferences(db.session, g.user.id, {
            "columns": request.form.getlist("columns"),
            "mode": request.form.get("mode"),
            "page_size": request.form.get("page_size"),
        })
        db.session.commit()
        flash(gettext("Affichage enregistré."), "success")
        return redirect(safe_next() or url_for("ClientView.list"))

    # Actions on one or several clients (FAB loads them through the tenant base) ---
    @staticmethod
    def _change_pins(items, change, message):
        """Pin or unpin the selected clients, say how many changed, go back to the list."""
        changed = change(db.session, g.user.id, [item.id for item in _as_list(items)])
        db.session.commit()
        flash(message(changed), "success")
        return redirect(safe_next() or url_for("ClientView.list"))

    @action("pin", _l("Ajouter au dashboard"), icon="fa-thumb-tack", single=True, multiple=True)
    def pin(self, items):
        return self._change_pins(items, pin_clients, lambda added: ngettext(
            "%(num)d dossier épinglé au dashboard.", "%(num)d dossiers épinglés au dashboard.",
            added) if added else gettext("Déjà épinglé."))

    @action("unpin", _l("Retirer du dashboard"), icon="fa-times", single=True, multiple=True)
    def unpin(self, items):
        return self._change_pins(items, unpin_clients, lambda removed: ngettext(
            "%(num)d dossier retiré du dashboard.", "%(num)d dossiers retirés du dashboard.",
            removed) if removed else gettext("Aucun de ces dossiers n'était épinglé."))

    @action("manage_access", _l("Gérer l'accès"), icon="fa-users", single=True, multiple=True)
    def manage_access(self, items):
        ids = ",".join(str(item.id) for item in _as_list(items))
        return redirect(url_for("ClientSheetView.access", ids=ids,
                                next=safe_next() or url_for("ClientView.list")))

    @action("export_entries", _l("Exporter les écritures"), icon="fa-download", single=True,
            multiple=True)
    def export_entries(self, items):
        ids = ",".join(str(item.id) for item in _as_list(items))
        return redirect(url_for("ExportView.export_many", ids=ids))


class ClientApi(UniqueDossierCode, TenantModelRestApi):
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
