"""Opaque page tokens (base64 JSON offsets), as the MLflow API hands them out."""

from __future__ import annotations

import base64
import json

from sluice.errors import InvalidInput


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("invalid page token; pass back the one a page gave you",
                           code="invalid_page_token") from None
    if offset < 0:
        raise InvalidInput("invalid page token", code="invalid_page_token")
    return offset
