"""Loading registered models from safe formats only.

skops (scikit-learn), LightGBM's text format, safetensors, ONNX and Sluice's own trained
models (``sluice_model.json`` with LightGBM text or a linear model's numbers) load without running
code from the file. A pickle (``.pkl``, ``.pickle``, ``.joblib``, ``.cloudpickle``) can run
anything on load, so it needs ``allow_pickle=True`` in a local session and is always refused
over the API.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluice.core.tracking.artifacts import safe_relpath
from sluice.errors import Forbidden, InvalidInput, NotFound, Unavailable

if TYPE_CHECKING:
    from sluice.core.context import Ctx
    from sluice.core.tracking.service import TrackingService

SAFE_FORMATS = ("sluice", "skops", "lightgbm", "safetensors", "onnx")
_PICKLE = re.compile(r"\.(pkl|pickle|joblib|cloudpickle)$", re.IGNORECASE)
_TRUSTED_MODULES = ("sklearn.", "numpy.", "scipy.", "collections.", "builtins.")


def detect_format(files: list[str]) -> str:
    """The serialisation of a model folder's files: a safe format, ``pickle`` or ``unknown``."""
    names = [f.rsplit("/", 1)[-1] for f in files]
    if "sluice_model.json" in names:
        return "sluice"
    if any(n.endswith(".skops") for n in names):
        return "skops"
    if any(n.endswith(".onnx") for n in names):
        return "onnx"
    if any(n.endswith(".safetensors") for n in names):
        return "safetensors"
    if any(n.endswith(".lgb") or n in ("model.lgb.txt", "lightgbm.txt") for n in names):
        return "lightgbm"
    if any(_PICKLE.search(n) for n in names):
        return "pickle"
    return "unknown"


@dataclass
class LoadedModel:
    """A loaded model and how to call it."""

    format: str
    raw: Any
    _predict: Callable[[Any], Any]

    def predict(self, inputs: Any) -> Any:
        return self._predict(inputs)


def load_model(tracking: TrackingService, ctx: Ctx, root: str, *,
               allow_pickle: bool = False) -> LoadedModel:
    """Load the model whose files are under the artifact path ``root``.

    Raises:
        Forbidden: the model is a pickle and ``allow_pickle`` is false.
        InvalidInput: no loadable model file is there.
    """
    files = [f.path for f in tracking.artifacts.files(ctx, root)]

    def fetch(name: str, target: Path) -> None:
        with tracking.artifacts.open(ctx, f"{root}/{name}") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)

    return load_files(files, fetch, allow_pickle=allow_pickle, where=root)


def load_files(files: list[str], fetch: Callable[[str, Path], None], *,
               allow_pickle: bool = False, where: str = "") -> LoadedModel:
    """Check the format of a model's ``files``, fetch them into a temporary folder, load."""
    if not files:
        raise NotFound(f"no model files under {where!r}", code="model_files_not_found")
    fmt = detect_format(files)
    if fmt == "pickle" and not allow_pickle:
        raise Forbidden("this model is a pickle, which can run any code when loaded; "
                        "re-save it as skops, LightGBM text, safetensors or ONNX, or load it "
                        "locally with allow_pickle=True if you trust its author",
                        code="unsafe_model_format", details={"format": fmt})
    if fmt == "unknown":
        raise InvalidInput(f"no model file in a known format under {where!r} "
                           f"({', '.join(SAFE_FORMATS)})", code="unknown_model_format")
    folder = Path(tempfile.mkdtemp(prefix="sluice-model-"))
    try:
        for name in files:
            target = folder / safe_relpath(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            fetch(name, target)
        return _LOADERS[fmt](folder, files)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _first(folder: Path, files: list[str], pattern: str) -> Path:
    for name in files:
        if re.search(pattern, name, re.IGNORECASE):
            return folder / name
    raise NotFound(f"no file matching {pattern}", code="model_files_not_found")


def _skops(folder: Path, files: list[str]) -> LoadedModel:
    import skops.io as sio

    path = _first(folder, files, r"\.skops$")
    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if not t.startswith(_TRUSTED_MODULES)]
    if refused:
        raise Forbidden(f"the skops file holds types outside scikit-learn/numpy/scipy: "
                        f"{', '.join(refused[:5])}", code="unsafe_model_format")
    model = sio.load(path, trusted=untrusted)
    return LoadedModel("skops", model, model.predict)


def _lightgbm(folder: Path, files: list[str]) -> LoadedModel:
    try:
        import lightgbm
    except ImportError as exc:
        raise Unavailable("loading LightGBM models needs `pip install lightgbm`",
                          code="missing_dependency") from exc
    booster = lightgbm.Booster(model_file=str(_first(folder, files, r"(\.lgb|lightgbm\.txt)$")))
    return LoadedModel("lightgbm", booster, booster.predict)


def _safetensors(folder: Path, files: list[str]) -> LoadedModel:
    from safetensors.numpy import load_file

    tensors = load_file(str(_first(folder, files, r"\.safetensors$")))

    def no_predict(_: Any) -> Any:
        raise InvalidInput("a safetensors file holds weights only; load them into your "
                           "model class (LoadedModel.raw)", code="not_callable")

    return LoadedModel("safetensors", tensors, no_predict)


def _onnx(folder: Path, files: list[str]) -> LoadedModel:
    try:
        import onnxruntime
    except ImportError as exc:
        raise Unavailable("running ONNX models needs `pip install onnxruntime`",
                          code="missing_dependency") from exc
    session = onnxruntime.InferenceSession(str(_first(folder, files, r"\.onnx$")))
    name = session.get_inputs()[0].name

    def predict(inputs: Any) -> Any:
        import numpy as np

        return session.run(None, {name: np.asarray(inputs, dtype=np.float32)})[0]

    return LoadedModel("onnx", session, predict)


def _sluice(folder: Path, files: list[str]) -> LoadedModel:
    from sluice.core.training import Predictor

    predictor = Predictor.load(_first(folder, files, r"(^|/)sluice_model\.json$").parent)
    return LoadedModel("sluice", predictor, predictor.predict)


def _pickle(folder: Path, files: list[str]) -> LoadedModel:
    import pickle

    with _first(folder, files, _PICKLE.pattern).open("rb") as fh:
        model = pickle.load(fh)
    return LoadedModel("pickle", model, model.predict)


_LOADERS: dict[str, Callable[[Path, list[str]], LoadedModel]] = {
    "sluice": _sluice, "skops": _skops, "lightgbm": _lightgbm, "safetensors": _safetensors,
    "onnx": _onnx, "pickle": _pickle,
}
