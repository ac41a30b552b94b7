"""« Réglages du cabinet > Collaborateurs » (issue 7): the cabinet's staff.

Propriétaire and Administrateur only (roles.CABINET_SETTINGS grants them every
permission of CollaboratorView; the other roles get 403 from has_access). A
platform Admin holds every permission but has no cabinet: 404. A collaborator is
always looked up among the logged-in user's cabinet's staff, so another cabinet's
user, a client user, a platform admin or a missing id all answer 404 alike.

The rules themselves (levels, deactivation, ownership transfer, followed
clients) live in app.cabinets.collaborators; this module turns forms into calls
and refusals into French messages. There is no mail server: « inviting » a
collaborator means creating the account with an initial password that the
administrator hands over.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import gettext, lazy_gettext as _l, ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.cabinets import collaborators as rules
from app.cabinets.collaborators import CollaboratorRuleError
from app.extensions import db
from app.models import AppUser
from app.security import roles
from app.security.cabinets import OwnerRuleError
from app.views.account import (
    ProfileForm, email_owner_id, own_user, policy_hint, strip, taken_email_message,
)
from app.views.cabinet import own_cabinet_or_404

MAX_ID = 2**63 - 1
REFUSALS = (CollaboratorRuleError, OwnerRuleError)


# Helpers -----------------------------------------------------------------------------

def collaborator_or_404(cabinet, pk):
    user = rules.find_collaborator(db.session, cabinet, pk)
    if user is None:
        abort(404)
    return user


def submitted_client_ids():
    """The ids of the « clients » checkboxes; None when one of them is not even an
    id (a forged form): the whole form is then refused."""
    ids = set()
    for value in request.form.getlist("clients"):
        value = value.strip()
        if not value.isdigit() or not 0 < int(value) <= MAX_ID:
            return None
        ids.add(int(value))
    return ids


def foreign_client_message():
    return gettext("Un des clients choisis n'appartient pas à ce cabinet : rien n'a été "
                   "enregistré.")


def level_choices():
    return [(level, level) for level in roles.ASSIGNABLE_STAFF_ROLES]


def login_taken(login, except_user_id=None):
    """Someone else logs in with this username, or has it as email (FAB's login form
    accepts either, case-insensitively): searched across every cabinet."""
    lowered = login.lower()
    statement = (select(AppUser.id)
                 .where(or_(func.lower(AppUser.username) == lowered,
                            func.lower(AppUser.email) == lowered))
                 .limit(1)
                 .execution_options(skip_tenant_scope=True))
    if except_user_id is not None:
        statement = statement.where(AppUser.id != except_user_id)
    return db.session.scalar(statement) is not None


# Forms -------------------------------------------------------------------------------

class CollaboratorForm(ProfileForm):
    """A collaborator's profile (the fields and checks of « Mon profil ») and level.
    The level field is left out for the Propriétaire and for the user themselves."""

    level = SelectField(_l("Niveau"), choices=[], validate_choice=False)

    def __init__(self, user, level_editable=True, **kwargs):
        super().__init__(user, **kwargs)
        self.email.description = _l("Elle doit être propre à ce compte : deux utilisateurs "
                                    "ne peuvent pas partager la même adresse.")
        self.job_title.description = _l("Facultatif : par exemple « Expert-comptable » ou "
                                        "« Assistante comptable ».")
        if level_editable:
            self.level.choices = level_choices()
        else:
            del self.level

    def validate_level(self, field):
        try:
            rules.check_assignable_level(field.data, gettext)
        except CollaboratorRuleError as error:
            raise ValidationError(str(error)) from None


class NewCollaboratorForm(CollaboratorForm):
    """A new collaborator: the profile, a username and the initial password."""

    username = StringField(
        _l("Identifiant de connexion"), filters=[strip],
        validators=[Optional(), Length(max=128, message=_l("128 caractères au plus."))],
        description=_l("Facultatif : laissé vide, l'identifiant est l'adresse e-mail."),
        render_kw={"autocomplete": "off"})
    password = PasswordField(
        _l("Mot de passe initial"),
        validators=[DataRequired(message=_l("Saisissez un mot de passe initial.")),
                    PasswordComplexityValidator()],
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        _l("Confirmation"),
        validators=[DataRequired(message=_l("Saisissez à nouveau le mot de passe.")),
                    EqualTo("password", message=_l("La confirmation ne correspond pas au "
                                                   "mot de passe."))],
        description=_l("Saisissez à nouveau le mot de passe."),
        render_kw={"autocomplete": "new-password"})

    def __init__(self, **kwargs):
        super().__init__(None, **kwargs)
        self.password.description = policy_hint()

    def validate_email(self, field):
        # No user yet: any account holding the address is another one.
        if field.data and email_owner_id(field.data, except_user_id=None) is not None:
            raise ValidationError(taken_email_message())

    def validate_username(self, field):
        field.data = field.data or None
        if field.data and login_taken(field.data):
            raise ValidationError(gettext("Cet identifiant est déjà pris."))

    @property
    def login(self):
        return self.username.data or self.email.data


# The view ----------------------------------------------------------------------------

class CollaboratorView(BaseView):
    route_base = "/cabinet/collaborateurs"
    default_view = "list"
    class_permission_name = "CollaboratorView"
    method_permission_name = {
        "list": "list",
        "add": "add",
        "edit": "edit",
        "clients": "edit",
        "deactivate": "edit",
        "reactivate": "edit",
        "transfer": "edit",
    }

    # List --------------------------------------------------------------------------
    @expose("/")
    @has_access
    def list(self):
        cabinet = own_cabinet_or_404()
        return self.render_template(
            "passerelle/collaborators/list.html", title=gettext("Collaborateurs"),
            cabinet=cabinet, staff=rules.cabinet_staff(db.session, cabinet),
            followed=rules.followed_counts(db.session, cabinet), **self._common())

    # Create ------------------------------------------------------------------------
    @expose("/nouveau", methods=["GET", "POST"])
    @has_access
    def add(self):
        cabinet = own_cabinet_or_404()
        form = NewCollaboratorForm(level=roles.COLLABORATOR)
        chosen = set()
        error = None
        if request.method == "POST":
            chosen = submitted_client_ids()
            if chosen is None:
                chosen, error = set(), foreign_client_message()
        if form.validate_on_submit() and error is None:
            user, error = self._create(cabinet, form, chosen)
            if user is not None:
                flash(gettext("Collaborateur « %(name)s » créé. Communiquez-lui son identifiant "
                              "« %(login)s » et son mot de passe initial : il pourra le changer "
                              "dans « Votre compte ».", name=user.full_name, login=user.username),
                      "success")
                return redirect(url_for(".list"))
        return self.render_template(
            "passerelle/collaborators/new.html", title=gettext("Nouveau collaborateur"),
            cabinet=cabinet, form=form, error=error, chosen=chosen,
            clients=rules.cabinet_clients(db.session, cabinet), **self._common())

    def _create(self, cabinet, form, client_ids):
        """(the new user, None), or (None, why not) with nothing saved."""
        try:
            user = rules.create_collaborator(
                db.session, self.appbuilder.sm, cabinet, form.level.data,
                username=form.login, email=form.email.data,
                first_name=form.first_name.data, last_name=form.last_name.data,
                password=form.password.data, phone=form.phone.data or None,
                job_title=form.job_title.data or None, client_ids=client_ids,
                gettext=gettext)
            db.session.commit()
        except REFUSALS as refusal:
            db.session.rollback()
            return None, str(refusal)
        except IntegrityError:  # the same email or username saved meanwhile
            db.session.rollback()
            return None, gettext("Cette adresse e-mail ou cet identifiant est déjà utilisé par "
                                 "un autre compte : rien n'a été enregistré.")
        return user, None

    # Edit --------------------------------------------------------------------------
    @expose("/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        cabinet = own_cabinet_or_404()
        user = collaborator_or_404(cabinet, pk)
        acting = own_user()
        level = rules.level_of(user)
        level_editable = not rules.is_owner(cabinet, user) and user.id != acting.id
        form = CollaboratorForm(user, level_editable=level_editable, obj=user, level=level)
        if form.validate_on_submit() and self._save(cabinet, acting, user, form):
            flash(gettext("Collaborateur « %(name)s » enregistré.", name=user.full_name),
                  "success")
            return redirect(url_for(".edit", pk=user.id))
        return self._render_edit(cabinet, acting, user, form)

    def _save(self, cabinet, acting, user, form):
        """Level then profile, committed together; False (and nothing saved) on a
        refusal, flashed, or on an email saved meanwhile by someone else."""
        try:
            if "level" in form:
                rules.change_level(db.session, self.appbuilder.sm, cabinet, acting, user,
                                   form.level.data, gettext)
            form.apply_to(user)
            db.session.commit()
        except REFUSALS as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
            return False
        except IntegrityError:
            db.session.rollback()
            form.email.errors = [taken_email_message()]
            return False
        return True

    def _render_edit(self, cabinet, acting, user, form):
        level = rules.level_of(user)
        return self.render_template(
            "passerelle/collaborators/edit.html", title=user.full_name or user.username,
            cabinet=cabinet, user=user, form=form, level=level,
            is_owner=rules.is_owner(cabinet, user), is_self=user.id == acting.id,
            can_transfer=(rules.is_owner(cabinet, acting) and user.id != acting.id
                          and user.active and level == roles.ADMINISTRATOR),
            clients=rules.cabinet_clients(db.session, cabinet),
            chosen=rules.followed_client_ids(db.session, cabinet, user), **self._common())

    # Followed clients --------------------------------------------------------------
    @expose("/<int:pk>/clients", methods=["POST"])
    @has_access
    def clients(self, pk):
        cabinet = own_cabinet_or_404()
        user = collaborator_or_404(cabinet, pk)
        chosen = submitted_client_ids()
        if chosen is None:
            flash(foreign_client_message(), "danger")
            return self._back_to(user)
        try:
            rules.set_followed_clients(db.session, cabinet, user, chosen, gettext)
            db.session.commit()
        except REFUSALS as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
            return self._back_to(user)
        flash(ngettext("« %(name)s » suit désormais %(num)d client.",
                       "« %(name)s » suit désormais %(num)d clients.",
                       len(chosen), name=user.full_name), "success")
        return self._back_to(user)

    # Access ------------------------------------------------------------------------
    @expose("/<int:pk>/desactiver", methods=["POST"])
    @has_access
    def deactivate(self, pk):
        cabinet = own_cabinet_or_404()
        user = collaborator_or_404(cabinet, pk)
        return self._apply(
            user, lambda: rules.deactivate(db.session, cabinet, own_user(), user, gettext),
            done=_l("« %(name)s » est désactivé : il ne peut plus se connecter et ses "
                    "sessions ouvertes sont fermées."),
            unchanged=_l("« %(name)s » était déjà désactivé."))

    @expose("/<int:pk>/reactiver", methods=["POST"])
    @has_access
    def reactivate(self, pk):
        cabinet = own_cabinet_or_404()
        user = collaborator_or_404(cabinet, pk)
        return self._apply(
            user, lambda: rules.reactivate(cabinet, user, gettext),
            done=_l("« %(name)s » est réactivé : il peut se connecter avec son mot de passe."),
            unchanged=_l("« %(name)s » était déjà actif."))

    # Ownership ---------------------------------------------------------------------
    @expose("/<int:pk>/transferer-propriete", methods=["POST"])
    @has_access
    def transfer(self, pk):
        cabinet = own_cabinet_or_404()
        user = collaborator_or_404(cabinet, pk)
        try:
            rules.transfer_ownership(db.session, self.appbuilder.sm, cabinet, own_user(), user,
                                     gettext)
            db.session.commit()
        except REFUSALS as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
            return self._back_to(user)
        flash(gettext("« %(name)s » est désormais le propriétaire du cabinet ; vous êtes "
                      "administrateur.", name=user.full_name), "success")
        return redirect(url_for(".list"))

    # -------------------------------------------------------------------------------
    @staticmethod
    def _apply(user, change, done, unchanged):
        """Run one rule, commit, say what happened, go back to the user's page."""
        try:
            changed = change()
            db.session.commit()
        except REFUSALS as refusal:
            db.session.rollback()
            flash(str(refusal), "danger")
            return CollaboratorView._back_to(user)
        message = done if changed else unchanged
        flash(str(message) % {"name": user.full_name}, "success" if changed else "info")
        return CollaboratorView._back_to(user)

    @staticmethod
    def _back_to(user):
        return redirect(url_for(".edit", pk=user.id))

    @staticmethod
    def _common():
        return {"role_descriptions": roles.ROLE_DESCRIPTIONS, "owner_role": roles.OWNER,
                "restricted_role": roles.RESTRICTED}
