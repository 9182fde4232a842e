"""Experiment tracking: experiments, runs, params, stepped metrics, tags, artifacts.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.tracking.artifacts import join as join, safe_relpath as safe_relpath
    from sluice.core.tracking.compare import RunComparison as RunComparison
    from sluice.core.tracking.models import (
        ArtifactEntry as ArtifactEntry,
        Experiment as Experiment,
        LoggedModel as LoggedModel,
        Metric as Metric,
        MetricPage as MetricPage,
        Run as Run,
        RunInput as RunInput,
        RunPage as RunPage,
        RunStatus as RunStatus,
    )

__getattr__, __dir__ = lazy_exports(__name__, __file__)
