"""Background jobs: queued, run by an executor, logged, cancellable.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.jobs.models import JobInfo as JobInfo, JobLog as JobLog, JobState as JobState
    from sluice.core.jobs.waiting import poll_until_finished as poll_until_finished

__getattr__, __dir__ = lazy_exports(__name__, __file__)
