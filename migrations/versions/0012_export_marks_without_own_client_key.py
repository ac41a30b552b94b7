"""Export marks (export_batch_document, export_batch_payment) without a foreign
key and an index of their own on client_id.

Their composite key to (export_batch.client_id, export_batch.id) already ties
client_id to the batch's client and cascades with it, and their indexes
(client_id, invoice_id) / (client_id, payment_id) start with client_id. The
key to client alone was checked on every mark inserted: about a quarter of the
time of marking 200,000 documents and as many payments (benchmarks/README.md,
`export_scale.py`).

The key was created without a name (0008): PostgreSQL called it
<table>_client_id_fkey, SQLite has none; it is found by reflection, and SQLite
rebuilds the table (batch mode) with a naming convention that names it.

Revision ID: 0012_export_marks_client_key
Revises: 0011_client_bound_join_indexes
Create Date: 2026-11-29 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_export_marks_client_key'
down_revision = '0011_client_bound_join_indexes'
branch_labels = None
depends_on = None

TABLES = ("export_batch_document", "export_batch_payment")
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _client_key_name(table):
    for key in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if key["referred_table"] == "client" and key["constrained_columns"] == ["client_id"]:
            return key["name"] or f"fk_{table}_client_id_client"
    raise RuntimeError(f"{table}: no foreign key client_id → client to drop")


def upgrade():
    for table in TABLES:
        name = _client_key_name(table)
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.drop_index(f"ix_{table}_client_id")
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(f"{table}_client_id_fkey", "client", ["client_id"],
                                        ["id"], ondelete="CASCADE")
            batch_op.create_index(f"ix_{table}_client_id", ["client_id"], unique=False)
