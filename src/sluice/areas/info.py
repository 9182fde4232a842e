"""What each area brings, as data: the areas page, ``sluice areas`` and the API read this.

Describing an area imports its door modules (to list routes and commands), so this lives
apart from the registry, which imports nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sluice import areas as registry
from sluice.areas import Area, AreaProblem


class NavInfo(BaseModel):
    label: str
    href: str


class AreaInfo(BaseModel):
    name: str
    summary: str
    source: str
    service: bool
    job_kinds: list[str]
    api_routes: list[str]
    pages: list[str]
    nav: list[NavInfo]
    commands: list[str]
    sdk: list[str]
    tables: list[str]
    permissions: list[str] = []
    subscribers: list[str] = []


class AreaProblemInfo(BaseModel):
    area: str
    part: str
    error: str


class AreasReport(BaseModel):
    areas: list[AreaInfo]
    problems: list[AreaProblemInfo]


def report() -> AreasReport:
    """Every area with what it brings, and the parts that failed to load."""
    described = [describe(area) for area in registry.areas()]
    return AreasReport(areas=described, problems=[_problem(p) for p in registry.problems()])


def describe_named(name: str) -> AreaInfo:
    """One area. Raises NotFound (``unknown_area``)."""
    return describe(registry.get(name))


def describe(area: Area) -> AreaInfo:
    return AreaInfo(
        name=area.name, summary=area.summary, source=area.source,
        service=area.service is not None, job_kinds=_job_kinds(area),
        api_routes=[f"{m} {path}" for m, path in _routes(area, area.api, schema=True)],
        pages=[path for m, path in _routes(area, area.web, schema=False) if m == "GET"],
        nav=[NavInfo(label=n.label, href=n.href) for n in area.nav],
        commands=_commands(area), sdk=[f"client.{p.attr}" for p in area.sdk],
        tables=_tables(area), permissions=[p.name for p in area.permissions],
        subscribers=[f"{area.name}.{s.name}" for s in area.subscribers])


def _problem(problem: AreaProblem) -> AreaProblemInfo:
    return AreaProblemInfo(area=problem.area, part=problem.part, error=problem.error)


def _job_kinds(area: Area) -> list[str]:
    from sluice.core.jobs.registry import kinds_from

    loaded = [m.__name__ for m in registry.parts(area, "jobs", area.jobs, None)]
    return kinds_from(loaded)


def _routes(area: Area, refs: tuple[str, ...], *, schema: bool) -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    found = []
    for router in registry.parts(area, "routes", refs, "router"):
        for route in router.routes:
            if not isinstance(route, APIRoute) or (not schema and route.path.endswith(".json")):
                continue
            found += [(m, route.path) for m in sorted((route.methods or set()) - {"HEAD"})]
    return found


def _commands(area: Area) -> list[str]:
    import typer

    import sluice.cli.main  # noqa: F401 - the CLI first, so command modules import cleanly

    probe = typer.Typer()
    for hook in registry.parts(area, "cli", area.cli, "add_commands"):
        hook(probe)
    names = [(c.name or _name(c.callback)) for c in probe.registered_commands]
    return [*names, *(g.name or "" for g in probe.registered_groups)]


def _name(callback: Any) -> str:
    return str(getattr(callback, "__name__", "?")).replace("_", "-")


def _tables(area: Area) -> list[str]:
    if area.tables is None:
        return []
    return [name for metadata in registry.parts(area, "tables", [area.tables], None)
            for name in metadata.tables]
