"""label schemas keep their text embeddings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('label_schemas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vectors_blob', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('label_schemas', schema=None) as batch_op:
        batch_op.drop_column('vectors_blob')
