"""web sessions bound to their token, idempotency keys per user with the body's hash,
job secrets kept apart from their parameters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.String(length=26), nullable=True))
        batch_op.create_index(batch_op.f('ix_tokens_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tokens_parent_id_tokens'), 'tokens',
                                    ['parent_id'], ['id'])
    # Sessions opened before this change belong to no token: end them.
    op.execute("UPDATE tokens SET revoked_at = created_at "
               "WHERE kind = 'session' AND revoked_at IS NULL")
    with op.batch_alter_table('append_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by', sa.String(length=26), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('body_hash', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.drop_constraint('uq_append_keys_dataset_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_append_keys_dataset_id'),
                                          ['dataset_id', 'created_by', 'key'])
    with op.batch_alter_table('append_keys', schema=None) as batch_op:
        batch_op.alter_column('created_by', server_default=None)
        batch_op.alter_column('body_hash', server_default=None)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secrets', sa.JSON(), nullable=True))
    _move_stream_passwords()


def _move_stream_passwords() -> None:
    """Stream consumers started before kept a password in their shown URL (in its user
    part or as ``?password=``), and their messages repeat it: keep the URL among the job's
    secrets and show it, everywhere, without the password."""
    import json

    jobs = sa.table('jobs', sa.column('id', sa.String), sa.column('kind', sa.String),
                    sa.column('params', sa.JSON), sa.column('secrets', sa.JSON),
                    sa.column('message', sa.Text), sa.column('error', sa.JSON))
    conn = op.get_bind()
    rows = conn.execute(sa.select(jobs.c.id, jobs.c.params, jobs.c.message, jobs.c.error)
                        .where(jobs.c.kind == 'stream.redis')).all()
    for job_id, params, message, error in rows:
        url = str((params or {}).get('url') or '')
        shown = _without_password(url)
        if shown == url:
            continue
        conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(
            params={**params, 'url': shown}, secrets={'url': url},
            message=(message or '').replace(url, shown),
            error=json.loads(json.dumps(error).replace(json.dumps(url)[1:-1],
                                                       json.dumps(shown)[1:-1]))
            if error else error))


def _without_password(url: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != 'password']
    if parts.scheme == 'unix':
        return f"unix://{parts.path}" + (f"?{urlencode(query)}" if query else '')
    host = parts.netloc.rsplit('@', 1)[-1]
    user = f"{parts.username}@" if parts.username else ''
    return urlunsplit(parts._replace(netloc=user + host, query=urlencode(query)))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('secrets')
    with op.batch_alter_table('append_keys', schema=None) as batch_op:
        batch_op.drop_constraint('uq_append_keys_dataset_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_append_keys_dataset_id'),
                                          ['dataset_id', 'key'])
        batch_op.drop_column('body_hash')
        batch_op.drop_column('created_by')
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tokens_parent_id_tokens'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tokens_parent_id'))
        batch_op.drop_column('parent_id')
