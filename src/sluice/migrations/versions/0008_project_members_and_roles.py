"""permissions per project: members with a role in each project, custom roles, tokens scoped
to a project, deleted (restorable) projects. Existing users keep what they could do: each
viewer or editor becomes a member with that role in every existing project; admins stay
workspace admins.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 02:30:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import sluice.storage.metadata.schema

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_UTC = sluice.storage.metadata.schema.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('roles',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('permissions', sa.JSON(), nullable=False),
    sa.Column('created_at', _UTC, nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_roles'))
    )
    op.create_table('project_members',
    sa.Column('project_id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('created_at', _UTC, nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_project_members_project_id_projects')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_project_members_user_id_users')),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_project_members'))
    )
    with op.batch_alter_table('project_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_members_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', _UTC, nullable=True))
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.String(length=26), nullable=True))
    _carry_users_over()


def _carry_users_over() -> None:
    """Global viewer/editor roles become memberships in every project (before this
    revision each role held in all of them); admins stay workspace admins."""
    conn = op.get_bind()
    now = datetime.now(UTC)
    users = conn.execute(sa.text("SELECT id, role FROM users")).all()
    projects = [r[0] for r in conn.execute(sa.text("SELECT id FROM projects")).all()]
    members = sa.table('project_members', sa.column('project_id'), sa.column('user_id'),
                       sa.column('role'), sa.column('created_at', _UTC))
    rows = [{"project_id": p, "user_id": uid, "role": role, "created_at": now}
            for uid, role in users if role != "admin" for p in projects]
    if rows:
        op.bulk_insert(members, rows)
    conn.execute(sa.text("UPDATE users SET role = 'member' WHERE role <> 'admin'"))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE users SET role = COALESCE((SELECT CASE WHEN MAX(CASE WHEN m.role IN "
        "('editor', 'reviewer', 'admin') THEN 1 ELSE 0 END) = 1 THEN 'editor' ELSE "
        "'viewer' END FROM project_members m WHERE m.user_id = users.id), 'viewer') "
        "WHERE role <> 'admin'"))
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_column('project_id')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('project_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_members_user_id'))
    op.drop_table('project_members')
    op.drop_table('roles')
