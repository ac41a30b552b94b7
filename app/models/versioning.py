"""History of the accounting settings (SQLAlchemy-Continuum), set up before the models.

app/models/__init__.py imports this module first, so that `make_versioned`
listens to the mappers before the versioned classes are defined, and calls
`sqlalchemy.orm.configure_mappers()` after importing every model: that is when
Continuum builds the version tables (`<table>_version`) and classes.

A versioned model declares `__versioned__ = {...}`; its `exclude` list keeps
out the columns that are not accounting settings (an article's price, a
contact's address…): a change of those alone writes no version row at all.

Each database transaction that changes a versioned row writes one
`accounting_transaction` (the SQL keyword is kept out of the schema): when, and who —
`user_id` and `user_name`, the name kept as it was, so that the history still
names a collaborator after their account is deleted (the foreign key is then
set to NULL). Outside a request (CLI, seeds, start-up sync, tests' own set-up)
there is no user: the history shows « Système ». The version classes are not
tenant models: app.security.tenancy's backstop leaves them alone, and
app.plans.history reads them for a plan the caller may already see.

Changes made with Core statements (bulk INSERT/UPDATE, benchmarks' loaders) or
by ON DELETE CASCADE in the database are not versioned: Continuum sees the ORM's
flushes only.

Strategy « subquery », not « validity »: the validity strategy finds and updates
the previous version of every row it versions (one SELECT and one UPDATE per
row, and an `end_transaction_id` column and index per table), which makes
applying or duplicating a plan — a hundred rows at once — markedly slower. The
subquery strategy only inserts, and the history screen never asks « what was the
state at transaction N »: app.plans.history loads a plan's versions in a few
bounded queries and links each to its previous one itself.
"""
import weakref
from itertools import chain

import sqlalchemy as sa
from sqlalchemy_continuum import Operation, UnitOfWork, VersioningManager, make_versioned
from sqlalchemy_continuum.operation import Operations
from sqlalchemy_continuum.plugins import FlaskPlugin
from sqlalchemy_continuum.plugins.base import Plugin
from sqlalchemy_continuum.utils import is_modified, is_versioned
from sqlalchemy_continuum.transaction import TransactionBase, TransactionFactory

TRANSACTION_TABLE = "accounting_transaction"


class AccountingTransactionFactory(TransactionFactory):
    """Continuum's Transaction, under a clearer table name, with the user's name kept
    and a foreign key that lets users be deleted."""

    def __init__(self):
        super().__init__(remote_addr=False)

    def create_class(self, manager):
        class AccountingTransaction(manager.declarative_base, TransactionBase):
            __tablename__ = TRANSACTION_TABLE
            __versioning_manager__ = manager

            id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
            user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="SET NULL"),
                                index=True)
            user_name = sa.Column(sa.String(200))

            def __repr__(self):
                return f"<AccountingTransaction {self.id} {self.issued_at} {self.user_name}>"

        return AccountingTransaction


class _Operations(Operations):
    """Continuum's operations, remembering which are still to be versioned."""

    def __init__(self):
        super().__init__()
        self.pending = {}

    def add(self, operation):
        key = self.format_key(operation.target)
        self.objects[key] = operation
        self.pending[key] = operation

    def add_update(self, target):
        current = self.objects.get(self.format_key(target))
        if current is not None and current.type == Operation.INSERT:
            # Inserted, then updated in the same transaction (an autoflush between
            # the two, as when a plan is duplicated): still a creation. Continuum
            # would record an update with no previous version.
            self.add(Operation(target, Operation.INSERT))
            return
        super().add_update(target)


class _UnitOfWork(UnitOfWork):
    """Continuum's unit of work (one per database transaction), made linear in the
    size of the transaction: the demo seed, one transaction of thousands of rows,
    took 14 times as long (139 s instead of 10 s) with the stock one."""

    def reset(self, session=None):
        super().reset(session)
        self.operations = _Operations()

    def is_modified(self, session):
        """Asked before every flush; Continuum checks every object of the session.
        Only new, deleted and dirty objects can have changed."""
        if not _history_tables_exist(session):
            return False
        if any(is_versioned(obj) for obj in chain(session.new, session.deleted)):
            return True
        return any(is_versioned(obj) and is_modified(obj) for obj in session.dirty) or any(
            self.manager.plugins.is_session_modified(session))

    def create_version_objects(self, session):
        """Continuum's, over the operations of this flush only (it walks all the
        transaction's operations at every flush)."""
        if (not self.manager.options["versioning"]
                or self.manager.options["native_versioning"]):
            return
        pending, self.operations.pending = self.operations.pending, {}
        for operation in pending.values():
            if not operation.processed:
                self.process_operation(operation)
        self.version_session.flush()


_ready_engines = weakref.WeakSet()


def _history_tables_exist(session):
    """Until `flask db upgrade` has created the history tables, nothing is versioned
    (the migration records the state it finds as the history's start): the app
    starts, syncs the default plans and migrates with the new code on the old
    schema. Checked once per engine when the tables are there."""
    connection = session.connection()
    if connection.engine in _ready_engines:
        return True
    if not sa.inspect(connection).has_table(TRANSACTION_TABLE):
        return False
    _ready_engines.add(connection.engine)
    return True


def current_user_or_none():
    """The authenticated user of the current request (session cookie or JWT), else None."""
    from flask import has_request_context

    if not has_request_context():
        return None
    # Lazily: app.security.tenancy imports the models.
    from app.security.tenancy import _authenticated_user

    try:
        return _authenticated_user()
    except Exception:  # no login manager (a bare app), a user being loaded…
        return None


class AccountingUserPlugin(FlaskPlugin):
    """Continuum's FlaskPlugin reads flask_login's current_user only; this one also
    sees JWT users (FAB's API) and keeps the user's name."""

    def transaction_args(self, uow, session):
        user = current_user_or_none()
        if user is None:
            return {"user_id": None, "user_name": None}
        name = (getattr(user, "full_name", "") or getattr(user, "username", "") or "")[:200]
        return {"user_id": user.id, "user_name": name or None}


class VersionIndexPlugin(Plugin):
    """The indexes of the version tables are those the history reads through:
    the key (id, transaction_id), transaction_id (a transaction's changes), and
    the owner then the transaction — (plan_id, transaction_id) for the rows of a
    plan, client_id for a client's (app.plans.history). Continuum would add
    (id, transaction_id DESC), which the key already serves read backwards, and
    operation_type alone, which nothing filters on without the id: two indexes
    maintained on every version row written for nothing (two fifths of the time of
    writing 100,000 version rows: benchmarks/README.md, migration 0013)."""

    def after_version_class_built(self, parent_cls, version_cls):
        table = version_cls.__table__
        for index in [index for index in table.indexes
                      if [column.name for column in index.columns] == ["operation_type"]]:
            table.indexes.remove(index)
        if "plan_id" in table.c:
            sa.Index(f"ix_{table.name}_plan_transaction", table.c.plan_id,
                     table.c.transaction_id)
        if "client_id" in table.c and not table.c.client_id.index:
            # The parent's client_id is indexed by one of its composite indexes
            # (ClientOwned.__client_id_index__), which Continuum does not copy.
            sa.Index(f"ix_{table.name}_client_id", table.c.client_id)


manager = VersioningManager(unit_of_work_cls=_UnitOfWork,
                            transaction_cls=AccountingTransactionFactory())

make_versioned(
    manager=manager,
    user_cls=None,
    plugins=[AccountingUserPlugin(), VersionIndexPlugin()],
    options={"strategy": "subquery", "use_module_name": False,
             "create_composite_index": False},
)


def transaction_class():
    """The AccountingTransaction class (built by configure_mappers)."""
    return manager.transaction_cls
