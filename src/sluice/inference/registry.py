"""A registry of named model providers, each loaded once per process and settings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.settings import Settings

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what  # "embedder", "LLM": used in error messages and codes
        self._factories: dict[str, Callable[[Settings], T]] = {}
        self._loaded: dict[tuple[Hashable, ...], T] = {}
        self._lock = threading.Lock()

    def register(self, name: str) -> Callable[[Callable[[Settings], T]], Callable[[Settings], T]]:
        def add(factory: Callable[[Settings], T]) -> Callable[[Settings], T]:
            self._factories[name] = factory
            return factory

        return add

    def names(self) -> list[str]:
        return sorted(self._factories)

    def check(self, name: str) -> None:
        if name not in self._factories:
            raise InvalidInput(f"unknown {self.what} {name!r}; choose one of "
                               f"{', '.join(self.names())}",
                               code=f"unknown_{self.what.lower()}")

    def loaded(self) -> list[tuple[str, T]]:
        """The providers built so far in this process, with their names."""
        with self._lock:
            return [(str(key[0]), provider) for key, provider in self._loaded.items()]

    def get(self, name: str, settings: Settings, key: tuple[Hashable, ...]) -> T:
        """The provider ``name``, built once per ``key`` (the settings it depends on)."""
        self.check(name)
        with self._lock:
            if (name, *key) not in self._loaded:
                self._loaded[(name, *key)] = self._factories[name](settings)
            return self._loaded[(name, *key)]
