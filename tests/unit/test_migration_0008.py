"""0008 carries a workspace with global roles over to roles per project: nobody gains or
loses anything."""

from __future__ import annotations

import sqlalchemy as sa


def test_0008_turns_global_roles_into_memberships(tmp_path):
    from sluice.core.context import Role
    from sluice.platform import Platform
    from sluice.settings import load_settings
    from sluice.storage.metadata.database import Database
    from tests.unit.test_migrations import upgraded_to

    home = tmp_path / "home"
    home.mkdir()
    db = Database(f"sqlite:///{home / 'old.db'}", lock_dir=home / "locks")
    with upgraded_to(db, "0007") as conn:
        for pid, name in (("p1", "default"), ("p2", "research")):
            conn.execute(sa.text("INSERT INTO projects (id, name, description, created_at) "
                                 "VALUES (:id, :name, '', CURRENT_TIMESTAMP)"),
                         {"id": pid, "name": name})
        for uid, name, role in (("u1", "admin", "admin"), ("u2", "ed", "editor"),
                                ("u3", "vi", "viewer")):
            conn.execute(sa.text("INSERT INTO users (id, name, role, created_at, disabled) "
                                 "VALUES (:id, :name, :role, CURRENT_TIMESTAMP, 0)"),
                         {"id": uid, "name": name, "role": role})
    db.dispose()
    settings = load_settings(env={}, home=home, executor="thread",
                             database_url=f"sqlite:///{home / 'old.db'}")
    platform = Platform.open(settings)
    try:
        for project in ("default", "research"):
            ed = platform.context(platform.auth.principal_by_name("ed"), project)
            vi = platform.context(platform.auth.principal_by_name("vi"), project)
            assert ed.role == Role.EDITOR and ed.can("datasets.write") and \
                ed.can("models.promote") and ed.can("labels.review")
            assert vi.role == Role.VIEWER and vi.can("datasets.read") and \
                not vi.can("datasets.write")
        admin = platform.auth.principal_by_name("admin")
        assert admin is not None and admin.admin
        assert {u.name: u.admin for u in platform.auth.list_users(
            platform.local_context())} == {"admin": True, "ed": False, "vi": False}
    finally:
        platform.close()
