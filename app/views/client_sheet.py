"""« Fiche client » and the per-client action screens (issue 3).

One FAB BaseView under /clients, guarded by ClientView's permissions so the
roles of app/security/roles.py apply unchanged: read screens need `can_show`,
changes `can_edit`, the access screen `can_manage_access`. Every client is
loaded through the tenant rules (visible_or_404): another cabinet's client, or
for Accès restreint an unassigned one, answers 404 as if it did not exist.
Every change is a POST (CSRFProtect checks the token of each one).
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l, ngettext
from flask_wtf import FlaskForm
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.clients.dossiers import dossier_code_owner
from app.clients.pins import pin_clients, unpin_clients
from app.clients.staff import staff_members
from app.extensions import db
from app.models import AppUser, Client, DashboardPin
from app.security.roles import RESTRICTED
from app.security.tenancy import NOTHING, ScopeKind, current_scope, visible_criteria
from app.validators import RuleError, clean_dossier_code
from app.formatting import format_siren
from app.views.base import is_visible, safe_next, visible_or_404

# name in the URL → (model attribute, message when turned on, message when turned off)
SWITCHES = {
    "multi_vat": (
        "multi_vat",
        _l("Multi-TVA activée pour « %(name)s »."),
        _l("Multi-TVA désactivée pour « %(name)s »."),
    ),
    "client_can_edit_accounting": (
        "client_can_edit_accounting",
        _l("« %(name)s » a désormais accès à ses paramètres comptables."),
        _l("« %(name)s » n'a plus accès à ses paramètres comptables."),
    ),
}
TABS = ("tableau-de-bord", "informations", "comptabilite", "imports")
# A bulk selection comes from one list page, at most MAX_PAGE_SIZE (500) rows.
MAX_BULK_CLIENTS = 1000
MAX_ID = 2**63 - 1
MODE_ADD, MODE_REPLACE = "add", "replace"


# Helpers -----------------------------------------------------------------------------

def parse_client_ids():
    """`ids=1,2,3` (query string or form, possibly repeated) → sorted unique ints.
    Anything that is not a plausible id answers 404, like an unknown client."""
    raw = ",".join(request.values.getlist("ids"))
    ids = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= MAX_ID:
            abort(404)
        ids.add(int(part))
    if len(ids) > MAX_BULK_CLIENTS:
        abort(400, description=gettext(
            "Trop de clients sélectionnés : %(max)d au plus à la fois.", max=MAX_BULK_CLIENTS))
    return sorted(ids)


def visible_clients_or_404(ids):
    """visible_or_404 for several ids at once, in one query: the same tenant rule,
    and 404 as soon as one of them is not visible (or does not exist)."""
    if len(ids) == 1:
        return [visible_or_404(Client, ids[0])]
    statement = select(Client).where(Client.id.in_(ids)).order_by(Client.name, Client.id)
    criteria = visible_criteria(Client, current_scope() or NOTHING)
    if criteria is not None:
        statement = statement.where(criteria)
    clients = db.session.scalars(statement).all()
    if len(clients) != len(ids):
        abort(404)
    return clients


class DossierForm(FlaskForm):
    """« Mettre à jour le numéro de dossier » (Isacompta dossier code and label)."""

    dossier_code = StringField(
        _l("Numéro de dossier"),
        validators=[DataRequired(message=_l("Le numéro de dossier est obligatoire."))],
        description=_l("Code du dossier dans Isacompta : lettres sans accent, chiffres, "
                       "« - » et « _ », 20 caractères au plus."),
    )
    dossier_label = StringField(
        _l("Libellé du dossier"),
        validators=[Length(max=120, message=_l("120 caractères au plus."))],
        description=_l("Facultatif : le nom du dossier tel qu'il apparaît dans Isacompta."),
    )

    def __init__(self, client, **kwargs):
        super().__init__(**kwargs)
        self.client = client

    def validate_dossier_code(self, field):
        try:
            field.data = clean_dossier_code(field.data)
        except RuleError as error:
            raise ValidationError(str(error)) from None
        other = dossier_code_owner(db.session, self.client.cabinet_id, field.data, self.client.id)
        if other is not None:
            raise ValidationError(self.used_by_message(other))

    @staticmethod
    def used_by_message(other):
        if is_visible(other):
            return gettext("Ce numéro de dossier est déjà utilisé par « %(name)s ».",
                           name=other.name)
        return gettext("Ce numéro de dossier est déjà utilisé par un autre client du cabinet.")

    def validate_dossier_label(self, field):
        field.data = (field.data or "").strip() or None


# The view ----------------------------------------------------------------------------

class ClientSheetView(BaseView):
    route_base = "/clients"
    default_view = "sheet"
    class_permission_name = "ClientView"
    method_permission_name = {
        "sheet": "show",
        "account": "show",
        # Pins are the user's own dashboard, not a change to the client: whoever may
        # open the sheet may pin it.
        "pin": "show",
        "unpin": "show",
        "switch": "edit",
        "dossier": "edit",
        "access": "manage_access",
    }

    # 1. Fiche client ------------------------------------------------------------
    @expose("/<int:pk>/")
    @has_access
    def sheet(self, pk):
        client = visible_or_404(Client, pk)
        tab = request.args.get("onglet")
        return self.render_template(
            "passerelle/clients/sheet.html",
            title=client.name,
            client=client,
            siren=format_siren(client.siren),
            pinned=self._is_pinned(client),
            can_edit=self._can("can_edit"),
            can_manage_access=self._can("can_manage_access"),
            show_cabinet=(current_scope() or NOTHING).kind is ScopeKind.PLATFORM,
            active_tab=tab if tab in TABS else TABS[0],
            switches=[
                ("multi_vat", _l("Multi-TVA"), client.multi_vat,
                 _l("Le client facture avec plusieurs taux de TVA.")),
                ("client_can_edit_accounting", _l("Accès aux paramètres comptables"),
                 client.client_can_edit_accounting,
                 _l("Le client peut modifier lui-même ses paramètres comptables.")),
            ],
        )

    # 2. Switches ----------------------------------------------------------------
    @expose("/<int:pk>/switch/<name>", methods=["POST"])
    @has_access
    def switch(self, pk, name):
        if name not in SWITCHES:
            abort(404)
        client = visible_or_404(Client, pk)
        value = request.form.get("value")
        if value not in ("0", "1"):
            abort(400, description=gettext("Valeur attendue : 1 (activer) ou 0 (désactiver)."))
        attribute, message_on, message_off = SWITCHES[name]
        setattr(client, attribute, value == "1")
        db.session.commit()
        flash(str(message_on if value == "1" else message_off) % {"name": client.name}, "success")
        return redirect(url_for(".sheet", pk=client.id))

    # 3. Numéro de dossier -------------------------------------------------------
    @expose("/<int:pk>/dossier", methods=["GET", "POST"])
    @has_access
    def dossier(self, pk):
        client = visible_or_404(Client, pk)
        form = DossierForm(client, obj=client)
        if form.validate_on_submit():
            client.dossier_code = form.dossier_code.data
            client.dossier_label = form.dossier_label.data
            try:
                db.session.commit()
            except IntegrityError:  # the same code saved meanwhile by someone else
                db.session.rollback()
                client = visible_or_404(Client, pk)
                other = dossier_code_owner(db.session, client.cabinet_id, form.dossier_code.data, client.id)
                form.dossier_code.errors = [
                    DossierForm.used_by_message(other) if other is not None
                    else gettext("Ce numéro de dossier est déjà utilisé.")]
            else:
                flash(gettext("Numéro de dossier de « %(name)s » enregistré : %(code)s.",
                              name=client.name, code=client.dossier_code), "success")
                return redirect(url_for(".sheet", pk=client.id))
        return self.render_template(
            "passerelle/clients/dossier.html",
            title=gettext("Numéro de dossier — %(name)s", name=client.name),
            client=client, form=form,
        )

    # 4. Gérer l'accès -----------------------------------------------------------
    @expose("/access", methods=["GET", "POST"])
    @has_access
    def access(self):
        ids = parse_client_ids()
        if not ids:
            flash(gettext("Sélectionnez au moins un client."), "warning")
            return redirect(safe_next(url_for("ClientView.list")))
        clients = visible_clients_or_404(ids)
        single = len(clients) == 1
        default_next = url_for(".sheet", pk=clients[0].id) if single else url_for("ClientView.list")
        back = safe_next(default_next)
        cabinets = {client.cabinet_id for client in clients}
        if len(cabinets) > 1:  # only a platform admin can pick clients of several cabinets
            return self._render_access(clients, [], set(), MODE_ADD, back, errors=[gettext(
                "Ces clients appartiennent à des cabinets différents : gérez leur accès "
                "cabinet par cabinet.")])
        staff = staff_members(db.session, AppUser.cabinet_id == cabinets.pop())
        staff_ids = {user.id for user, _role in staff}

        if request.method == "GET":
            checked = {user.id for user in clients[0].collaborators} if single else set()
            return self._render_access(clients, staff, checked, MODE_ADD, back)

        mode = MODE_REPLACE if single else request.form.get("mode", MODE_ADD)
        submitted = request.form.getlist("users")
        errors = []
        if mode not in (MODE_ADD, MODE_REPLACE):
            errors.append(gettext("Choisissez « Ajouter à l'accès existant » ou « Remplacer l'accès »."))
            mode = MODE_ADD
        chosen = set()
        for value in submitted:
            if not value.isdigit() or int(value) not in staff_ids:
                errors.append(gettext(
                    "Un des collaborateurs choisis n'appartient pas à ce cabinet : rien n'a été "
                    "enregistré."))
                break
            chosen.add(int(value))
        if not errors and mode == MODE_ADD and not chosen:
            errors.append(gettext("Choisissez au moins un collaborateur à ajouter."))
        if errors:
            checked = {int(v) for v in submitted if v.isdigit() and int(v) in staff_ids}
            return self._render_access(clients, staff, checked, mode, back, errors=errors)

        users = [user for user, _role in staff if user.id in chosen]
        for client in clients:
            if mode == MODE_REPLACE:
                client.collaborators = list(users)
            else:
                current = {user.id for user in client.collaborators}
                client.collaborators.extend(user for user in users if user.id not in current)
        db.session.commit()
        flash(ngettext("Accès mis à jour pour %(num)d client.",
                       "Accès mis à jour pour %(num)d clients.", len(clients)), "success")
        return redirect(back)

    # 5. Accéder au compte ------------------------------------------------------
    @expose("/<int:pk>/compte")
    @has_access
    def account(self, pk):
        client = visible_or_404(Client, pk)
        return self.render_template(
            "passerelle/clients/account.html",
            title=gettext("Espace de facturation — %(name)s", name=client.name),
            client=client, siren=format_siren(client.siren),
        )

    # 6. Dashboard pins ---------------------------------------------------------
    @expose("/<int:pk>/pin", methods=["POST"])
    @has_access
    def pin(self, pk):
        return self._change_pin(
            pk, pin_clients,
            _l("« %(name)s » est épinglé à votre tableau de bord."),
            _l("« %(name)s » était déjà sur votre tableau de bord."))

    @expose("/<int:pk>/unpin", methods=["POST"])
    @has_access
    def unpin(self, pk):
        return self._change_pin(
            pk, unpin_clients,
            _l("« %(name)s » est retiré de votre tableau de bord."),
            _l("« %(name)s » n'était pas sur votre tableau de bord."))

    @staticmethod
    def _change_pin(pk, change, done, unchanged):
        """Pin or unpin one visible client for the current user, say so, go back."""
        client = visible_or_404(Client, pk)
        changed = change(db.session, g.user.id, [client.id])
        db.session.commit()
        message = done if changed else unchanged
        flash(str(message) % {"name": client.name}, "success" if changed else "info")
        return redirect(safe_next(url_for(".sheet", pk=client.id)))

    # ---------------------------------------------------------------------------
    def _can(self, permission):
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)

    @staticmethod
    def _is_pinned(client):
        return bool(db.session.scalar(select(exists().where(
            DashboardPin.user_id == g.user.id, DashboardPin.client_id == client.id))))

    def _render_access(self, clients, staff, checked, mode, back, errors=()):
        single = len(clients) == 1
        # For several clients: how many of them each collaborator already follows.
        following = {}
        for client in clients:
            for user in client.collaborators:
                following[user.id] = following.get(user.id, 0) + 1
        return self.render_template(
            "passerelle/clients/access.html",
            title=gettext("Gérer l'accès"),
            clients=clients, single=single, staff=staff, checked=checked, mode=mode,
            following=following, back=back, errors=list(errors), restricted_role=RESTRICTED,
            ids=",".join(str(client.id) for client in clients),
            next_url=request.values.get("next") if safe_next(None) else None,
        )
