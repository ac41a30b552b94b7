"""Indexes that another index already serves, dropped.

- A client's tables indexed client_id alone (the ClientOwned mixin) beside an
  index or a unique constraint that starts with client_id: PostgreSQL and
  SQLite read the longer one by its first column as well. The models now name
  that index (`__client_id_index__`); without ANALYZE, SQLite even chose the
  single-column one for joins it could not serve (0011). Likewise cabinet_id
  of client and accounting_plan, user_id of dashboard_pin and user_preference.
- The version tables (SQLAlchemy-Continuum) had (id, transaction_id DESC),
  which their primary key (id, transaction_id) serves read backwards, and
  operation_type alone, which no query filters on without the id.

Each was maintained on every row written: writing 100,000 articles and their
version rows took 4.32 s instead of 4.88 s without them, the version rows 0.59 s
instead of 1.00 s (medians of 10 alternated runs, rolled back; benchmarks/README.md).

Revision ID: 0013_redundant_indexes
Revises: 0012_export_marks_client_key
Create Date: 2026-11-29 15:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_redundant_indexes'
down_revision = '0012_export_marks_client_key'
branch_labels = None
depends_on = None

CLIENT_TABLES = ('account_access', 'article', 'article_category', 'contact',
                 'document_sequence', 'export_batch', 'import_record', 'invoice',
                 'invoice_charge', 'invoice_line', 'payment', 'payment_allocation')
# (table, column) indexed alone beside a unique constraint or an index led by it.
OTHER_KEYS = (('client', 'cabinet_id'), ('accounting_plan', 'cabinet_id'),
              ('dashboard_pin', 'user_id'), ('user_preference', 'user_id'))
VERSION_TABLES = ('accounting_plan_version', 'plan_account_version', 'plan_vat_rate_version',
                  'plan_payment_mode_version', 'article_category_version', 'article_version',
                  'charge_version', 'contact_version')


def _single_column_indexes():
    return [(table, 'client_id') for table in CLIENT_TABLES] + list(OTHER_KEYS)


def upgrade():
    for table, column in _single_column_indexes():
        op.drop_index(f'ix_{table}_{column}', table_name=table)
    for table in VERSION_TABLES:
        op.drop_index(f'ix_{table}_operation_type', table_name=table)
        op.drop_index(f'ix_{table}_pk_transaction_id', table_name=table)


def downgrade():
    for table in VERSION_TABLES:
        op.create_index(f'ix_{table}_pk_transaction_id', table,
                        ['id', sa.literal_column('transaction_id DESC')], unique=False)
        op.create_index(f'ix_{table}_operation_type', table, ['operation_type'], unique=False)
    for table, column in _single_column_indexes():
        op.create_index(f'ix_{table}_{column}', table, [column], unique=False)
