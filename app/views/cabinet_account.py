"""« Supprimer le compte du cabinet » (its Propriétaire alone) and the platform
Admin's « Plateforme > Cabinets » (issue 7).

Deleting closes the account: every user of the cabinet and of its clients'
dossiers is refused at login from then on (app.security.manager), and the data
is kept for CABINET_RETENTION_DAYS days, during which the platform Admin sees the
purge date and may restore the account; `flask purge-cabinets` then erases it
(app.cabinets.closing).
"""
from flask import abort, current_app, flash, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import gettext, lazy_gettext as _l, ngettext
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.cabinets.closing import (
    CabinetClosingError, close_cabinet, confirmation_matches, restore_cabinet,
)
from app.extensions import db
from app.formatting import format_datetime, format_siren
from app.models import AppUser, Cabinet
from app.models.mixins import utcnow
from app.security.cabinets import create_cabinet
from app.validators import RuleError, clean_siren
from app.views.account import email_owner_id, is_current_password, policy_hint, strip
from app.views.base import TenantModelView
from app.views.cabinet import own_cabinet_or_404


class DeletionForm(FlaskForm):
    cabinet_name = StringField(
        _l("Nom du cabinet"), filters=[strip],
        validators=[DataRequired(message=_l("Saisissez le nom du cabinet pour confirmer."))],
        render_kw={"autocomplete": "off"})
    password = PasswordField(
        _l("Votre mot de passe"),
        validators=[DataRequired(message=_l("Saisissez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"})

    def __init__(self, cabinet, user, **kwargs):
        super().__init__(**kwargs)
        self.cabinet, self.user = cabinet, user

    def validate_cabinet_name(self, field):
        if not confirmation_matches(self.cabinet, field.data):
            raise ValidationError(gettext(
                "Le nom saisi ne correspond pas : tapez « %(name)s ».", name=self.cabinet.name))

    def validate_password(self, field):
        if not is_current_password(self.user, field.data):
            raise ValidationError(gettext("Le mot de passe est incorrect."))


class CabinetDeletionView(BaseView):
    """The Propriétaire alone: an Administrateur holds the settings' permissions but
    is refused here, on the server."""

    route_base = "/cabinet/suppression"
    default_view = "confirm"
    class_permission_name = "CabinetDeletionView"
    method_permission_name = {"confirm": "delete"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def confirm(self):
        cabinet = own_cabinet_or_404()
        if cabinet.owner_id != current_user.id:
            abort(403, description=gettext(
                "Seul le propriétaire du cabinet peut supprimer son compte."))
        form = DeletionForm(cabinet, current_user._get_current_object())
        retention_days = current_app.config["CABINET_RETENTION_DAYS"]
        if form.validate_on_submit():
            close_cabinet(cabinet, utcnow(), retention_days, gettext)
            db.session.commit()
            logout_user()
            flash(gettext("Le compte du cabinet « %(name)s » est supprimé. Ses données sont "
                          "conservées %(days)d jours puis effacées définitivement ; pour "
                          "revenir sur cette décision d'ici là, contactez le support.",
                          name=cabinet.name, days=retention_days), "info")
            return redirect(self.appbuilder.get_url_for_login)
        return self.render_template("passerelle/cabinet/delete.html", form=form,
                                    cabinet=cabinet, retention_days=retention_days,
                                    title=gettext("Supprimer le compte du cabinet"))


# The platform Admin's cabinets ---------------------------------------------------------

class NewCabinetForm(FlaskForm):
    """A cabinet and its Propriétaire, created together."""

    name = StringField(_l("Nom du cabinet"), filters=[strip], validators=[
        DataRequired(message=_l("Le nom du cabinet est obligatoire.")), Length(max=200)])
    siren = StringField(_l("SIREN"), filters=[strip],
                        description=_l("Facultatif : 9 chiffres, espaces permis."))
    owner_first_name = StringField(_l("Prénom du propriétaire"), filters=[strip], validators=[
        DataRequired(message=_l("Le prénom est obligatoire.")), Length(max=64)])
    owner_last_name = StringField(_l("Nom du propriétaire"), filters=[strip], validators=[
        DataRequired(message=_l("Le nom est obligatoire.")), Length(max=64)])
    owner_email = EmailField(_l("E-mail du propriétaire"), filters=[strip], validators=[
        DataRequired(message=_l("L'adresse e-mail est obligatoire.")),
        Email(message=_l("Adresse e-mail invalide.")), Length(max=320)])
    owner_username = StringField(_l("Identifiant de connexion"), filters=[strip], validators=[
        DataRequired(message=_l("L'identifiant est obligatoire.")), Length(max=64)])
    owner_password = PasswordField(_l("Mot de passe initial"), validators=[
        DataRequired(message=_l("Saisissez un mot de passe.")), PasswordComplexityValidator()],
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(_l("Confirmation"), validators=[
        DataRequired(message=_l("Saisissez à nouveau le mot de passe.")),
        EqualTo("owner_password", message=_l("La confirmation ne correspond pas."))],
        render_kw={"autocomplete": "new-password"})

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.owner_password.description = policy_hint()

    def validate_siren(self, field):
        try:
            field.data = clean_siren(field.data)
        except RuleError as error:
            raise ValidationError(str(error)) from None

    def validate_owner_email(self, field):
        if field.data and email_owner_id(field.data, except_user_id=None) is not None:
            raise ValidationError(gettext(
                "Cette adresse e-mail est déjà utilisée par un autre compte."))

    def validate_owner_username(self, field):
        if field.data and db.session.query(AppUser.id).filter(
                AppUser.username == field.data).first() is not None:
            raise ValidationError(gettext("Cet identifiant est déjà pris."))


def _format_status(cabinet):
    if cabinet.deleted_at is None:
        return gettext("Actif")
    return gettext("Supprimé le %(deleted)s — purge le %(purge)s",
                   deleted=format_datetime(cabinet.deleted_at),
                   purge=format_datetime(cabinet.purge_after))


class CabinetAdminView(TenantModelView):
    """« Plateforme > Cabinets »: every cabinet, with its owner, size and whether its
    account was deleted (and when it will be purged). On the tenant base like every
    view over tenant data: the platform Admin's scope shows every cabinet."""

    route_base = "/plateforme/cabinets"
    datamodel = SQLAInterface(Cabinet)
    include_route_methods = {"list", "show", "action", "action_post", "add"}
    base_permissions = ["can_list", "can_show", "can_add", "can_restore"]
    list_title = _l("Cabinets")
    show_title = _l("Cabinet")
    list_columns = ["name", "siren", "owner", "client_count", "user_count", "created_at",
                    "deleted_at", "purge_after"]
    show_columns = ["name", "siren", "siret", "address", "email", "phone", "owner",
                    "client_count", "user_count", "created_at", "deleted_at", "purge_after"]
    # FAB builds its forms even for routes it does not serve: not from the counts.
    add_columns = edit_columns = ["name", "siren", "siret", "address", "email", "phone"]
    search_columns = ["name", "siren", "email"]
    order_columns = ["name", "created_at", "deleted_at", "purge_after"]
    base_order = ("name", "asc")
    page_size = 50
    label_columns = {
        "name": _l("Cabinet"), "siren": _l("SIREN"), "siret": _l("SIRET"),
        "address": _l("Adresse"), "email": _l("E-mail"), "phone": _l("Téléphone"),
        "owner": _l("Propriétaire"), "client_count": _l("Clients"),
        "user_count": _l("Utilisateurs du cabinet"), "created_at": _l("Créé le"),
        "deleted_at": _l("Compte supprimé le"), "purge_after": _l("Données effacées le"),
    }
    formatters_columns = {
        "siren": lambda value: format_siren(value) if value else "",
        "created_at": format_datetime,
        "deleted_at": lambda value: format_datetime(value) if value else gettext("— (actif)"),
        "purge_after": lambda value: format_datetime(value) if value else "",
    }

    @expose("/nouveau", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Replaces FAB's form: the cabinet comes with its Propriétaire."""
        form = NewCabinetForm()
        if form.validate_on_submit():
            cabinet = self._create_cabinet(form)
            if cabinet is not None:
                flash(gettext("Cabinet « %(name)s » créé ; son propriétaire peut se connecter "
                              "avec l'identifiant « %(login)s ».",
                              name=cabinet.name, login=form.owner_username.data), "success")
                return redirect(url_for(".show", pk=cabinet.id))
        return self.render_template("passerelle/cabinet/admin_new.html", form=form,
                                    title=gettext("Nouveau cabinet"))

    def _create_cabinet(self, form):
        """None (and the error next to the login) when the same login or email was
        taken meanwhile and the database refused it."""
        try:
            cabinet = create_cabinet(
                self.appbuilder.sm, db.session, name=form.name.data, siren=form.siren.data,
                owner_username=form.owner_username.data, owner_email=form.owner_email.data,
                owner_first_name=form.owner_first_name.data,
                owner_last_name=form.owner_last_name.data,
                owner_password=form.owner_password.data)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.owner_username.errors = [gettext(
                "Cet identifiant ou cette adresse e-mail vient d'être pris par un autre compte.")]
            return None
        return cabinet

    @action("restore", _l("Restaurer le compte"), confirmation=_l(
        "Restaurer le compte de ces cabinets ? Leurs utilisateurs pourront de nouveau se "
        "connecter."), icon="fa-undo", single=True, multiple=True)
    def restore(self, items):
        items = [item for item in (items if isinstance(items, list) else [items]) if item]
        if not items:
            abort(404)
        restored = []
        for cabinet in items:
            try:
                restore_cabinet(cabinet, gettext)
                restored.append(cabinet)
            except CabinetClosingError as error:
                flash(f"{cabinet.name} : {error}", "warning")
        db.session.commit()
        if restored:
            flash(ngettext("%(num)d compte de cabinet restauré.",
                           "%(num)d comptes de cabinet restaurés.", len(restored)), "success")
        return redirect(url_for(".list"))

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """FAB answers 500 to an unknown action name: it is a page that does not exist."""
        from flask import request

        if request.form.get("action") not in self.actions:
            abort(404)
        return super().action_post()
