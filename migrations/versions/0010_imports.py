"""Imports of contacts and articles: the record of each import, the uploads awaiting confirmation

Revision ID: 0010_imports
Revises: 0009_account_cabinet_support
Create Date: 2026-11-28 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_imports'
down_revision = '0009_account_cabinet_support'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_created', sa.Integer(), nullable=False),
    sa.Column('rows_updated', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('update_existing', sa.Boolean(), nullable=False),
    sa.Column('detected_format', sa.String(length=10), nullable=True),
    sa.Column('detected_encoding', sa.String(length=20), nullable=True),
    sa.Column('detected_separator', sa.String(length=12), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('contacts', 'articles')", name='ck_import_record_kind'),
    sa.CheckConstraint("status IN ('imported', 'refused')", name='ck_import_record_status'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_record_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_record_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_import_record_client_created', ['client_id', sa.literal_column('created_at DESC'), sa.literal_column('id DESC')], unique=False)

    op.create_table('import_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('update_existing', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('contacts', 'articles')", name='ck_import_upload_kind'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_upload_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_import_upload_expires_at', ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_upload_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_upload_user_id'))
        batch_op.drop_index('ix_import_upload_expires_at')
        batch_op.drop_index(batch_op.f('ix_import_upload_client_id'))

    op.drop_table('import_upload')
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.drop_index('ix_import_record_client_created')
        batch_op.drop_index(batch_op.f('ix_import_record_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_record_client_id'))

    op.drop_table('import_record')
