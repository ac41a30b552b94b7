"""Indexes on the client-bound keys that the exports join on: invoice lines and
charges by (client_id, invoice_id), payment allocations by (client_id, payment_id).

Without them SQLite (no statistics unless ANALYZE runs) chose the index on
client_id alone and read every line of the client for each document: the check
before export of a 5,000-invoice client took 9.9 s (benchmarks/export_scale.py
--sqlite).

Revision ID: 0011_client_bound_join_indexes
Revises: 0010_imports
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_client_bound_join_indexes'
down_revision = '0010_imports'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_invoice_line_client_invoice", "invoice_line", ["client_id", "invoice_id"]),
    ("ix_invoice_charge_client_invoice", "invoice_charge", ["client_id", "invoice_id"]),
    ("ix_payment_allocation_client_payment", "payment_allocation", ["client_id", "payment_id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
