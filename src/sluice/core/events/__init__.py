"""Domain events: the durable log every state change writes (an outbox) and the
subscribers that read it.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.events.models import Event as Event, SubscriberState as SubscriberState

__getattr__, __dir__ = lazy_exports(__name__, __file__)
