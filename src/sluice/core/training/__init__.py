"""Training: AutoML for tables and text, as jobs whose trials are tracked runs and whose
best model is registered with its card.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.training.artifact import Predictor as Predictor
    from sluice.core.training.models import (
        Check as Check,
        FinetuneRequest as FinetuneRequest,
        FinetuneResult as FinetuneResult,
        Finetuning as Finetuning,
        LeaderboardEntry as LeaderboardEntry,
        Measured as Measured,
        Preview as Preview,
        SearchResult as SearchResult,
        Task as Task,
        Training as Training,
        TrainRequest as TrainRequest,
        TrainResult as TrainResult,
        Trial as Trial,
    )
    from sluice.core.training.service import TrainingService as TrainingService
    from sluice.core.training.tabular import prepare as prepare, search as search

__getattr__, __dir__ = lazy_exports(__name__, __file__)
