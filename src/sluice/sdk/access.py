"""``client.projects``, ``client.members`` and ``client.roles``: who may do what where."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING
from urllib.parse import quote

from sluice.core.access import MemberInfo, PermissionInfo, RoleInfo
from sluice.core.projects import ProjectInfo

if TYPE_CHECKING:
    from sluice.sdk.local import LocalClient
    from sluice.sdk.remote import RemoteClient


def _q(value: str) -> str:
    return quote(str(value), safe="")


class ProjectsAPI(ABC):
    """``client.projects``: the projects you belong to; workspace admins create, delete
    and restore them."""

    @abstractmethod
    def list(self, *, deleted: bool = False) -> builtins.list[ProjectInfo]:
        """Your projects with your role in each (admins: all; ``deleted``: the deleted)."""

    @abstractmethod
    def create(self, name: str, *, description: str = "") -> ProjectInfo:
        """A new, empty project (workspace admins)."""

    @abstractmethod
    def delete(self, name: str) -> ProjectInfo:
        """Hide a project; its data, members and tokens stay until it is restored."""

    @abstractmethod
    def restore(self, name: str) -> ProjectInfo:
        """Bring a deleted project back, as it was."""


class MembersAPI(ABC):
    """``client.members``: who holds which role in the client's project."""

    @abstractmethod
    def list(self) -> builtins.list[MemberInfo]:
        """The project's members and their roles."""

    @abstractmethod
    def set(self, user: str, role: str) -> MemberInfo:
        """Add ``user`` with ``role``, or change their role (needs ``admin``)."""

    @abstractmethod
    def remove(self, user: str) -> None:
        """Take ``user`` out of the project (needs ``admin``)."""


class RolesAPI(ABC):
    """``client.roles``: the built-in and custom roles and the permissions they grant."""

    @abstractmethod
    def list(self) -> builtins.list[RoleInfo]:
        """Every role with its permissions."""

    @abstractmethod
    def permissions(self) -> builtins.list[PermissionInfo]:
        """Every permission the areas define."""

    @abstractmethod
    def create(self, name: str, permissions: builtins.list[str], *,
               description: str = "") -> RoleInfo:
        """A custom role granting exactly ``permissions`` (workspace admins)."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Delete a custom role nobody holds."""


class LocalProjects(ProjectsAPI):
    def __init__(self, client: LocalClient) -> None:
        self.service, self.ctx = client.platform.projects, client.ctx

    def list(self, *, deleted: bool = False) -> builtins.list[ProjectInfo]:
        return self.service.list(self.ctx, deleted=deleted)

    def create(self, name: str, *, description: str = "") -> ProjectInfo:
        return self.service.create(self.ctx, name, description)

    def delete(self, name: str) -> ProjectInfo:
        return self.service.delete(self.ctx, name)

    def restore(self, name: str) -> ProjectInfo:
        return self.service.restore(self.ctx, name)


class RemoteProjects(ProjectsAPI):
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def list(self, *, deleted: bool = False) -> builtins.list[ProjectInfo]:
        return self.http.model(builtins.list[ProjectInfo], "GET", "/projects",
                               params={"deleted": deleted})

    def create(self, name: str, *, description: str = "") -> ProjectInfo:
        return self.http.model(ProjectInfo, "POST", "/projects",
                               json={"name": name, "description": description})

    def delete(self, name: str) -> ProjectInfo:
        return self.http.model(ProjectInfo, "DELETE", f"/projects/{_q(name)}")

    def restore(self, name: str) -> ProjectInfo:
        return self.http.model(ProjectInfo, "POST", f"/projects/{_q(name)}/restore")


class LocalMembers(MembersAPI):
    def __init__(self, client: LocalClient) -> None:
        self.service, self.ctx = client.platform.access, client.ctx

    def list(self) -> builtins.list[MemberInfo]:
        return self.service.members(self.ctx)

    def set(self, user: str, role: str) -> MemberInfo:
        return self.service.set_member(self.ctx, user, role)

    def remove(self, user: str) -> None:
        self.service.remove_member(self.ctx, user)


class RemoteMembers(MembersAPI):
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def list(self) -> builtins.list[MemberInfo]:
        return self.http.model(builtins.list[MemberInfo], "GET", "/members")

    def set(self, user: str, role: str) -> MemberInfo:
        return self.http.model(MemberInfo, "PUT", f"/members/{_q(user)}", json={"role": role})

    def remove(self, user: str) -> None:
        self.http.call("DELETE", f"/members/{_q(user)}")


class LocalRoles(RolesAPI):
    def __init__(self, client: LocalClient) -> None:
        self.service, self.ctx = client.platform.access, client.ctx

    def list(self) -> builtins.list[RoleInfo]:
        return self.service.roles()

    def permissions(self) -> builtins.list[PermissionInfo]:
        return self.service.permissions()

    def create(self, name: str, permissions: builtins.list[str], *,
               description: str = "") -> RoleInfo:
        return self.service.create_role(self.ctx, name, permissions, description)

    def delete(self, name: str) -> None:
        self.service.delete_role(self.ctx, name)


class RemoteRoles(RolesAPI):
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    def list(self) -> builtins.list[RoleInfo]:
        return self.http.model(builtins.list[RoleInfo], "GET", "/roles")

    def permissions(self) -> builtins.list[PermissionInfo]:
        return self.http.model(builtins.list[PermissionInfo], "GET", "/permissions")

    def create(self, name: str, permissions: builtins.list[str], *,
               description: str = "") -> RoleInfo:
        body = {"name": name, "permissions": permissions, "description": description}
        return self.http.model(RoleInfo, "POST", "/roles", json=body)

    def delete(self, name: str) -> None:
        self.http.call("DELETE", f"/roles/{_q(name)}")
