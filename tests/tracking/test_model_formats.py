"""Every safe format loads through the registry, locally and over REST; formats are
recognised from the model's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sluice.core.registry.loading import detect_format
from sluice.errors import InvalidInput


@pytest.mark.parametrize(("files", "expected"), [
    (["MLmodel", "model.skops", "conda.yaml"], "skops"),
    (["model.lgb"], "lightgbm"),
    (["weights.safetensors", "config.json"], "safetensors"),
    (["model.onnx"], "onnx"),
    (["model.pkl"], "pickle"),
    (["sub/model.joblib"], "pickle"),
    (["README.md"], "unknown"),
])
def test_detect_format(files: list[str], expected: str) -> None:
    assert detect_format(files) == expected


def _register(client: Any, tmp_path: Path, name: str, file: Path) -> None:
    with client.run(experiment="formats") as run:
        run.log_artifact(file, artifact_path="model")
    client.models.register(name, f"runs:/{run.id}/model")


def test_lightgbm_text_model(door_client: Any, tmp_path: Path) -> None:
    import lightgbm as lgb

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 5))
    y = (x[:, 0] - x[:, 2] > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7},
                        lgb.Dataset(x, y), num_boost_round=10)
    path = tmp_path / "model.lgb"
    booster.save_model(str(path))
    assert path.read_text().startswith("tree")  # the text format, not a pickle
    _register(door_client, tmp_path, "gbm", path)
    loaded = door_client.models.load("models:/gbm/1")
    assert loaded.format == "lightgbm"
    np.testing.assert_allclose(loaded.predict(x[:20]), booster.predict(x[:20]))


def test_safetensors_weights(door_client: Any, tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    weights = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.ones(4, np.float32)}
    path = tmp_path / "weights.safetensors"
    save_file(weights, str(path))
    _register(door_client, tmp_path, "weights", path)
    loaded = door_client.models.load("models:/weights/latest")
    assert loaded.format == "safetensors"
    np.testing.assert_array_equal(loaded.raw["w"], weights["w"])
    with pytest.raises(InvalidInput) as err:
        loaded.predict([[1, 2, 3]])
    assert err.value.code == "not_callable"


def test_onnx_graph(door_client: Any, tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
        initializer=[numpy_helper.from_array(w, name="w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    _register(door_client, tmp_path, "linear", path)
    loaded = door_client.models.load("models:/linear/1")
    assert loaded.format == "onnx"
    x = np.array([[1, 2, 3], [0, 1, 0]], dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x), x @ w, rtol=1e-6)
