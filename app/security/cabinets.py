"""Cabinet accounts and their one Propriétaire."""
from flask_babel import gettext

from app.models import Cabinet
from app.security import roles


class OwnerRuleError(ValueError):
    """A change would leave a cabinet without exactly one Propriétaire."""


def create_cabinet(security_manager, session, *, name, owner_username, owner_email,
                   owner_first_name, owner_last_name, owner_password, **details):
    """Create a cabinet together with its Propriétaire (one transaction)."""
    cabinet = Cabinet(name=name, **details)
    session.add(cabinet)
    session.flush()
    owner = add_staff_user(
        security_manager, session, cabinet, roles.OWNER,
        username=owner_username, email=owner_email, first_name=owner_first_name,
        last_name=owner_last_name, password=owner_password,
    )
    cabinet.owner = owner
    session.flush()
    return cabinet


def add_staff_user(security_manager, session, cabinet, role_name, *, username, email,
                   first_name, last_name, password, phone=None, job_title=None):
    if role_name not in roles.STAFF_ROLES:
        raise ValueError(role_name)
    if role_name == roles.OWNER and cabinet.owner_id is not None:
        raise OwnerRuleError(gettext("Ce cabinet a déjà un propriétaire."))
    user = security_manager.user_model(
        username=username, email=email, first_name=first_name, last_name=last_name,
        active=True, cabinet_id=cabinet.id, phone=phone, job_title=job_title,
    )
    user.password = security_manager.hash_password(password)
    user.roles = [security_manager.find_role(role_name)]
    session.add(user)
    session.flush()
    return user


def check_owner_rule(session, user, new_role_names=None, deleting=False):
    """Refuse any change that would demote, move or delete a cabinet owner, or
    give the Propriétaire role to a second user."""
    owned = session.query(Cabinet).filter(Cabinet.owner_id == user.id).one_or_none() if user.id else None
    names = set(new_role_names if new_role_names is not None else user.role_names)
    if owned is not None:
        if deleting:
            raise OwnerRuleError(gettext(
                "Le propriétaire du cabinet « %(cabinet)s » ne peut pas être supprimé.",
                cabinet=owned.name))
        if roles.OWNER not in names or user.cabinet_id != owned.id or not user.active:
            raise OwnerRuleError(gettext(
                "Le propriétaire du cabinet « %(cabinet)s » garde son rôle, son cabinet et son accès.",
                cabinet=owned.name))
    elif roles.OWNER in names:
        raise OwnerRuleError(gettext(
            "Un cabinet n'a qu'un seul propriétaire : ce rôle ne s'attribue pas."))
