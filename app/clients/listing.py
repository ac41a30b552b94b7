"""« Liste clients »: search, filters, sorting, columns and paging as plain SQL.

`ListQuery.from_args` reads the list's URL arguments (French-free, validated),
`fetch_page` returns the count and one page of clients. The caller passes the
tenant criteria, so a list can never be built without them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Optional

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import selectinload

from app.clients.search import like_pattern
from app.messages import N_
from app.models import PACKS, Client, client_collaborator



# key -> (French label, sortable column or None). Order = default display order.
COLUMNS = {
    "name": (N_("Raison sociale"), Client.name),
    "siren": (N_("SIREN"), Client.siren),
    "dossier": (N_("Dossier"), Client.dossier_code),
    "email": (N_("E-mail du compte"), Client.email),
    "pack": (N_("Pack"), Client.pack),
    "collaborators": (N_("Collaborateurs"), None),
    "created_at": (N_("Créé le"), Client.created_at),
    "last_login_at": (N_("Dernière connexion"), Client.last_login_at),
    "export_status": (N_("Export"), None),
    "last_export": (N_("Dernier export"), None),
}
DEFAULT_COLUMNS = list(COLUMNS)
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 25
MODES = ("pages", "scroll")

LAST_LOGIN_CHOICES = {
    "today": N_("Aujourd'hui"),
    "7d": N_("7 derniers jours"),
    "30d": N_("30 derniers jours"),
    "over90": N_("Il y a plus de 90 jours"),
    "never": N_("Jamais connecté"),
    "range": N_("Entre deux dates"),
}
CREATED_CHOICES = {"month": N_("Créés ce mois-ci")}
DOSSIER_CHOICES = {"missing": N_("Dossier non relié"), "linked": N_("Dossier relié")}
UNASSIGNED = "none"


class InvalidListArgument(ValueError):
    """A list argument that cannot be understood. `message` is a catalogue msgid
    (French), `params` its placeholders: the view translates it."""

    def __init__(self, message, **params):
        super().__init__(message % params)
        self.message, self.params = message, params


def _date(value, label):
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidListArgument("%(label)s : date invalide « %(value)s » (attendu AAAA-MM-JJ).",
                                  label=label, value=value[:20])


def _positive_int(value, label, default=None):
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidListArgument("%(label)s : nombre entier attendu, « %(value)s » reçu.",
                                  label=label, value=str(value)[:20])
    if number < 1:
        raise InvalidListArgument("%(label)s : nombre positif attendu.", label=label)
    return number


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    last_login: str = ""
    login_from: Optional[dt.date] = None
    login_to: Optional[dt.date] = None
    collaborators: tuple = ()          # user ids
    unassigned: bool = False           # « non attribué »
    packs: tuple = ()
    created: str = ""
    dossier: str = ""
    sort: str = "created_at"
    direction: str = "desc"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_args(cls, args, default_page_size=DEFAULT_PAGE_SIZE):
        """`args` is a MultiDict-like object (getlist/get)."""
        last_login = args.get("last_login", "")
        if last_login and last_login not in LAST_LOGIN_CHOICES:
            raise InvalidListArgument("Filtre de connexion inconnu : « %(value)s ».",
                                      value=last_login[:20])
        collaborators, unassigned = [], False
        for value in args.getlist("collaborator"):
            if value == UNASSIGNED:
                unassigned = True
            else:
                collaborators.append(_positive_int(value, N_("Collaborateur")))
        packs = tuple(args.getlist("pack"))
        unknown = [p for p in packs if p not in PACKS]
        if unknown:
            raise InvalidListArgument("Pack inconnu : « %(value)s ».", value=unknown[0][:20])
        created, dossier = args.get("created", ""), args.get("dossier", "")
        if created and created not in CREATED_CHOICES:
            raise InvalidListArgument("Filtre de création inconnu : « %(value)s ».", value=created[:20])
        if dossier and dossier not in DOSSIER_CHOICES:
            raise InvalidListArgument("Filtre de dossier inconnu : « %(value)s ».", value=dossier[:20])
        sort = args.get("sort", "created_at")
        if sort not in COLUMNS or COLUMNS[sort][1] is None:
            raise InvalidListArgument("Tri impossible sur « %(value)s ».", value=sort[:20])
        direction = args.get("dir", "desc" if sort in ("created_at", "last_login_at") else "asc")
        if direction not in ("asc", "desc"):
            raise InvalidListArgument("Sens de tri attendu : asc ou desc.")
        page_size = _positive_int(args.get("size"), N_("Lignes par page"), default_page_size)
        if page_size not in PAGE_SIZES:
            raise InvalidListArgument("Lignes par page : choisissez %(sizes)s.",
                                      sizes=", ".join(map(str, PAGE_SIZES)))
        query = cls(
            q=(args.get("q") or "").strip()[:100], last_login=last_login,
            login_from=_date(args.get("from"), N_("Connexion depuis le")),
            login_to=_date(args.get("to"), N_("Connexion jusqu'au")),
            collaborators=tuple(sorted(set(collaborators))), unassigned=unassigned,
            packs=packs, created=created, dossier=dossier, sort=sort, direction=direction,
            page=_positive_int(args.get("page"), N_("Page"), 1), page_size=page_size,
        )
        if query.login_from and query.login_to and query.login_from > query.login_to:
            raise InvalidListArgument("La date de début doit précéder la date de fin.")
        return query

    def with_page(self, page):
        return replace(self, page=page)


def _start_of(day):
    return dt.datetime.combine(day, dt.time.min)


def filter_criteria(query: ListQuery, now: dt.datetime):
    """SQL conditions for the search box and every filter of `query`."""
    conditions = []
    if query.q:
        conditions.append(Client.search_text.like(like_pattern(query.q), escape="\\"))
    today = _start_of(now.date())
    if query.last_login == "today":
        conditions.append(Client.last_login_at >= today)
    elif query.last_login == "7d":
        conditions.append(Client.last_login_at >= today - dt.timedelta(days=6))
    elif query.last_login == "30d":
        conditions.append(Client.last_login_at >= today - dt.timedelta(days=29))
    elif query.last_login == "over90":
        conditions.append(Client.last_login_at < now - dt.timedelta(days=90))
    elif query.last_login == "never":
        conditions.append(Client.last_login_at.is_(None))
    elif query.last_login == "range":
        if query.login_from:
            conditions.append(Client.last_login_at >= _start_of(query.login_from))
        if query.login_to:
            conditions.append(Client.last_login_at < _start_of(query.login_to + dt.timedelta(days=1)))
    followed = []
    if query.collaborators:
        followed.append(exists().where(client_collaborator.c.client_id == Client.id,
                                       client_collaborator.c.user_id.in_(query.collaborators)))
    if query.unassigned:
        followed.append(not_(exists().where(client_collaborator.c.client_id == Client.id)))
    if followed:
        conditions.append(or_(*followed))
    if query.packs:
        conditions.append(Client.pack.in_(query.packs))
    if query.created == "month":
        conditions.append(Client.created_at >= _start_of(now.date().replace(day=1)))
    if query.dossier == "missing":
        conditions.append(or_(Client.dossier_code.is_(None), Client.dossier_code == ""))
    elif query.dossier == "linked":
        conditions.append(and_(Client.dossier_code.is_not(None), Client.dossier_code != ""))
    return conditions


# Columns that may be empty: their empty values go last whatever the direction.
NULLABLE_SORTS = {"siren", "dossier", "last_login_at"}


def _ordering(query: ListQuery):
    """ORDER BY that an index (cabinet_id, column, id) can serve, both ways."""
    column = COLUMNS[query.sort][1]
    descending = query.direction == "desc"
    ordered = column.desc() if descending else column.asc()
    if query.sort in NULLABLE_SORTS:
        ordered = ordered.nulls_last()
    return [ordered, Client.id.desc() if descending else Client.id.asc()]


def fetch_page(session, visible, query: ListQuery, now: dt.datetime):
    """(count, clients of the page) — three queries whatever the page size:
    the count, the page, and the page's collaborators."""
    conditions = [visible, *filter_criteria(query, now)]
    count = session.scalar(select(func.count(Client.id)).where(*conditions))
    statement = (select(Client).where(*conditions).order_by(*_ordering(query))
                 .options(selectinload(Client.collaborators))
                 .offset((query.page - 1) * query.page_size).limit(query.page_size))
    return count, list(session.scalars(statement))


def page_count(count, page_size):
    return max(1, -(-count // page_size))
