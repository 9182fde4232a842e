"""A small client for OpenAI-compatible HTTP APIs (vLLM, llama.cpp server, Ollama, hosted).

Every failure becomes a SluiceError: a timeout, an unreachable server, an error status,
or a body that is not what the API promises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx

from sluice.errors import ExternalService, InvalidInput, Timeout

if TYPE_CHECKING:
    from sluice.settings import Settings


class OpenAIHttp:
    def __init__(self, base_url: str, api_key: str | None, timeout: float) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, headers=headers,
                                   timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIHttp:
        if not settings.openai_base_url:
            raise InvalidInput("set SLUICE_OPENAI_BASE_URL to use the 'openai' provider",
                               code="provider_not_configured")
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return cls(settings.openai_base_url, key, settings.llm_timeout_seconds)

    def bad_response(self, message: str) -> ExternalService:
        return ExternalService(f"{self.base_url}: {message}", code="provider_bad_response")

    def post_json(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(path, json=payload)
        except httpx.TimeoutException as exc:
            raise self._timeout() from exc
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        self._check(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise self.bad_response("the response is not JSON") from exc
        if not isinstance(body, dict):
            raise self.bad_response("the response is not a JSON object")
        return body

    def stream_json(self, path: str, payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Server-sent events of a streaming call, each parsed from JSON."""
        try:
            with self.client.stream("POST", path, json=payload) as response:
                if response.status_code >= 400:
                    response.read()
                self._check(response)
                yield from self._events(response.iter_lines())
        except httpx.TimeoutException as exc:
            raise self._timeout() from exc
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc

    def _events(self, lines: Iterator[str]) -> Iterator[dict[str, Any]]:
        for line in lines:
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except ValueError as exc:
                raise self.bad_response(f"a streamed event is not JSON: {data[:100]}") from exc
            if isinstance(event, dict):
                yield event

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise ExternalService(
                f"{self.base_url} answered {response.status_code}: {response.text[:300]}",
                code="provider_error", details={"status": response.status_code})

    def _timeout(self) -> Timeout:
        return Timeout(f"{self.base_url} did not answer in time (llm_timeout_seconds)",
                       code="provider_timeout")

    def _unreachable(self, exc: Exception) -> ExternalService:
        return ExternalService(f"cannot reach {self.base_url}: {exc}",
                               code="provider_unreachable")
