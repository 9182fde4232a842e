"""Users, sign-in and API tokens.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.auth.service import (
        ANY_KIND as ANY_KIND,
        MAX_TOKEN_DAYS as MAX_TOKEN_DAYS,
        NewToken as NewToken,
        TokenInfo as TokenInfo,
        UserInfo as UserInfo,
    )

__getattr__, __dir__ = lazy_exports(__name__, __file__)
