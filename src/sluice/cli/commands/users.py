"""``sluice users ...``"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import out, print_json, table
from sluice.core.context import Role

app = typer.Typer(no_args_is_help=True)


@app.command()
def create(name: str, as_json: JsonOpt = False,
           role: Annotated[str, typer.Option(
               help="Their role in --project: viewer, annotator, reviewer, editor, admin or a "
                    "custom role (`sluice roles list`).")] = Role.VIEWER,
           workspace_admin: Annotated[bool, typer.Option(
               help="A workspace admin: every project, users, projects and roles.")] = False,
           ) -> None:
    """Add a user; then `sluice tokens create NAME --user USER` gives them a token."""
    s = state(as_json)
    user = s.client().users.create(name, role=role, admin=workspace_admin)
    where = "workspace admin, " if user.admin else ""
    print_json(user) if s.json else out.print(
        f"created {user.name} ({where}{user.role} in {s.project or 'default'})")


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every user, with their role in --project."""
    s = state(as_json)
    users = s.client().users.list()
    if s.json:
        return print_json(users)
    table("Users", ["name", "role here", "workspace admin", "created"],
          [(u.name, u.role, "yes" if u.admin else "", u.created_at) for u in users])
    return None


def add_commands(root: typer.Typer) -> None:
    root.add_typer(app, name="users",
                   help="Add users (with a role in a project).")
