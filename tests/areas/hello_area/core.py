"""The hello area's service, table and job kind: no web or CLI imports here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from sluice.core.context import Ctx
from sluice.core.events.acting import acting_for
from sluice.core.events.models import Event
from sluice.core.jobs.context import JobContext
from sluice.core.jobs.models import JobInfo
from sluice.core.jobs.registry import job_handler
from sluice.errors import InvalidInput

METADATA = sa.MetaData()
GREETINGS = sa.Table(
    "hello_greetings", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("by", sa.String(200), nullable=False),
)
KIND = "hello.greet_many"


class Greeting(BaseModel):
    name: str
    text: str
    times: int


class HelloService:
    def __init__(self, platform: Any) -> None:
        self.db, self.audit, self.jobs = platform.db, platform.audit, platform.jobs

    def greet(self, ctx: Ctx, name: str) -> Greeting:
        """Greet ``name`` and count how often this project has."""
        ctx.require("hello.greet", "greet")
        name = name.strip()
        if not 0 < len(name) <= 100:
            raise InvalidInput("a name is 1 to 100 characters", code="bad_name")
        with self.db.session() as s:
            s.execute(GREETINGS.insert().values(project_id=ctx.project_id, name=name,
                                                by=ctx.actor.name))
            times = s.scalar(sa.select(sa.func.count()).select_from(GREETINGS).where(
                GREETINGS.c.project_id == ctx.project_id, GREETINGS.c.name == name))
        self.audit.record(ctx, "hello.greet", name)
        return Greeting(name=name, text=f"Hello, {name}!", times=int(times or 0))

    def greet_many(self, ctx: Ctx, names: list[str]) -> JobInfo:
        """A job greeting each name in turn."""
        return self.jobs.submit(ctx, KIND, {"names": names})


def on_dataset_committed(platform: Any, event: Event) -> None:
    """A subscriber: greet each dataset when a version of it is committed."""
    ctx = acting_for(platform.projects, event)
    if ctx is not None:
        platform.service("hello").greet(ctx, f"dataset {event.payload['dataset']}")


@job_handler(KIND, permission="hello.greet")
def greet_many(platform: Any, job: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    service: HelloService = platform.service("hello")
    names = list(params["names"])
    for done, name in enumerate(names, 1):
        job.check_cancelled()
        service.greet(job.ctx, name)
        job.progress(done, len(names))
    return {"greeted": len(names)}
