"""Versioned prompt templates. A trace records the ``name@version`` it used, so an answer
can always be traced back to the exact words sent to the model."""

from __future__ import annotations

from dataclasses import dataclass

from sluice.errors import NotFound


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: int
    system: str
    user: str

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def messages(self, **values: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system.format(**values)},
                {"role": "user", "content": self.user.format(**values)}]


_TEMPLATES = {t.ref: t for t in [
    PromptTemplate(
        "rag-answer", 1,
        system=("You answer questions using only the numbered sources you are given. "
                "Cite the sources you use in square brackets, like [1] or [2][3]. If the "
                "sources do not contain the answer, say that you do not know."),
        user="Sources:\n{sources}\n\nQuestion: {question}\nAnswer:",
    ),
]}
DEFAULT_PROMPT = "rag-answer@1"


def get_prompt(ref: str = DEFAULT_PROMPT) -> PromptTemplate:
    try:
        return _TEMPLATES[ref]
    except KeyError:
        raise NotFound(f"no prompt template {ref!r}; known: {', '.join(sorted(_TEMPLATES))}",
                       code="prompt_not_found") from None


def prompt_refs() -> list[str]:
    return sorted(_TEMPLATES)
