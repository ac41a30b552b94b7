"""The database side of the imports (issue 8): what the validation must know of
a client's dossier, the preview, the import itself, its record, and the
uploads kept between the preview and the confirmation.

No Flask here: the screens and `flask import-data` pass their `gettext`.

Flow: `preview_import` reads the file (app.imports.reading), reads the dossier
(`build_context`) and validates every row (app.imports.validation); it writes
nothing. `run_import` does the same again — the dossier may have changed since
the preview — in the caller's transaction, then:
- if the plan has any problem, writes nothing and raises `ImportRefused`,
  carrying the outcome and an `ImportRecord` « refused » that is NOT added to
  the session: the caller rolls back, then adds (or merges) the record and
  commits, so that the refused attempt is in the history and nothing else;
- else writes every row with set-based statements and adds the record
  « imported »; the caller commits. Anything that fails while writing (an
  IntegrityError because a record with the same reference or auxiliary code
  was committed by someone else meanwhile: the database's unique constraints
  are the last guard) propagates: the caller rolls back and nothing is written.
A file refused as a whole (`FileRefused`: too big, not a spreadsheet, wrong
columns…) propagates as it is and is not recorded: no row was read.

Writing, with no round trip and no ORM object per row:
1. articles: the new categories in one INSERT (executemany), then one SELECT of
   the client's categories for their ids;
2. the creates, `session.execute(insert(Model).returning(Model.id), rows)` in
   chunks of 5,000 (SQLAlchemy's « insertmanyvalues »: one multi-row INSERT per
   1,000 rows), with `render_nulls`: an empty cell is sent as NULL, so that every
   row has the same columns (without it, the ORM leaves a None out of its row
   and starts a new INSERT at each row whose empty cells differ from the
   previous row's: a statement per row for a file with scattered empty cells);
3. the updates, one Core UPDATE … WHERE id = ? AND client_id = ? per chunk, sent
   as one executemany: every row gives every column the file changes, an empty
   cell as NULL that `COALESCE(new, current)` turns into the current value (an
   empty cell keeps the current value; by primary key within the client);
   On PostgreSQL, 2. and 3. send the rows as one JSON document per 50,000
   rows instead, read by the server (`json_to_recordset`): a create is one
   `WITH inserted AS (INSERT … RETURNING the versioned columns) INSERT INTO
   <table>_version …` (the rows and their history in one statement, no id
   sent back), an update is `UPDATE … FROM json_to_recordset(…)` that leaves
   alone the rows the file does not change; ids go as `= ANY(array)`.
   Binding and parsing thousands of placeholders per statement cost more than
   the writing itself, and psycopg dumps a Python list into an array value by
   value while `json.dumps` is C (benchmarks/import_scale.py);
4. the history of the accounting settings. Contact, Article and ArticleCategory
   are versioned by SQLAlchemy-Continuum (app.models.versioning), which sees
   ORM flushes only: Core and bulk statements are not versioned by it. The
   history screen (app.plans.history) shows the accounts of a client's
   categories, articles and contacts, and an imported account must be there —
   both as « created by this import, by this person, at this time » and as the
   old value when it is next changed on a screen (without a version, the next
   change would show no old value). So the import writes what Continuum would
   have written: one `accounting_transaction` (who, when) and, per chunk, one
   INSERT … SELECT copying the versioned columns of the rows created into
   `<table>_version` (operation « insert »); for updates, only the rows whose
   versioned columns (label, account; name, auxiliary account…) really change,
   as Continuum writes no version for a change of unversioned columns alone
   (SQLite: one SELECT of their current values per chunk before the UPDATE;
   PostgreSQL: in the UPDATE's own statement, old and new values compared by
   the server). An import that versions nothing leaves no transaction.

Statements: a constant number per chunk of 5,000 rows, whatever the number of
rows (the benchmark benchmarks/import_scale.py counts them).

The client row is locked (FOR NO KEY UPDATE on PostgreSQL) for the import's
transaction: two imports into one dossier run one after the other, each
validating against what the previous one wrote; other writes into the dossier
(a screen adding an article) are not blocked.

VAT rates offered to an article (`client_vat_rates`): the rates of the client's
own accounting plan when it has one (exactly what the article form offers);
without a plan of its own, the rates of the product's default plans (« pcg »
and « pcg-dom »: every French rate, as the article form offers then) together
with the rates its existing articles already use. With none at all, the
validation refuses each article with a message saying to add the rates to the
dossier's plan first (app.imports.validation.NO_RATES).
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Optional

from sqlalchemy import (
    BigInteger, SmallInteger, Text, any_, bindparam, cast, column, delete, exists, func,
    insert, literal, or_, select, update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy_continuum import Operation, version_class

from app.imports.columns import KINDS
from app.imports.reading import Limits, Table, french_number, paused_gc, read_file
from app.imports.validation import (
    Context, Plan, article_key, category_key, contact_key, validate,
)
from app.messages import N_, TranslatableError
from app.models.accounting import AccountingPlan, PlanAccount, PlanVatRate
from app.models.clients import Client
from app.models.imports import ImportRecord, ImportUpload
from app.models.invoicing import Article, ArticleCategory, Contact
from app.models.mixins import utcnow
from app.models.versioning import transaction_class

CHUNK = 5000
JSON_CHUNK = 50_000                  # rows per statement when rows go as JSON
FILE_NAME_MAX = 255
TOKEN_BYTES = 32                     # secrets.token_urlsafe(32): 43 characters
MODELS = {"contacts": Contact, "articles": Article}

REFUSED = N_("Import refusé : %(lines)d ligne(s) sur %(total)d comporte(nt) %(problems)d "
             "problème(s). Rien n'a été écrit.")
UNKNOWN_KIND = N_("Type d'import inconnu : « %(kind)s » (contacts ou articles).")


class ImportRefused(TranslatableError):
    """The file has problems: nothing was written. `outcome` holds the table and
    the plan (every problem); `record` is the « refused » ImportRecord, not added
    to the session — the caller adds it after rolling back."""

    def __init__(self, outcome: "ImportOutcome"):
        self.outcome = outcome
        self.record = outcome.record
        plan = outcome.plan
        super().__init__(REFUSED, lines=len(plan.rejected_lines), total=len(outcome.table.rows),
                         problems=len(plan.problems))


@dataclass
class ImportOutcome:
    """What an import read (`table`), decided (`plan`) and, once run, recorded."""
    table: Table
    plan: Plan
    record: Optional[ImportRecord] = None

    @property
    def ok(self) -> bool:
        return self.plan.ok

    @property
    def total(self) -> int:
        return len(self.table.rows)

    @property
    def created(self) -> int:
        return len(self.plan.creates)

    @property
    def updated(self) -> int:
        return len(self.plan.updates)

    @property
    def rejected(self) -> int:
        return len(self.plan.rejected_lines)


def _kind(kind_code: str):
    kind = KINDS.get(kind_code)
    if kind is None:
        raise TranslatableError(UNKNOWN_KIND, kind=kind_code)
    return kind


def _client_id(client) -> int:
    return client if isinstance(client, int) else client.id


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _rate(value) -> Decimal:
    """A rate read from Numeric(5, 2) (SQLite may give a float) → Decimal('5.50')."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def recent_imports(session, client_id: int, limit: int) -> list:
    """The newest import records of a dossier, newest first."""
    return session.scalars(
        select(ImportRecord).where(ImportRecord.client_id == client_id)
        .order_by(ImportRecord.created_at.desc(), ImportRecord.id.desc())
        .limit(limit)).all()


# What the validation must know of the dossier ---------------------------------------------

def client_plan_row(session, client_id: int):
    """(id, account_length) of the client's own accounting plan, or None."""
    return session.execute(select(AccountingPlan.id, AccountingPlan.account_length).where(
        AccountingPlan.client_id == client_id)).first()


def client_vat_rates(session, client_id: int, plan_id: Optional[int] = None,
                     has_plan: Optional[bool] = None) -> frozenset:
    """The VAT rates an imported article may have (see the module's docstring)."""
    if has_plan is None:
        row = client_plan_row(session, client_id)
        plan_id, has_plan = (row.id if row else None), row is not None
    if has_plan:
        rates = session.scalars(select(PlanVatRate.rate).where(PlanVatRate.plan_id == plan_id))
        return frozenset(_rate(rate) for rate in rates)
    defaults = select(PlanVatRate.rate).join(
        AccountingPlan, AccountingPlan.id == PlanVatRate.plan_id).where(
        AccountingPlan.code.is_not(None))
    used = select(Article.vat_rate).where(Article.client_id == client_id).distinct()
    rates = session.scalars(defaults.union(used).execution_options(skip_tenant_scope=True))
    return frozenset(_rate(rate) for rate in rates)


def build_context(session, client_id: int, kind_code: str, *, update_existing: bool) -> Context:
    """The client's records as the validation compares them: natural key → id
    (one query), and for contacts the auxiliary codes taken; for articles the
    categories, the VAT rates and the plan's accounts (a few more queries).
    Where two records share a natural key (possible for records created on the
    screens: « Dupont » twice in one town), the oldest one is the one an update
    reaches. The records are read through their tables' columns, not the ORM
    entities: the ORM's row processing took 0.4 s of the 1 s this took at
    100,000 articles."""
    client_id = _client_id(client_id)
    kind = _kind(kind_code)
    existing: dict = {}
    if kind.code == "contacts":
        auxiliary: dict = {}
        contacts = Contact.__table__.c
        rows = session.execute(
            select(contacts.id, contacts.siren, contacts.name, contacts.first_name,
                   contacts.postcode, contacts.auxiliary_account)
            .where(contacts.client_id == client_id).order_by(contacts.id)).all()
        for record_id, siren, name, first_name, postcode, auxiliary_account in rows:
            key = contact_key(siren, name, first_name, postcode)
            if key is not None:
                existing.setdefault(key, record_id)
            if auxiliary_account:
                auxiliary.setdefault(auxiliary_account, record_id)
        return Context(vat_rates=frozenset(), existing=existing, categories={},
                       update_existing=update_existing, auxiliary_accounts=auxiliary)

    articles = Article.__table__.c
    # fetched at once: iterating the result would fetch row by row (a call per row).
    rows = session.execute(select(articles.id, articles.reference, articles.label)
                           .where(articles.client_id == client_id)
                           .order_by(articles.id)).all()
    for record_id, reference, label in rows:
        key = article_key(reference, label)
        if key is not None:
            existing.setdefault(key, record_id)
    categories: dict = {}
    for row in session.execute(select(ArticleCategory.id, ArticleCategory.name)
                               .where(ArticleCategory.client_id == client_id)
                               .order_by(ArticleCategory.id)):
        categories.setdefault(category_key(row.name), row.id)
    plan = client_plan_row(session, client_id)
    plan_accounts = None
    if plan is not None:
        plan_accounts = frozenset(session.scalars(select(PlanAccount.number).where(
            PlanAccount.plan_id == plan.id)))
    return Context(
        vat_rates=client_vat_rates(session, client_id, plan.id if plan else None,
                                   plan is not None),
        existing=existing, categories=categories, update_existing=update_existing,
        plan_accounts=plan_accounts, account_length=plan.account_length if plan else None)


# Preview and import ---------------------------------------------------------------------

def preview_import(session, client, kind_code: str, data: bytes, filename: str, *,
                   update_existing: bool, gettext: Callable, limits: Limits,
                   format_number: Callable = french_number) -> ImportOutcome:
    """Reads and validates the file against the dossier; writes nothing.
    Raises FileRefused when the file is refused as a whole."""
    kind = _kind(kind_code)
    with paused_gc():
        table = read_file(data, filename, kind, limits=limits, gettext=gettext,
                          format_number=format_number)
        context = build_context(session, _client_id(client), kind.code,
                                update_existing=update_existing)
        return ImportOutcome(table=table, plan=validate(table, context, gettext=gettext))


def run_import(session, client, kind_code: str, data: bytes, filename: str, *,
               update_existing: bool, user_id: Optional[int], user_name: str,
               gettext: Callable, limits: Limits,
               format_number: Callable = french_number,
               now: Optional[dt.datetime] = None) -> ImportOutcome:
    """Validates again and writes every row, in the caller's transaction; or
    raises ImportRefused and writes nothing (see the module's docstring)."""
    client_id = _client_id(client)
    now = now or utcnow()
    _lock_client(session, client_id)
    with paused_gc():
        outcome = preview_import(session, client_id, kind_code, data, filename,
                                 update_existing=update_existing, gettext=gettext,
                                 limits=limits, format_number=format_number)
        outcome.record = _record(client_id, kind_code, filename, outcome, update_existing,
                                 user_id, user_name, now)
        if not outcome.ok:
            raise ImportRefused(outcome)
        writer = _Writer(session, client_id, user_id, user_name, now)
        if kind_code == "articles":
            writer.write_articles(outcome.plan)
        else:
            writer.write_contacts(outcome.plan)
        session.add(outcome.record)
        session.flush()
    return outcome


def _lock_client(session, client_id: int):
    """Two imports into one dossier run one after the other (PostgreSQL: FOR NO
    KEY UPDATE, which leaves inserts referencing the client free; SQLite
    serialises writers anyway)."""
    session.execute(select(Client.id).where(Client.id == client_id)
                    .with_for_update(key_share=True))


def _record(client_id, kind_code, filename, outcome, update_existing, user_id, user_name,
            now) -> ImportRecord:
    detected = outcome.table.detected or {}
    done = outcome.ok
    return ImportRecord(
        client_id=client_id, kind=kind_code, file_name=(filename or "")[:FILE_NAME_MAX],
        created_at=now, user_id=user_id, user_name=(user_name or "")[:200],
        status="imported" if done else "refused", rows_total=outcome.total,
        rows_created=outcome.created if done else 0,
        rows_updated=outcome.updated if done else 0, rows_rejected=outcome.rejected,
        update_existing=bool(update_existing), detected_format=detected.get("format"),
        detected_encoding=detected.get("encoding"),
        detected_separator=detected.get("separator"))


class _Writer:
    """Writes a valid plan with set-based statements (module docstring)."""

    def __init__(self, session, client_id, user_id, user_name, now):
        self.session, self.client_id = session, client_id
        self.user_id, self.user_name, self.now = user_id, user_name, now
        self._transaction_id = None
        self._versions_written = False
        # PostgreSQL takes the rows as JSON (module docstring): binding 8,000
        # placeholders per INSERT cost more than the insert itself.
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.chunk = JSON_CHUNK if self.postgres else CHUNK

    # -- rows

    def write_contacts(self, plan: Plan):
        self._create(Contact, plan.creates)
        self._update(Contact, plan.updates)

    def write_articles(self, plan: Plan):
        categories = self._create_categories(plan.new_categories)
        creates = [self._with_category(row, categories) for row in plan.creates]
        updates = [(record_id, self._with_category(row, categories))
                   for record_id, row in plan.updates]
        self._create(Article, creates)
        self._update(Article, updates)

    def _create_categories(self, names: list) -> dict:
        """category_key → id of the categories created (one INSERT, one SELECT)."""
        if not names:
            return {}
        self.session.execute(insert(ArticleCategory), [
            {"client_id": self.client_id, "name": name} for name in names])
        wanted = {category_key(name) for name in names}
        created = {}
        for category_id, name in self.session.execute(
                select(ArticleCategory.id, ArticleCategory.name)
                .where(ArticleCategory.client_id == self.client_id)
                .order_by(ArticleCategory.id)):
            key = category_key(name)
            if key in wanted:
                created[key] = category_id   # the newest: the one just created
        self._version(ArticleCategory, list(created.values()), Operation.INSERT)
        return created

    @staticmethod
    def _with_category(row: dict, categories: dict) -> dict:
        if "category_key" not in row:
            return row
        row = dict(row)
        row["category_id"] = categories[row.pop("category_key")]
        return row

    def _create(self, model, rows: list):
        if not rows:
            return
        if self.postgres:
            self._create_from_json(model, rows)
            return
        # render_nulls: every row the same columns, one multi-row INSERT (module docstring).
        statement = insert(model).returning(model.id).execution_options(render_nulls=True)
        for chunk in _chunks(rows):
            values = [{**row, "client_id": self.client_id} for row in chunk]
            ids = self.session.scalars(statement, values).all()
            self._version(model, ids, Operation.INSERT)

    def _create_from_json(self, model, rows: list):
        """PostgreSQL: the rows and their version rows in one statement per chunk."""
        table = model.__table__
        names = sorted({name for row in rows for name in row})
        source = _recordset(table, names)
        versioned = _versioned_columns(model)
        inserted = (insert(table)
                    .from_select([*names, "client_id"],
                                 select(*(source.c[name] for name in names),
                                        literal(self.client_id, table.c.client_id.type)))
                    .returning(*(table.c[name] for name in versioned))
                    .cte("inserted"))
        statement = insert(version_class(model).__table__).from_select(
            [*versioned, "transaction_id", "operation_type"],
            select(*(inserted.c[name] for name in versioned),
                   literal(self._transaction(), BigInteger),
                   literal(Operation.INSERT, SmallInteger)))
        for chunk in _chunks(rows, self.chunk):
            self.session.execute(statement, {"rows": _json_rows(chunk)})
        self._versions_written = True

    def _update(self, model, updates: list):
        """One UPDATE per chunk, executemany, by primary key within the client: an
        id of another dossier matches no row (the ids come from build_context: a
        guard, not a path). Each row gives every column the file changes; its
        empty cells are NULL, which COALESCE turns into the current value."""
        if not updates:
            return
        table = model.__table__
        names = sorted({name for _, row in updates for name in row})
        if self.postgres:
            self._update_from_json(model, updates, names)
            return
        # The parameters are prefixed: a column's own name is reserved for its SET.
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.client_id == self.client_id)
            .values({name: func.coalesce(bindparam(f"b_{name}", type_=table.c[name].type),
                                         table.c[name]) for name in names}))
        versioned = set(_versioned_columns(model)) - {"id", "client_id"}
        for chunk in _chunks(updates):
            changed = self._versioned_changes(model, chunk, versioned)
            self.session.execute(statement, [
                {"b_id": record_id, **{f"b_{name}": row.get(name) for name in names}}
                for record_id, row in chunk])
            self._version(model, changed, Operation.UPDATE)

    def _update_from_json(self, model, updates: list, names: list):
        """PostgreSQL, one statement per chunk: the rows (json_to_recordset), the
        versioned columns as they were, the UPDATE, and a version row for each
        row whose versioned columns it changed. Every part of a WITH sees the
        table as it was before the statement, so `before` holds the old values."""
        table = model.__table__
        rows = select(_recordset(table, ["id", *names])).cte("v")
        new = {name: func.coalesce(rows.c[name], table.c[name]) for name in names}
        mine = (table.c.id == rows.c.id, table.c.client_id == self.client_id)
        # A row the file leaves as it is is not rewritten (no new tuple, no index entry).
        statement = (update(table)
                     .where(*mine, or_(*(table.c[name].is_distinct_from(value)
                                         for name, value in new.items())))
                     .values(new))
        copied = _versioned_columns(model)
        versioned = [name for name in copied if name not in ("id", "client_id")]
        if versioned:
            before = select(table.c.id, *(table.c[name] for name in versioned)) \
                .where(*mine).cte("before")
            updated = statement.returning(*(table.c[name] for name in copied)).cte("updated")
            statement = insert(version_class(model).__table__).from_select(
                [*copied, "transaction_id", "operation_type"],
                select(*(updated.c[name] for name in copied),
                       literal(self._transaction(), BigInteger),
                       literal(Operation.UPDATE, SmallInteger))
                .join_from(updated, before, before.c.id == updated.c.id)
                .where(or_(*(updated.c[name].is_distinct_from(before.c[name])
                             for name in versioned))))
        for chunk in _chunks(updates, self.chunk):
            self.session.execute(statement, {"rows": _json_rows(
                [{**row, "id": record_id} for record_id, row in chunk])})
        if versioned:
            self._drop_transaction_if_unused(version_class(model).__table__)

    # -- history of the accounting settings

    def _versioned_changes(self, model, chunk: list, versioned: set) -> list:
        """The ids of the rows of `chunk` whose versioned columns change."""
        touching = [(record_id, row) for record_id, row in chunk if versioned & row.keys()]
        if not touching:
            return []
        table = model.__table__
        names = sorted(versioned)
        current = {row[0]: dict(zip(names, row[1:])) for row in self.session.execute(
            select(table.c.id, *(table.c[name] for name in names))
            .where(self._among(table, [record_id for record_id, _ in touching]),
                   table.c.client_id == self.client_id))}
        return [record_id for record_id, row in touching
                if record_id in current and any(row[name] != current[record_id][name]
                                                for name in versioned & row.keys())]

    def _drop_transaction_if_unused(self, version_table) -> None:
        """Continuum writes no transaction for a flush that versions nothing:
        neither does an import whose updates change no versioned column."""
        if self._transaction_id is None or self._versions_written:
            return
        if self.session.scalar(select(exists().where(
                version_table.c.transaction_id == self._transaction_id))):
            self._versions_written = True
            return
        table = transaction_class().__table__
        self.session.execute(delete(table).where(table.c.id == self._transaction_id))
        self._transaction_id = None

    def _transaction(self) -> int:
        if self._transaction_id is None:
            table = transaction_class().__table__
            self._transaction_id = self.session.execute(
                insert(table).values(user_id=self.user_id, user_name=self.user_name or None,
                                     issued_at=self.now).returning(table.c.id)).scalar_one()
        return self._transaction_id

    def _version(self, model, ids: list, operation: int):
        """Copies the versioned columns of rows `ids` into the model's version table."""
        if not ids:
            return
        self._versions_written = True
        transaction_id = self._transaction()
        version_table = version_class(model).__table__
        table = model.__table__
        names = _versioned_columns(model)
        for chunk in _chunks(list(ids), self.chunk):
            self.session.execute(insert(version_table).from_select(
                [*names, "transaction_id", "operation_type"],
                select(*(table.c[name] for name in names),
                       literal(transaction_id, BigInteger),
                       literal(operation, SmallInteger))
                .where(self._among(table, chunk), table.c.client_id == self.client_id)))

    def _among(self, table, ids: list):
        """id IN (…), or on PostgreSQL id = ANY(one array): one parameter, not thousands."""
        if self.postgres:
            return table.c.id == any_(bindparam("ids", list(ids),
                                                type_=postgresql.ARRAY(table.c.id.type)))
        return table.c.id.in_(ids)


def _recordset(table, names: list):
    """FROM json_to_recordset(:rows) AS v(<name> <type of its column>, …): the
    rows of a chunk as one JSON array of objects (`_json_rows`); a key missing
    from an object reads as NULL."""
    rows = cast(bindparam("rows", type_=Text), postgresql.JSON)
    return (func.json_to_recordset(rows)
            .table_valued(*(column(name, table.c[name].type) for name in names))
            .render_derived(name="v", with_types=True))


def _json_rows(rows: list) -> str:
    # A Decimal goes as its text (« 12.50 »): the server reads it as numeric, exactly.
    return json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not written by the imports")


def _versioned_columns(model) -> list:
    """The columns Continuum copies into the model's version table."""
    version_table = version_class(model).__table__
    own = model.__table__.c
    return [column.name for column in version_table.c
            if column.name not in ("transaction_id", "operation_type", "end_transaction_id")
            and column.name in own]


# Uploads kept between the preview and the confirmation ------------------------------------

def store_upload(session, client_id: int, user_id: int, kind: str, file_name: str,
                 data: bytes, update_existing: bool, now: dt.datetime,
                 ttl: dt.timedelta) -> ImportUpload:
    """Keeps an uploaded file for its sender until `now + ttl`; the caller commits."""
    _kind(kind)
    upload = ImportUpload(
        client_id=client_id, user_id=user_id, kind=kind,
        file_name=(file_name or "")[:FILE_NAME_MAX], data=data,
        update_existing=bool(update_existing), created_at=now, expires_at=now + ttl,
        token=secrets.token_urlsafe(TOKEN_BYTES))
    session.add(upload)
    session.flush()
    return upload


def load_upload(session, upload_id, token, user_id, *,
                now: Optional[dt.datetime] = None) -> Optional[ImportUpload]:
    """The upload `upload_id` if `token` is its token, `user_id` its sender and it
    has not expired; else None (whatever the reason: the screens answer 404)."""
    if not token or user_id is None:
        return None
    try:
        upload_id = int(upload_id)
    except (TypeError, ValueError):
        return None
    upload = session.scalar(select(ImportUpload).where(ImportUpload.id == upload_id))
    if upload is None:
        return None
    if not hmac.compare_digest(upload.token.encode(), str(token).encode("utf-8", "replace")):
        return None
    if upload.user_id != user_id or upload.expires_at <= (now or utcnow()):
        return None
    return upload


def purge_expired_uploads(session, now: dt.datetime) -> int:
    """Deletes every expired upload, of every client (housekeeping, not a user's
    action: outside the tenant scope). Returns how many; the caller commits."""
    result = session.execute(delete(ImportUpload).where(ImportUpload.expires_at <= now)
                             .execution_options(skip_tenant_scope=True,
                                                synchronize_session=False))
    return result.rowcount or 0


__all__ = ["ImportOutcome", "ImportRefused", "build_context", "client_vat_rates",
           "load_upload", "preview_import", "purge_expired_uploads", "run_import",
           "store_upload"]
