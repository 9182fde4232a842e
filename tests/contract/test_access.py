"""Permissions per project on the SDK (in-process and over REST), the CLI and the audit log:
projects are boundaries, roles are held per project, custom roles grant exactly what they
list, and every change is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.core.context import Role
from sluice.errors import AlreadyExists, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized


def _remote(app: Any, token: str, project: str | None = None) -> Any:
    from fastapi.testclient import TestClient

    from sluice.sdk.remote import RemoteClient

    tc = TestClient(app, base_url="http://testserver")
    tc.__enter__()
    return RemoteClient("http://testserver", token, project=project, http_client=tc)


def _user(platform: Any, project: str, name: str, role: str) -> str:
    """A user with ``role`` in ``project``, and their (unscoped) token."""
    owner = platform.local_context(project)
    platform.auth.create_user(owner, name, role)
    return platform.auth.create_token(owner, "t", user=name).token


def test_projects_members_and_roles_on_the_client(client):
    project = client.projects.create("churn", description="churn model")
    assert (project.name, project.role) == ("churn", "admin")
    assert {p.name for p in client.projects.list()} == {"default", "churn"}
    client.users.create("ann", role=Role.ANNOTATOR)
    assert {m.user: m.role for m in client.members.list()} == {"ann": "annotator"}
    assert client.members.set("ann", "reviewer").role == "reviewer"
    names = [r.name for r in client.roles.list()]
    assert names[:5] == ["viewer", "annotator", "reviewer", "editor", "admin"]
    assert {"datasets.read", "labels.review", "models.promote", "admin"} <= \
        {p.name for p in client.roles.permissions()}
    role = client.roles.create("model-consumer", ["models.read", "rag.ask"])
    assert role.permissions == ["models.read", "rag.ask"] and not role.builtin
    with pytest.raises(InvalidInput) as err:
        client.roles.create("bad", ["models.read", "models.fly"])
    assert err.value.code == "unknown_permission" and err.value.details["unknown"] == [
        "models.fly"]
    with pytest.raises(AlreadyExists):
        client.roles.create("editor", ["models.read"])
    client.members.set("ann", "model-consumer")
    with pytest.raises(Conflict) as held:
        client.roles.delete("model-consumer")
    assert held.value.code == "role_in_use"
    client.members.remove("ann")
    client.roles.delete("model-consumer")
    with pytest.raises(NotFound) as gone:
        client.members.set("ann", "model-consumer")
    assert gone.value.code == "role_not_found"
    client.members.set("ann", "viewer")
    actions = [e.action for e in client.audit(limit=50)]
    for action in ("project.create", "member.add", "member.change", "member.remove",
                   "role.create", "role.delete", "user.create"):
        assert action in actions, action


def test_a_role_is_held_per_project(platform, app):
    owner = platform.local_context()
    platform.projects.create(owner, "lab")
    token = _user(platform, "default", "vic", Role.VIEWER)
    platform.access.set_member(platform.local_context("lab"), "vic", Role.EDITOR)
    default, lab = _remote(app, token), _remote(app, token, "lab")
    lab.datasets.append("t", [{"a": 1}])  # an editor in lab
    with pytest.raises(Forbidden) as err:
        default.datasets.append("t", [{"a": 1}])  # a viewer in default
    assert err.value.code == "forbidden" and err.value.details["needs"] == "datasets.write"
    assert default.whoami()["role"] == "viewer" and lab.whoami()["role"] == "editor"
    assert {p.name: p.role for p in lab.projects.list()} == {"default": "viewer",
                                                              "lab": "editor"}


def test_projects_are_boundaries(platform, app):
    """What belongs to one project is not found from another, and a project the caller is
    not a member of answers 404, like one that does not exist."""
    owner = platform.local_context()
    platform.projects.create(owner, "secret")
    admin = platform.local_context("secret")
    platform.appends.append(admin, "payroll", [{"salary": 1}])
    token = _user(platform, "default", "eve", Role.EDITOR)
    eve = _remote(app, token)
    with pytest.raises(NotFound) as err:
        eve.datasets.get("payroll")  # her own project has no such dataset
    assert err.value.code == "dataset_not_found"
    with pytest.raises(NotFound) as err:
        _remote(app, token, "secret").datasets.list()
    assert err.value.code == "project_not_found"
    with pytest.raises(NotFound) as missing:
        _remote(app, token, "nowhere").datasets.list()
    assert str(err.value).replace("secret", "X") == str(missing.value).replace("nowhere", "X")
    assert [p.name for p in eve.projects.list()] == ["default"]


def test_a_scoped_token_works_in_its_project_only(platform, app):
    owner = platform.local_context()
    platform.projects.create(owner, "a")
    platform.projects.create(owner, "b")
    platform.auth.create_user(platform.local_context("a"), "sam", Role.EDITOR)
    platform.access.set_member(platform.local_context("b"), "sam", Role.EDITOR)
    scoped = platform.auth.create_token(owner, "ci", user="sam", project="a")
    assert scoped.project == "a"
    client = _remote(app, scoped.token)  # no project asked for: the token's
    assert client.whoami()["project"] == "a"
    client.datasets.append("rows", [{"x": 1}])
    with pytest.raises(NotFound) as err:
        _remote(app, scoped.token, "b").datasets.list()
    assert err.value.code == "project_not_found"
    with pytest.raises(NotFound):  # sam is not in default
        platform.auth.create_token(owner, "x", user="sam", project="default")
    listed = {t.name: t.project for t in platform.auth.list_tokens(owner)}
    assert listed["ci"] == "a"


def test_a_token_of_a_deleted_project_is_refused_and_nothing_is_lost(platform, app):
    owner = platform.local_context()
    platform.projects.create(owner, "gone")
    platform.appends.append(platform.local_context("gone"), "kept", [{"a": 1}, {"a": 2}])
    platform.auth.create_user(platform.local_context("gone"), "ida", Role.VIEWER)
    token = platform.auth.create_token(owner, "t", user="ida", project="gone").token
    platform.projects.delete(owner, "gone")
    with pytest.raises(Unauthorized) as err:
        _remote(app, token).datasets.list()
    assert err.value.code == "token_project_deleted"
    with pytest.raises(NotFound):
        platform.local_context("gone")
    assert [p.name for p in platform.projects.list(owner, deleted=True)] == ["gone"]
    with pytest.raises(AlreadyExists):
        platform.projects.create(owner, "gone")
    with pytest.raises(InvalidInput) as default:
        platform.projects.delete(owner, "default")
    assert default.value.code == "default_project"
    platform.projects.restore(owner, "gone")
    assert _remote(app, token).datasets.get("kept").latest.row_count == 2


def test_annotators_label_reviewers_commit(platform):
    from sluice.core.labels.models import SourceKind

    owner = platform.local_context()
    platform.appends.append(owner, "texts", [{"id": i, "text": f"t{i}"} for i in range(3)],
                            key_column="id")
    platform.labels.create_schema(owner, "texts", "topic", classes=["a", "b"],
                                  column="text")
    for name, role in (("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER)):
        platform.auth.create_user(owner, name, role)
    ann = platform.context(platform.auth.principal_by_name("ann"))
    rev = platform.context(platform.auth.principal_by_name("rev"))
    platform.labels.annotate(ann, "texts", "topic", "0", label="a")
    with pytest.raises(Forbidden):
        platform.labels.annotate(ann, "texts", "topic", "0", label="b",
                                 source_kind=SourceKind.REVIEW)
    with pytest.raises(Forbidden):
        platform.labels.commit(ann, "texts", "topic")
    assert platform.labels.finish_session(ann, "texts", "topic") is None  # kept, not committed
    platform.labels.resolve(rev, "texts", "topic", "0", "b")
    assert platform.labels.commit(rev, "texts", "topic").number == 2
    with pytest.raises(Forbidden):
        platform.labels.create_schema(rev, "texts", "other", classes=["x", "y"],
                                      column="text")


def test_members_and_roles_from_the_cli(tmp_path):
    from tests.cli.test_cli import js, run

    home = tmp_path / "home"
    run(home, "users", "create", "bo", "--role", "viewer")
    assert js(run(home, "projects", "create", "ml", "--json"))["name"] == "ml"
    member = js(run(home, "--project", "ml", "members", "set", "bo", "editor", "--json"))
    assert member == {**member, "user": "bo", "role": "editor"}
    listed = js(run(home, "--project", "ml", "members", "list", "--json"))
    assert [(m["user"], m["role"]) for m in listed] == [("bo", "editor")]
    role = js(run(home, "roles", "create", "reader", "-p", "datasets.read", "--json"))
    assert role["permissions"] == ["datasets.read"]
    bad = run(home, "roles", "create", "x", "-p", "nope.nope", "--json", check=False)
    assert bad.returncode != 0 and "unknown_permission" in bad.stdout + bad.stderr
    assert "datasets.write" in run(home, "roles", "permissions").stdout
    token = js(run(home, "tokens", "create", "ci", "--user", "bo", "--only-project", "ml",
                   "--json"))
    assert token["project"] == "ml"
    run(home, "projects", "delete", "ml")
    assert js(run(home, "projects", "list", "--deleted", "--json"))[0]["name"] == "ml"
    run(home, "projects", "restore", "ml")


def test_create_user_with_a_role_that_does_not_exist(platform):
    with pytest.raises(NotFound) as err:
        platform.auth.create_user(platform.local_context(), "zed", "wizard")
    assert err.value.code == "role_not_found"
    assert "zed" not in {u.name for u in platform.auth.list_users(platform.local_context())}
