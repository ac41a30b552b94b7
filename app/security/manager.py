"""Passerelle's security manager: FAB's, with our user model and rules."""
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, UserDBModelView, UserGroupModelView
from flask_babel import gettext, lazy_gettext as _l

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from app.models import AppUser
from app.models.mixins import utcnow
from app.security import roles
from app.security.cabinets import OwnerRuleError, check_owner_rule
from app.security.tenancy import reset_scope

EXTRA_USER_COLUMNS = ["cabinet", "client", "phone", "job_title"]


class PasserelleUserDBModelView(UserDBModelView):
    """The platform operator's user screen (Security menu, Admin only)."""

    add_columns = UserDBModelView.add_columns[:-2] + EXTRA_USER_COLUMNS + ["password", "conf_password"]
    edit_columns = UserDBModelView.edit_columns + EXTRA_USER_COLUMNS
    list_columns = ["first_name", "last_name", "username", "email", "cabinet", "roles", "active"]
    label_columns = dict(
        UserDBModelView.label_columns,
        cabinet=_l("Cabinet"), client=_l("Dossier client"), phone=_l("Téléphone"),
        job_title=_l("Fonction"),
    )

    def pre_update(self, item):
        check_owner_rule(self.datamodel.session, item)
        super().pre_update(item)

    def pre_add(self, item):
        check_owner_rule(self.datamodel.session, item)
        super().pre_add(item)

    def pre_delete(self, item):
        check_owner_rule(self.datamodel.session, item, deleting=True)
        super().pre_delete(item)


class PasserelleGroupModelView(UserGroupModelView):
    """Groups may carry staff roles, never a role bound to one tenant."""

    TENANT_BOUND_ROLES = {roles.OWNER, roles.CLIENT}

    def _check_roles(self, item):
        bound = {role.name for role in item.roles} & self.TENANT_BOUND_ROLES
        if bound:
            raise OwnerRuleError(gettext(
                "Un groupe ne peut pas porter le rôle « %(role)s » : il se donne à une personne.",
                role=", ".join(sorted(bound))))

    def pre_add(self, item):
        self._check_roles(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._check_roles(item)
        super().pre_update(item)


class PasserelleAuthDBView(AuthDBView):
    """FAB's login screen, telling the user of a deleted cabinet why they are
    refused (only once their password is right: nobody else learns of it)."""

    @property
    def invalid_login_message(self):
        from flask import g

        return g.get("login_refusal") or AuthDBView.invalid_login_message


class PasserelleSecurityManager(SecurityManager):
    user_model = AppUser
    userdbmodelview = PasserelleUserDBModelView
    groupmodelview = PasserelleGroupModelView
    authdbview = PasserelleAuthDBView

    def auth_user_db(self, username, password):
        """FAB's check, refused beforehand for a user of a deleted cabinet, so that
        such a login is neither recorded as a success nor counted as a failure."""
        from flask import g
        from werkzeug.security import check_password_hash

        user = (self.find_user(username=username) or self.find_user(email=username)
                if username else None)
        if user is not None and user.is_active and user_is_locked_out(user):
            if user.password and password and check_password_hash(user.password, password):
                g.login_refusal = gettext(
                    "Le compte de votre cabinet a été supprimé : vous ne pouvez plus vous "
                    "connecter. Pour toute question, contactez le support.")
            return None
        return super().auth_user_db(username, password)

    @staticmethod
    def hash_password(password):
        """Hash as FAB does for its own forms, so that either can check it."""
        from flask import current_app
        from werkzeug.security import generate_password_hash

        return generate_password_hash(
            password,
            method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
            salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
        )

    def create_limiter(self, app):
        # One limiter per app (its storage set by RATELIMIT_STORAGE_URI), so that
        # two apps in one process never share counters or limits.
        limiter = Limiter(key_func=app.config.get("RATELIMIT_KEY_FUNC", get_remote_address))
        limiter.init_app(app)
        return limiter

    def has_access(self, permission_name, view_name):
        from app.extensions import db
        from app.security.plans import client_may_edit_accounting, plan_permits
        from app.security.space import space_permits

        if view_name in ("MyAccountingPlan", "MyImports") and permission_name == "menu_access" \
                and not client_may_edit_accounting(db.session):
            return False
        if view_name in CABINET_MENU and permission_name == "menu_access" \
                and not _current_user_has_cabinet():
            return False  # the platform Admin has no cabinet to set up: no dead menu
        return (super().has_access(permission_name, view_name)
                and space_permits(permission_name, view_name, db.session)
                and plan_permits(permission_name, view_name))

    def reset_password(self, userid, password):
        """FAB's own password screens (« Réinitialiser mon mot de passe », the
        Security menu) end the user's other sessions too, like « Votre compte »;
        the user's own session, when it is theirs, goes on with the new token."""
        from flask_login import current_user, login_user

        from app.security.sessions import renew_session_token

        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        renew_session_token(user)
        self.session.commit()
        if getattr(current_user, "is_authenticated", False) and current_user.id == user.id:
            login_user(user)

    def load_user(self, pk):
        """The user of a session: refused when the session was opened before the
        last password change (app.security.sessions) or the cabinet was deleted."""
        from app.security.sessions import session_is_current, split_session_id

        user_id, token = split_session_id(pk)
        if user_id is None:
            return None
        user = self.get_user_by_id(user_id)
        if user is None or not user.is_active or not session_is_current(user, token):
            return None
        if user_is_locked_out(user):
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """API tokens carry the id only: checked like a session without token."""
        user_id, _token = split_jwt_identity(jwt_data.get("sub"))
        user = self.get_user_by_id(user_id) if user_id is not None else None
        if user is not None and user.is_active and not user_is_locked_out(user):
            from flask import g

            g.user = user
            return user
        return None

    def update_user_auth_stat(self, user, success=True):
        reset_scope()
        super().update_user_auth_stat(user, success)
        if success and getattr(user, "client_id", None):
            from app.models import Client

            # The login request has no tenant scope yet: read the user's own dossier explicitly.
            client = self.session.get(Client, user.client_id,
                                      execution_options={"skip_tenant_scope": True})
            if client is not None:
                client.last_login_at = utcnow()
                self.session.commit()


CABINET_MENU = ("Réglages du cabinet", "CabinetSettingsView", "CollaboratorView")


def _current_user_has_cabinet() -> bool:
    from flask_login import current_user

    return bool(getattr(current_user, "cabinet_id", None))


def split_jwt_identity(identity):
    from app.security.sessions import split_session_id

    return split_session_id(identity)


def user_is_locked_out(user) -> bool:
    """The users of a deleted cabinet, staff and the users of its clients' dossiers,
    can no longer log in (the data is kept until it is purged)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Cabinet, Client

    if getattr(user, "cabinet_id", None):
        statement = select(Cabinet.deleted_at).where(Cabinet.id == user.cabinet_id)
    elif getattr(user, "client_id", None):
        statement = (select(Cabinet.deleted_at).join(Client, Client.cabinet_id == Cabinet.id)
                     .where(Client.id == user.client_id))
    else:
        return False
    # Read while the user is being loaded: the tenant scope does not exist yet.
    return db.session.scalar(statement.execution_options(skip_tenant_scope=True)) is not None


__all__ = ["OwnerRuleError", "PasserelleSecurityManager"]
