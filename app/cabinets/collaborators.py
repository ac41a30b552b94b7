"""« Réglages du cabinet > Collaborateurs »: the rules for a cabinet's staff.

Pure rules, no Flask: every function takes the SQLAlchemy session (and, when it
must find roles or hash a password, FAB's security manager) and a `gettext`-like
callable for its French messages. A refusal raises CollaboratorRuleError before
anything is changed; the functions never commit, the caller does (or rolls back).

Who may call them (Propriétaire and Administrateur) is decided by the view's
permissions; what is checked here is what no role may do: touch the
Propriétaire's level or access, give the Propriétaire role, deactivate oneself,
reach a user or a client of another cabinet.
"""
from sqlalchemy import func, or_, select

from app.clients.staff import staff_members
from app.models import AppUser, Client, client_collaborator
from app.security import roles
from app.security.cabinets import add_staff_user, check_owner_rule
from app.security.sessions import renew_session_token


class CollaboratorRuleError(ValueError):
    """A change a cabinet may not make to its collaborators (French message)."""


# Reading ----------------------------------------------------------------------------

def level_of(user):
    """The user's widest staff role (STAFF_ROLES is ordered), or None."""
    names = user.role_names
    return next((role for role in roles.STAFF_ROLES if role in names), None)


def is_owner(cabinet, user):
    return cabinet.owner_id is not None and cabinet.owner_id == user.id


def cabinet_staff(session, cabinet):
    """[(user, level)] of the cabinet's staff: its Propriétaire first (as recorded on
    the cabinet, whatever the roles say), then by last name, first name."""
    members = staff_members(session, AppUser.cabinet_id == cabinet.id)
    return sorted(members, key=lambda member: not is_owner(cabinet, member[0]))


def find_collaborator(session, cabinet, user_id):
    """A staff user of this cabinet, or None: client users and platform admins have
    no cabinet, other cabinets' users another one, and a user of the cabinet
    holding no staff role is nobody's collaborator."""
    user = session.scalars(
        select(AppUser).where(AppUser.id == user_id, AppUser.cabinet_id == cabinet.id)
    ).first()
    if user is None or level_of(user) is None:
        return None
    return user


def followed_counts(session, cabinet):
    """{user id: number of the cabinet's clients they follow}, in one query."""
    rows = session.execute(
        select(client_collaborator.c.user_id, func.count())
        .join(Client, Client.id == client_collaborator.c.client_id)
        .where(Client.cabinet_id == cabinet.id)
        .group_by(client_collaborator.c.user_id)
    )
    return {user_id: count for user_id, count in rows}


def followed_client_ids(session, cabinet, user):
    return set(session.scalars(
        select(client_collaborator.c.client_id)
        .join(Client, Client.id == client_collaborator.c.client_id)
        .where(client_collaborator.c.user_id == user.id, Client.cabinet_id == cabinet.id)
    ))


def cabinet_clients(session, cabinet):
    """The cabinet's clients to choose from: (id, name, dossier code) rows, by name
    (columns only: a cabinet may have thousands of them)."""
    return session.execute(
        select(Client.id, Client.name, Client.dossier_code)
        .where(Client.cabinet_id == cabinet.id)
        .order_by(Client.name, Client.id)
    ).all()


# Levels -----------------------------------------------------------------------------

def check_assignable_level(level, gettext):
    """Only the three levels a cabinet gives; Propriétaire passes by transfer only."""
    if level == roles.OWNER:
        raise CollaboratorRuleError(gettext(
            "Le niveau Propriétaire ne se donne pas : le propriétaire actuel peut transférer "
            "la propriété du cabinet à un administrateur."))
    if level not in roles.ASSIGNABLE_STAFF_ROLES:
        raise CollaboratorRuleError(gettext("Choisissez un niveau dans la liste."))


def change_level(session, security_manager, cabinet, acting_user, user, level, gettext):
    """Give `user` the staff level `level`; False when it already is theirs."""
    check_assignable_level(level, gettext)
    check_same_cabinet(cabinet, user, gettext)
    if is_owner(cabinet, user):
        raise CollaboratorRuleError(gettext(
            "Le niveau du propriétaire du cabinet ne change pas."))
    if user.id == acting_user.id:
        # An administrator demoting themselves would lose this very screen.
        raise CollaboratorRuleError(gettext(
            "Vous ne pouvez pas changer votre propre niveau : demandez-le au propriétaire "
            "du cabinet ou à un autre administrateur."))
    if level_of(user) == level and _direct_staff_roles(user) == [level]:
        return False
    check_owner_rule(session, user, {level})
    _set_staff_role(security_manager, user, level)
    return True


def _direct_staff_roles(user):
    return [role.name for role in user.roles if role.name in roles.STAFF_ROLES]


def _set_staff_role(security_manager, user, level):
    """Replace the user's staff role(s) by `level`, keeping any other role."""
    others = [role for role in user.roles if role.name not in roles.STAFF_ROLES]
    user.roles = others + [security_manager.find_role(level)]


def check_same_cabinet(cabinet, user, gettext):
    if user.cabinet_id != cabinet.id:
        raise CollaboratorRuleError(gettext("Ce collaborateur n'appartient pas à votre cabinet."))


# Access -----------------------------------------------------------------------------

def deactivate(session, cabinet, acting_user, user, gettext):
    """Close the user's access: they can no longer log in, and their open sessions
    end (a new session token). False when they were already deactivated."""
    check_same_cabinet(cabinet, user, gettext)
    if is_owner(cabinet, user):
        raise CollaboratorRuleError(gettext(
            "Le propriétaire du cabinet ne peut pas être désactivé."))
    if user.id == acting_user.id:
        raise CollaboratorRuleError(gettext(
            "Vous ne pouvez pas désactiver votre propre compte."))
    if not user.active:
        return False
    user.active = False
    renew_session_token(user)
    check_owner_rule(session, user)
    return True


def reactivate(cabinet, user, gettext):
    """Open the user's access again (with their current password). False when it
    was open."""
    check_same_cabinet(cabinet, user, gettext)
    if user.active:
        return False
    user.active = True
    return True


# Ownership --------------------------------------------------------------------------

def transfer_ownership(session, security_manager, cabinet, acting_user, new_owner, gettext):
    """The Propriétaire hands the cabinet to one of its active Administrateurs and
    becomes an Administrateur. The cabinet's owner moves first, so that
    check_owner_rule sees the new state (one owner, holding the role) for both."""
    old_owner = acting_user
    if not is_owner(cabinet, old_owner):
        raise CollaboratorRuleError(gettext(
            "Seul le propriétaire du cabinet peut en transférer la propriété."))
    check_same_cabinet(cabinet, new_owner, gettext)
    if new_owner.id == old_owner.id:
        raise CollaboratorRuleError(gettext("Vous êtes déjà le propriétaire du cabinet."))
    if not new_owner.active or level_of(new_owner) != roles.ADMINISTRATOR:
        raise CollaboratorRuleError(gettext(
            "La propriété du cabinet ne se transfère qu'à un administrateur actif du cabinet. "
            "Donnez-lui d'abord le niveau Administrateur."))
    cabinet.owner = new_owner
    session.flush()
    _set_staff_role(security_manager, old_owner, roles.ADMINISTRATOR)
    _set_staff_role(security_manager, new_owner, roles.OWNER)
    check_owner_rule(session, old_owner)
    check_owner_rule(session, new_owner)
    session.flush()


# Followed clients -------------------------------------------------------------------

def cabinet_clients_by_id(session, cabinet, client_ids, gettext):
    """The cabinet's clients with these ids; refused as a whole if any id is not
    one of them (another cabinet's, or none): nothing is then changed."""
    ids = set(client_ids)
    if not ids:
        return []
    clients = session.scalars(
        select(Client).where(Client.id.in_(ids), Client.cabinet_id == cabinet.id)
    ).all()
    if len(clients) != len(ids):
        raise CollaboratorRuleError(gettext(
            "Un des clients choisis n'appartient pas à ce cabinet : rien n'a été enregistré."))
    return clients


def set_followed_clients(session, cabinet, user, client_ids, gettext):
    """The user follows exactly these clients of the cabinet from now on.
    Returns (number added, number removed)."""
    check_same_cabinet(cabinet, user, gettext)
    wanted = {client.id for client in cabinet_clients_by_id(session, cabinet, client_ids,
                                                            gettext)}
    touched = session.scalars(
        select(Client).where(
            Client.cabinet_id == cabinet.id,
            or_(Client.id.in_(wanted), Client.collaborators.any(AppUser.id == user.id)))
    ).all()
    added = removed = 0
    for client in touched:
        follows = any(member.id == user.id for member in client.collaborators)
        if client.id in wanted and not follows:
            client.collaborators.append(user)
            added += 1
        elif client.id not in wanted and follows:
            client.collaborators.remove(user)
            removed += 1
    return added, removed


# Creation ---------------------------------------------------------------------------

def create_collaborator(session, security_manager, cabinet, level, *, username, email,
                        first_name, last_name, password, gettext, phone=None, job_title=None,
                        client_ids=()):
    """A new active staff user of the cabinet, following `client_ids`. Uniqueness of
    the username and email is the form's to tell (the database refuses it anyway)."""
    check_assignable_level(level, gettext)
    cabinet_clients_by_id(session, cabinet, client_ids, gettext)  # refuse before creating
    user = add_staff_user(
        security_manager, session, cabinet, level, username=username, email=email,
        first_name=first_name, last_name=last_name, password=password, phone=phone,
        job_title=job_title)
    set_followed_clients(session, cabinet, user, client_ids, gettext)
    return user
