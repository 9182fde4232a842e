"""The model registry: registered models, numbered versions, aliases, cards, safe loading.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.registry.loading import LoadedModel as LoadedModel, load_files as load_files
    from sluice.core.registry.models import (
        AliasChange as AliasChange,
        ModelCard as ModelCard,
        ModelVersion as ModelVersion,
        RegisteredModel as RegisteredModel,
    )
    from sluice.core.registry.predict import MAX_ROWS as MAX_ROWS, Prediction as Prediction

__getattr__, __dir__ = lazy_exports(__name__, __file__)
