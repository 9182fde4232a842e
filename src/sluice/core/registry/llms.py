"""Registered language models as generators, wherever a model is chosen (``sluice ask
--model``, the OpenAI routes' ``model``): a bundled provider by name (``smollm2``,
``openai``), or a model version Sluice tuned, by ``name@alias``, ``name/3`` or ``name``:

- a LoRA adapter (tag ``sluice.training=lora``): its files, plus the base its
  ``base_model`` tag names (``smollm2`` or a model folder), merged in memory;
- a merged model (``sluice.training=merged``): a whole model folder of its own.

The files are fetched once into the model cache and the model is loaded once per process
(the two most recently used stay loaded). Only safetensors are read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sluice.core.context import Ctx
from sluice.errors import InvalidInput, NotFound
from sluice.inference.llms import LLM, bundled_folder, get_llm, llm_names, tuned_llm

if TYPE_CHECKING:
    from sluice.core.registry.models import ModelVersion
    from sluice.core.registry.service import ModelHub
    from sluice.settings import Settings

TUNED_KINDS = ("lora", "merged")
BUNDLED_BASE = "smollm2"
DONE = ".complete"


class LanguageModels:
    """Turns a model reference into a generator."""

    def __init__(self, hub: ModelHub, settings: Settings) -> None:
        self.hub, self.settings = hub, settings

    def get(self, ctx: Ctx, ref: str | None = None) -> LLM:
        """The generator ``ref`` names; the configured one when ``ref`` is empty.

        Raises:
            NotFound: no such model or version.
            InvalidInput: ``not_a_language_model`` for a registered model that is not a
                tuned language model; ``base_model_missing`` when an adapter's base is gone.
        """
        if not ref or ref in llm_names():
            return get_llm(self.settings, ref or None)
        version = self.hub.resolve(ctx, ref)
        kind = version.tags.get("sluice.training", "")
        if kind not in TUNED_KINDS:
            raise InvalidInput(
                f"{ref!r} is not a language model; name {', '.join(llm_names())} or a "
                "registered LoRA adapter or merged model from `sluice finetune`",
                code="not_a_language_model", details={"model": ref})
        folder = self.fetch(ctx, version)
        key = (self.ident(ctx, version), self.settings.device)
        if kind == "merged":
            return tuned_llm(self.settings, ref, key, folder)
        return tuned_llm(self.settings, ref, key, self.base(version), folder)

    def names(self, ctx: Ctx) -> list[str]:
        """Registered tuned language models, as ``name/version``."""
        found = []
        for model in self.hub.registry.list(ctx):
            for version in self.hub.registry.versions(ctx, model.name):
                if version.tags.get("sluice.training") in TUNED_KINDS:
                    found.append(f"{version.name}/{version.version}")
        return found

    def base(self, version: ModelVersion) -> Path:
        base = version.tags.get("base_model", "")
        if base == BUNDLED_BASE:
            return bundled_folder(self.settings)
        folder = Path(base)
        if not base or not (folder / "config.json").is_file():
            raise InvalidInput(f"the base model of {version.name} v{version.version} "
                               f"({base or 'not named'}) is not a model folder here",
                               code="base_model_missing", details={"base": base})
        return folder

    def ident(self, ctx: Ctx, version: ModelVersion) -> str:
        """Names this version in this workspace (the model cache is shared by all)."""
        text = "\n".join((self.settings.resolved_database_url, ctx.project_id, version.name,
                          str(version.version), version.source, version.run_id or ""))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def fetch(self, ctx: Ctx, version: ModelVersion) -> Path:
        """The version's files in the model cache, copied there once (whole or not at all)."""
        from sluice.core.tracking.artifacts import safe_relpath

        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", version.name)[:64]
        target = (self.settings.resolved_model_cache / "tuned"
                  / f"{safe}-{version.version}-{self.ident(ctx, version)}")
        if (target / DONE).is_file():
            return target
        root = self.hub.root(ctx, version)
        files = [f.path for f in self.hub.tracking.artifacts.files(ctx, root)]
        if not files:
            raise NotFound(f"{version.name} v{version.version} has no files",
                           code="model_files_not_found")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        try:
            for name in files:
                dest = tmp / safe_relpath(name)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with self.hub.tracking.artifacts.open(ctx, f"{root}/{name}") as src, \
                        dest.open("wb") as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)
            (tmp / DONE).touch()
            shutil.rmtree(target, ignore_errors=True)  # a copy left half-made
            try:
                os.rename(tmp, target)
            except OSError:
                if not (target / DONE).is_file():  # not a concurrent caller's copy
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target
