"""« Votre compte » (issue 7): the logged-in user's own profile and password.

The URLs carry no id: both screens act on the logged-in user only, so nobody
can reach another user's account through them, and the forms have no field for
the username, roles, cabinet or client dossier (anything else POSTed is
ignored, since only the form's own fields are copied to the user).

Changing the password ends every other session of the user: a new session
token is drawn (app.security.sessions) and the security manager's `load_user`
refuses any session holding an older one; the session of the change is logged
in again with the new token so that it stays open.
"""
import re

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, limit
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import gettext, lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.extensions import db
from app.models import AppUser
from app.security.sessions import renew_session_token

PASSWORD_ENDPOINT = "AccountView.password"
# Digits, spaces, dots, dashes and parentheses, with an optional leading « + »;
# at least 6 digits, enough for any real number (French ones have 10).
PHONE_RE = re.compile(r"^\+?[\d\s.()\-]+$")
PHONE_MIN_DIGITS = 6


def own_user():
    """The logged-in AppUser itself (not Flask-Login's proxy): the only account
    these screens ever read or change."""
    return current_user._get_current_object()


def strip(value):
    """Form filter: surrounding spaces are typing noise, never meaningful."""
    return value.strip() if isinstance(value, str) else value


def email_owner_id(email, except_user_id):
    """Id of another user whose email equals `email` regardless of case, or None.

    Users of every cabinet are searched (the tenant scope would hide them, yet the
    database refuses a duplicate all the same); only « taken » is ever told."""
    statement = (select(AppUser.id)
                 .where(func.lower(AppUser.email) == email.lower(), AppUser.id != except_user_id)
                 .limit(1)
                 .execution_options(skip_tenant_scope=True))
    return db.session.scalar(statement)


# Forms -------------------------------------------------------------------------------

class ProfileForm(FlaskForm):
    """« Mon profil »: name, email, phone and job title of the user themselves."""

    first_name = StringField(
        _l("Prénom"), filters=[strip],
        validators=[DataRequired(message=_l("Le prénom est obligatoire.")),
                    Length(max=64, message=_l("64 caractères au plus."))])
    last_name = StringField(
        _l("Nom"), filters=[strip],
        validators=[DataRequired(message=_l("Le nom est obligatoire.")),
                    Length(max=64, message=_l("64 caractères au plus."))])
    email = EmailField(
        _l("Adresse e-mail"), filters=[strip],
        validators=[DataRequired(message=_l("L'adresse e-mail est obligatoire.")),
                    Length(max=320, message=_l("320 caractères au plus.")),
                    Email(message=_l("Adresse e-mail invalide."))],
        description=_l("Elle doit être propre à votre compte : deux utilisateurs ne peuvent "
                       "pas partager la même adresse."),
        render_kw={"autocomplete": "email"})
    phone = StringField(
        _l("Téléphone"), filters=[strip],
        validators=[Optional(), Length(max=30, message=_l("30 caractères au plus."))],
        description=_l("Facultatif : chiffres, espaces, points, tirets, parenthèses et « + » "
                       "en tête, par exemple 01 23 45 67 89 ou +33 1 23 45 67 89."),
        render_kw={"autocomplete": "tel"})
    job_title = StringField(
        _l("Fonction"), filters=[strip],
        validators=[Length(max=100, message=_l("100 caractères au plus."))],
        description=_l("Facultatif : par exemple « Expert-comptable » ou « Gérant »."))

    def __init__(self, user, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def validate_email(self, field):
        if field.data and email_owner_id(field.data, self.user.id) is not None:
            raise ValidationError(taken_email_message())

    def validate_phone(self, field):
        digits = sum(char.isdigit() for char in field.data or "")
        if field.data and (not PHONE_RE.match(field.data) or digits < PHONE_MIN_DIGITS):
            raise ValidationError(gettext(
                "Numéro de téléphone invalide : chiffres, espaces, points, tirets, "
                "parenthèses et « + » en tête seulement, %(n)d chiffres au moins.",
                n=PHONE_MIN_DIGITS))

    def validate_job_title(self, field):
        field.data = field.data or None

    def apply_to(self, user):
        """Copy this form's fields, and nothing else, onto `user`."""
        user.first_name = self.first_name.data
        user.last_name = self.last_name.data
        user.email = self.email.data
        user.phone = self.phone.data or None
        user.job_title = self.job_title.data


def taken_email_message():
    return gettext("Cette adresse e-mail est déjà utilisée par un autre compte.")


class PasswordForm(FlaskForm):
    """« Mot de passe »: the current one proves it is the user at the keyboard, and
    the new one follows the same policy as FAB's own password forms
    (FAB_PASSWORD_COMPLEXITY_VALIDATOR, i.e. app.security.passwords)."""

    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(message=_l("Saisissez votre mot de passe actuel."))],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(message=_l("Saisissez le nouveau mot de passe.")),
                    PasswordComplexityValidator()],
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        _l("Confirmation"),
        validators=[DataRequired(message=_l("Saisissez à nouveau le nouveau mot de passe.")),
                    EqualTo("new_password",
                            message=_l("La confirmation ne correspond pas au nouveau mot de "
                                       "passe."))],
        description=_l("Saisissez à nouveau le nouveau mot de passe."),
        render_kw={"autocomplete": "new-password"})

    def __init__(self, user, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.new_password.description = policy_hint()

    def validate_current_password(self, field):
        if not is_current_password(self.user, field.data):
            raise ValidationError(gettext("Le mot de passe actuel est incorrect."))

    def validate_new_password(self, field):
        if field.data and is_current_password(self.user, field.data):
            raise ValidationError(gettext(
                "Le nouveau mot de passe doit être différent du mot de passe actuel."))


def is_current_password(user, password):
    """True when `password` is the user's stored one (checked as FAB's login does)."""
    return bool(user.password and password) and check_password_hash(user.password, password)


def policy_hint():
    """The rule the new password must follow, said before the user types it
    (nothing when the policy is turned off by configuration)."""
    if not current_app.config.get("FAB_PASSWORD_COMPLEXITY_ENABLED", False):
        return None
    return gettext("Au moins %(n)d caractères, dont une minuscule, une majuscule, un chiffre "
                   "et un caractère spécial.",
                   n=current_app.config.get("PASSWORD_MIN_LENGTH", 12))


# Rate limit of the password form ---------------------------------------------------------

def password_attempt_key():
    """Attempts are counted per user (and per address for anyone not logged in), so
    that guessing the current password from a stolen session is slowed whatever
    the address it comes from."""
    if current_user.is_authenticated:
        return f"compte-mot-de-passe:{current_user.id}"
    return f"compte-mot-de-passe:{get_remote_address()}"


def password_limit_exempt():
    """FAB applies a view's limits to its whole blueprint: only the POSTs of the
    password form count, and only when login is rate limited too."""
    return (request.endpoint != PASSWORD_ENDPOINT
            or not current_app.config.get("AUTH_RATE_LIMITED", False))


# The view ----------------------------------------------------------------------------

class AccountView(BaseView):
    route_base = "/compte"
    default_view = "profile"
    class_permission_name = "AccountView"
    method_permission_name = {"profile": "profile", "password": "password"}

    @expose("/profil", methods=["GET", "POST"])
    @has_access
    def profile(self):
        user = own_user()
        form = ProfileForm(user, obj=user)
        if form.validate_on_submit():
            if self._save_profile(form, user):
                flash(gettext("Profil enregistré."), "success")
                return redirect(url_for(".profile"))
        return self.render_template("passerelle/account/profile.html",
                                    title=gettext("Mon profil"), form=form, user=user)

    @staticmethod
    def _save_profile(form, user):
        """Commit the form; False (error next to the email) when the same address was
        saved meanwhile by someone else and the database refused it."""
        form.apply_to(user)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.email.errors = [taken_email_message()]
            return False
        return True

    @expose("/mot-de-passe", methods=["GET", "POST"])
    @limit(lambda: current_app.config["AUTH_RATE_LIMIT"], key_func=password_attempt_key,
           methods=["POST"], exempt_when=password_limit_exempt)
    @has_access
    def password(self):
        user = own_user()
        form = PasswordForm(user)
        if form.validate_on_submit():
            self._change_password(user, form.new_password.data)
            flash(gettext("Mot de passe modifié. Vos autres sessions ont été fermées."),
                  "success")
            return redirect(url_for(".profile"))
        return self.render_template("passerelle/account/password.html",
                                    title=gettext("Mot de passe"), form=form, user=user)

    def _change_password(self, user, new_password):
        """New hash and new session token, then this session logs in again with the
        token: it stays open while every other one is refused from now on."""
        user.password = self.appbuilder.sm.hash_password(new_password)
        renew_session_token(user)
        db.session.commit()
        login_user(user)
