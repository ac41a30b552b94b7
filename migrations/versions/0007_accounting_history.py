"""History of the accounting settings (SQLAlchemy-Continuum, app/models/versioning.py)

Revision ID: 0007_accounting_history
Revises: 0006_accounting_plans
Create Date: 2026-11-28 07:33:22.001696

`accounting_transaction` records who changed accounting settings and when;
`<table>_version` keeps, per transaction, the versioned columns of each changed
row (strategy « subquery »: no end_transaction_id). The indexes are the ones
Continuum declares: (id, transaction_id DESC), transaction_id, operation_type,
the copied client_id index, and (plan_id, transaction_id) for the plans' rows.

Rows that exist when this runs get a first version, all in one transaction
whose issued_at is NULL: the state the history starts from. The next change of
such a row then shows its real old value; app.plans.history does not list that
starting state as changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_accounting_history'
down_revision = '0006_accounting_plans'
branch_labels = None
depends_on = None

INSERT = 0  # sqlalchemy_continuum.Operation.INSERT

# Versioned columns, as in the models' __versioned__ (the version tables add
# transaction_id and operation_type).
VERSIONED = {
    'accounting_plan': ['id', 'name', 'account_length', 'sales_journal', 'customer_account',
                        'auxiliary_root', 'sales_account', 'deposit_account',
                        'credit_note_account', 'incorporate_vat_deposit',
                        'incorporate_vat_article', 'split_vat_by_nature', 'bank_journal',
                        'bank_account'],
    'plan_account': ['id', 'number', 'label', 'kind', 'plan_id'],
    'plan_vat_rate': ['id', 'rate', 'label', 'goods_vat_account', 'services_vat_account',
                      'goods_sales_account', 'services_sales_account', 'plan_id'],
    'plan_payment_mode': ['id', 'label', 'account', 'journal_code', 'plan_id'],
    'article_category': ['id', 'name', 'account', 'client_id'],
    'article': ['id', 'label', 'account', 'client_id'],
    'charge': ['id', 'label', 'account', 'client_id'],
    'contact': ['id', 'is_company', 'name', 'first_name', 'auxiliary_account', 'client_id'],
}


def _version_table(name, *columns, index_on=None):
    table = f'{name}_version'
    op.create_table(table,
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    *columns,
    sa.Column('transaction_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('operation_type', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', 'transaction_id')
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_operation_type'), ['operation_type'], unique=False)
        batch_op.create_index(f'ix_{table}_pk_transaction_id', ['id', sa.literal_column('transaction_id DESC')], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_transaction_id'), ['transaction_id'], unique=False)
        if index_on == 'plan_id':
            batch_op.create_index(f'ix_{table}_plan_transaction', ['plan_id', 'transaction_id'], unique=False)
        elif index_on == 'client_id':
            batch_op.create_index(batch_op.f(f'ix_{table}_client_id'), ['client_id'], unique=False)


def _column(name, type_, **kwargs):
    return sa.Column(name, type_, autoincrement=False, nullable=True, **kwargs)


def upgrade():
    op.create_table('accounting_transaction',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=200), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accounting_transaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounting_transaction_user_id'), ['user_id'], unique=False)

    _version_table('accounting_plan',
    _column('name', sa.String(length=120)),
    _column('account_length', sa.Integer(), server_default='6'),
    _column('sales_journal', sa.String(length=4)),
    _column('customer_account', sa.String(length=20)),
    _column('auxiliary_root', sa.String(length=10)),
    _column('sales_account', sa.String(length=20)),
    _column('deposit_account', sa.String(length=20)),
    _column('credit_note_account', sa.String(length=20)),
    _column('incorporate_vat_deposit', sa.Boolean(), server_default=sa.false()),
    _column('incorporate_vat_article', sa.Boolean(), server_default=sa.false()),
    _column('split_vat_by_nature', sa.Boolean(), server_default=sa.false()),
    _column('bank_journal', sa.String(length=4)),
    _column('bank_account', sa.String(length=20)),
    )
    _version_table('plan_account',
    _column('number', sa.String(length=20)),
    _column('label', sa.String(length=200)),
    _column('kind', sa.String(length=10)),
    _column('plan_id', sa.Integer()),
    index_on='plan_id')
    _version_table('plan_vat_rate',
    _column('rate', sa.Numeric(precision=5, scale=2)),
    _column('label', sa.String(length=120)),
    _column('goods_vat_account', sa.String(length=20)),
    _column('services_vat_account', sa.String(length=20)),
    _column('goods_sales_account', sa.String(length=20)),
    _column('services_sales_account', sa.String(length=20)),
    _column('plan_id', sa.Integer()),
    index_on='plan_id')
    _version_table('plan_payment_mode',
    _column('label', sa.String(length=60)),
    _column('account', sa.String(length=20)),
    _column('journal_code', sa.String(length=4)),
    _column('plan_id', sa.Integer()),
    index_on='plan_id')
    _version_table('article_category',
    _column('name', sa.String(length=120)),
    _column('account', sa.String(length=20)),
    _column('client_id', sa.Integer()),
    index_on='client_id')
    _version_table('article',
    _column('label', sa.String(length=200)),
    _column('account', sa.String(length=20)),
    _column('client_id', sa.Integer()),
    index_on='client_id')
    _version_table('charge',
    _column('label', sa.String(length=200)),
    _column('account', sa.String(length=20)),
    _column('client_id', sa.Integer()),
    index_on='client_id')
    _version_table('contact',
    _column('is_company', sa.Boolean()),
    _column('name', sa.String(length=200)),
    _column('first_name', sa.String(length=100)),
    _column('auxiliary_account', sa.String(length=20)),
    _column('client_id', sa.Integer()),
    index_on='client_id')

    _record_starting_state()


def _record_starting_state():
    """A first version of every existing row, in one transaction with no date."""
    connection = op.get_bind()
    if not any(connection.execute(sa.text(f'SELECT 1 FROM {table} LIMIT 1')).first()
               for table in VERSIONED):
        return
    transactions = sa.table('accounting_transaction', sa.column('id', sa.BigInteger()),
                            sa.column('issued_at', sa.DateTime()))
    transaction_id = connection.execute(
        transactions.insert().values(issued_at=None).returning(transactions.c.id)).scalar_one()
    for table, columns in VERSIONED.items():
        names = ', '.join(columns)
        connection.execute(sa.text(
            f'INSERT INTO {table}_version ({names}, transaction_id, operation_type) '
            f'SELECT {names}, :transaction_id, :operation FROM {table}'
        ), {'transaction_id': transaction_id, 'operation': INSERT})


def downgrade():
    for table in reversed(list(VERSIONED)):
        op.drop_table(f'{table}_version')
    op.drop_table('accounting_transaction')
