"""``sluice projects ...``, ``sluice members ...`` and ``sluice roles ...``"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import out, print_json, table

projects_app = typer.Typer(no_args_is_help=True)
members_app = typer.Typer(no_args_is_help=True)
roles_app = typer.Typer(no_args_is_help=True)


@projects_app.command("list")
def list_projects(as_json: JsonOpt = False, deleted: Annotated[bool, typer.Option(
        help="The deleted projects instead (workspace admins).")] = False) -> None:
    """Your projects and your role in each."""
    s = state(as_json)
    found = s.client().projects.list(deleted=deleted)
    if s.json:
        return print_json(found)
    table("Projects", ["name", "your role", "description", "created"],
          [(p.name, p.role, p.description, p.created_at) for p in found])
    return None


@projects_app.command("create")
def create_project(name: str, as_json: JsonOpt = False,
                   description: Annotated[str, typer.Option()] = "") -> None:
    """A new, empty project (workspace admins); `sluice --project NAME members set ...`
    adds people."""
    s = state(as_json)
    project = s.client().projects.create(name, description=description)
    print_json(project) if s.json else out.print(f"created project {project.name}")


@projects_app.command("delete")
def delete_project(name: str, as_json: JsonOpt = False) -> None:
    """Hide a project; its data, members and tokens stay until `sluice projects restore`."""
    s = state(as_json)
    project = s.client().projects.delete(name)
    print_json(project) if s.json else out.print(
        f"deleted project {project.name} (`sluice projects restore {project.name}` undoes it)")


@projects_app.command("restore")
def restore_project(name: str, as_json: JsonOpt = False) -> None:
    """Bring a deleted project back as it was."""
    s = state(as_json)
    project = s.client().projects.restore(name)
    print_json(project) if s.json else out.print(f"restored project {project.name}")


@members_app.command("list")
def list_members(as_json: JsonOpt = False) -> None:
    """The members of --project and their roles."""
    s = state(as_json)
    found = s.client().members.list()
    if s.json:
        return print_json(found)
    table(f"Members of {s.project or 'default'}", ["user", "role", "since"],
          [(m.user, m.role, m.since) for m in found])
    return None


@members_app.command("set")
def set_member(user: str, role: Annotated[str, typer.Argument(
        help="viewer, annotator, reviewer, editor, admin or a custom role.")],
               as_json: JsonOpt = False) -> None:
    """Add USER to --project with ROLE, or change their role."""
    s = state(as_json)
    member = s.client().members.set(user, role)
    print_json(member) if s.json else out.print(
        f"{member.user} is {member.role} in {s.project or 'default'}")


@members_app.command("remove")
def remove_member(user: str, as_json: JsonOpt = False) -> None:
    """Take USER out of --project."""
    s = state(as_json)
    s.client().members.remove(user)
    print_json({"removed": user}) if s.json else out.print(
        f"removed {user} from {s.project or 'default'}")


@roles_app.command("list")
def list_roles(as_json: JsonOpt = False) -> None:
    """Built-in and custom roles and what each grants."""
    s = state(as_json)
    found = s.client().roles.list()
    if s.json:
        return print_json(found)
    table("Roles", ["name", "kind", "permissions", "description"],
          [(r.name, "built-in" if r.builtin else "custom", ", ".join(r.permissions),
            r.description) for r in found])
    return None


@roles_app.command("permissions")
def list_permissions(as_json: JsonOpt = False) -> None:
    """Every permission the areas define, and the lowest built-in role that has it."""
    s = state(as_json)
    found = s.client().roles.permissions()
    if s.json:
        return print_json(found)
    table("Permissions", ["name", "area", "from role", "allows"],
          [(p.name, p.area, p.grant, p.summary) for p in found])
    return None


@roles_app.command("create")
def create_role(name: str, permission: Annotated[list[str], typer.Option(
        "--permission", "-p", help="A permission it grants (repeat).")],
                as_json: JsonOpt = False,
                description: Annotated[str, typer.Option()] = "") -> None:
    """A custom role granting exactly the given permissions (workspace admins)."""
    s = state(as_json)
    role = s.client().roles.create(name, list(permission), description=description)
    print_json(role) if s.json else out.print(
        f"created role {role.name}: {', '.join(role.permissions)}")


@roles_app.command("delete")
def delete_role(name: str, as_json: JsonOpt = False) -> None:
    """Delete a custom role that nobody holds."""
    s = state(as_json)
    s.client().roles.delete(name)
    print_json({"deleted": name}) if s.json else out.print(f"deleted role {name}")


def add_commands(root: typer.Typer) -> None:
    root.add_typer(projects_app, name="projects",
                   help="Projects: create, list, delete and restore.")
    root.add_typer(members_app, name="members",
                   help="Who holds which role in --project.")
    root.add_typer(roles_app, name="roles",
                   help="Roles and the permissions they grant.")
