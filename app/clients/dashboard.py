"""The dashboard's figures (home page after login), as plain SQL.

Every function takes a session and `visible`, the SQL criteria selecting the
clients the user may see (`app.security.tenancy.visible_criteria(Client, scope)`),
so no figure can be computed without the tenant rule: an Accès restreint user's
counts cover their assigned clients only.

The number of queries is constant: it grows neither with the number of
collaborators (one grouped query) nor with the number of pinned cards (the
cards, then their collaborators in one batch), nor with the number of documents
(the month's invoicing figures are one aggregate query).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from flask_appbuilder.security.sqla.models import (
    Role, assoc_group_role, assoc_user_group, assoc_user_role,
)
from sqlalchemy import case, func, literal_column, or_, select, union_all
from sqlalchemy.orm import selectinload

from app.invoicing.reporting import DashboardInvoicing, dashboard_invoicing
from app.models import AppUser, Cabinet, Client, DashboardPin, client_collaborator
from app.security import roles

RECENT_CONNECTIONS = 5
# Owner first, then by decreasing level.
STAFF_RANK = {name: rank for rank, name in enumerate(roles.STAFF_ROLES)}


@dataclass(frozen=True)
class Collaborator:
    id: int
    first_name: str
    last_name: str
    email: str
    job_title: Optional[str]
    level: str          # the role name, in French (app.security.roles)
    active: bool
    clients: int        # visible clients this person follows

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def rank(self):
        return STAFF_RANK[self.level]

    @property
    def initials(self):
        return "".join(part[:1] for part in (self.first_name, self.last_name)).upper() or "?"


@dataclass(frozen=True)
class RecentConnection:
    id: int
    name: str
    last_login_at: dt.datetime


@dataclass(frozen=True)
class Activity:
    total: int
    never_connected: int
    created_this_month: int
    without_dossier: int
    recent: list


@dataclass(frozen=True)
class PinnedCard:
    id: int
    name: str
    dossier_code: Optional[str]
    dossier_label: Optional[str]
    pack: str
    last_login_at: Optional[dt.datetime]
    collaborators: list  # full names, by last name

    @property
    def has_dossier(self):
        return bool(self.dossier_code)


# The same definitions as the client list's filters (app/clients/listing.py), so
# that a figure and the list it links to always agree.

def month_start(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.date().replace(day=1), dt.time.min)


def dossier_missing():
    return or_(Client.dossier_code.is_(None), Client.dossier_code == "")


def _count_where(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def client_activity(session, visible, now: dt.datetime,
                    recent_limit: int = RECENT_CONNECTIONS) -> Activity:
    """Counts over the visible clients (one query) and the latest connections (one
    query, skipped when `recent_limit` is 0)."""
    total, never, created, missing = session.execute(
        select(
            func.count(Client.id),
            _count_where(Client.last_login_at.is_(None)),
            _count_where(Client.created_at >= month_start(now)),
            _count_where(dossier_missing()),
        ).where(visible)
    ).one()
    recent = [] if recent_limit <= 0 else [
        RecentConnection(id=row.id, name=row.name, last_login_at=row.last_login_at)
        for row in session.execute(
            select(Client.id, Client.name, Client.last_login_at)
            .where(visible, Client.last_login_at.is_not(None))
            .order_by(Client.last_login_at.desc(), Client.id.desc())
            .limit(recent_limit)
        )
    ]
    return Activity(total=int(total), never_connected=int(never),
                    created_this_month=int(created), without_dossier=int(missing),
                    recent=recent)


def _held_roles():
    """(user_id, role name) for every role a user holds, directly or through a group."""
    role = Role.__table__
    direct = (select(assoc_user_role.c.user_id.label("user_id"), role.c.name.label("role"))
              .select_from(assoc_user_role.join(role, role.c.id == assoc_user_role.c.role_id)))
    through_group = (
        select(assoc_user_group.c.user_id.label("user_id"), role.c.name.label("role"))
        .select_from(
            assoc_user_group
            .join(assoc_group_role, assoc_group_role.c.group_id == assoc_user_group.c.group_id)
            .join(role, role.c.id == assoc_group_role.c.role_id)))
    return union_all(direct, through_group).subquery("held_role")


def collaborators(session, cabinet_id: int, visible) -> list[Collaborator]:
    """The cabinet's staff (users of the cabinet holding a staff role), owner first,
    each with the number of visible clients assigned to them. One query."""
    held = _held_roles()
    followed = (
        select(client_collaborator.c.user_id.label("user_id"),
               func.count(client_collaborator.c.client_id).label("clients"))
        .select_from(client_collaborator.join(Client, Client.id == client_collaborator.c.client_id))
        # Only this cabinet's clients: the count must not read every firm's assignments.
        .where(visible, Client.cabinet_id == cabinet_id)
        .group_by(client_collaborator.c.user_id)
        .subquery("followed"))
    rows = session.execute(
        select(AppUser.id, AppUser.first_name, AppUser.last_name, AppUser.email,
               AppUser.job_title, AppUser.active, held.c.role,
               func.coalesce(followed.c.clients, literal_column("0")).label("clients"))
        .join(held, held.c.user_id == AppUser.id)
        .outerjoin(followed, followed.c.user_id == AppUser.id)
        .where(AppUser.cabinet_id == cabinet_id, held.c.role.in_(roles.STAFF_ROLES))
    )
    people = {}
    for row in rows:
        known = people.get(row.id)
        # Several staff roles (directly and through a group): the highest one is the level.
        if known is None or STAFF_RANK[row.role] < STAFF_RANK[known.level]:
            people[row.id] = Collaborator(
                id=row.id, first_name=row.first_name or "", last_name=row.last_name or "",
                email=row.email, job_title=row.job_title, level=row.role,
                active=bool(row.active), clients=int(row.clients))
    return sorted(people.values(), key=lambda person: (
        STAFF_RANK[person.level], not person.active, person.last_name.lower(),
        person.first_name.lower(), person.id))


def pinned_cards(session, user_id: int, visible) -> list[PinnedCard]:
    """The user's pinned dossiers among the visible clients, by name: one query for
    the cards and one for all their collaborators, whatever their number."""
    clients = session.scalars(
        select(Client)
        .join(DashboardPin, DashboardPin.client_id == Client.id)
        .where(DashboardPin.user_id == user_id, visible)
        .order_by(func.lower(Client.name), Client.id)
        .options(selectinload(Client.collaborators))
    ).all()
    return [
        PinnedCard(id=client.id, name=client.name, dossier_code=client.dossier_code,
                   dossier_label=client.dossier_label, pack=client.pack,
                   last_login_at=client.last_login_at,
                   collaborators=[person.full_name for person in client.collaborators])
        for client in clients
    ]


def platform_summary(session) -> dict:
    """For the platform operator: how many cabinets and staff users in all (one query)."""
    held = _held_roles()
    cabinets = select(func.count(Cabinet.id)).scalar_subquery()
    staff = (select(func.count(func.distinct(held.c.user_id)))
             .select_from(held.join(AppUser.__table__, AppUser.__table__.c.id == held.c.user_id))
             .where(held.c.role.in_(roles.STAFF_ROLES),
                    AppUser.__table__.c.cabinet_id.is_not(None))
             .scalar_subquery())
    row = session.execute(select(cabinets.label("cabinets"), staff.label("staff"))).one()
    return {"cabinets": int(row.cabinets), "staff": int(row.staff)}


def invoicing_this_month(session, visible, today: dt.date) -> DashboardInvoicing:
    """This month's documents (count, amounts HT/TTC, credit notes apart) across the
    visible clients (one query). The clients come from `visible`, the same tenant
    criteria as every other figure here: for Accès restreint, their assigned
    clients; for the platform operator, every client."""
    return dashboard_invoicing(session, select(Client.id).where(visible), today)
