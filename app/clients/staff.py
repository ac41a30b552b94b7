"""The staff of a cabinet: users holding a staff role, directly or through a group."""
from flask_appbuilder.security.sqla.models import Group
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models import AppUser
from app.security.roles import OWNER, STAFF_ROLES


def staff_members(session, *conditions):
    """[(user, level)] for the users matching `conditions` who hold a staff role,
    `level` being their widest one (STAFF_ROLES is ordered); roles and groups are
    loaded in one batch, whatever the number of users. Owner first, then by name."""
    users = session.scalars(
        select(AppUser).where(AppUser.cabinet_id.is_not(None), *conditions)
        .options(selectinload(AppUser.roles),
                 selectinload(AppUser.groups).selectinload(Group.roles))
        .order_by(AppUser.last_name, AppUser.first_name, AppUser.id)
    ).all()
    members = []
    for user in users:
        held = [role for role in STAFF_ROLES if role in user.role_names]
        if held:
            members.append((user, held[0]))
    return sorted(members, key=lambda member: member[1] != OWNER)
