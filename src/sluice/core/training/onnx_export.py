"""ONNX export of a trained model, checked by equal predictions before it is kept.

The ONNX graph takes the feature matrix the model's recipe makes (``features`` in
``sluice_model.json``: numbers, category codes, text embeddings) as float32 and returns
what the Sluice model returns before naming classes: the probability of the second class
(binary), a probability per class, or the predicted number. LightGBM converts with
onnxmltools; the linear model's graph (mean imputation, scaling, one-hot categories, a
matrix product and a sigmoid or softmax) is written here. A model whose ONNX predictions
differ from its own on a sample is not exported, and the result says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sluice.core.training.families import Fitted, Linear, predict_any
from sluice.core.training.models import Task

ONNX_FILE = "model.onnx"
TOLERANCE = 1e-4  # largest difference allowed, relative to the value for numbers
SAMPLE = 256
OPSET = 17
LIGHTGBM_OPSET = 15  # the newest onnxmltools' LightGBM converter writes


def export(fitted: Fitted, task: Task, x: np.ndarray, folder: Path) -> dict[str, Any]:
    """Write ``model.onnx`` into ``folder`` when it predicts like ``fitted`` on rows of
    ``x``; what happened, for the result and the card."""
    sample = x[:SAMPLE]
    try:
        proto = _lightgbm(fitted, task, x.shape[1]) if fitted.family == "lightgbm" \
            else _linear(fitted.model, task, x.shape[1])
        got = run(proto.SerializeToString(), sample, task)
    except Exception as exc:  # a converter's limits are many and vary by version
        return {"exported": False, "note": f"ONNX conversion failed: {type(exc).__name__}: "
                                           f"{str(exc)[:200]}"}
    want = np.asarray(predict_any(fitted, sample), dtype=float)
    scale = np.maximum(1.0, np.abs(want)) if task is Task.REGRESSION else 1.0
    difference = float(np.max(np.abs(got - want) / scale)) if len(sample) else 0.0
    if not difference <= TOLERANCE:
        return {"exported": False, "max_difference": difference,
                "note": f"ONNX predictions differ from the model's by up to {difference:.2g}"}
    (folder / ONNX_FILE).write_bytes(proto.SerializeToString())
    return {"exported": True, "file": ONNX_FILE, "inputs": int(x.shape[1]),
            "checked_rows": len(sample), "max_difference": difference}


def run(model: bytes, x: np.ndarray, task: Task) -> np.ndarray:
    """The ONNX model's predictions in the Sluice model's shape."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # the converter's label output warns about its shape
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    outputs = session.run(None, {name: x.astype(np.float32)})
    out = np.asarray(outputs[-1] if task is not Task.REGRESSION else outputs[0], dtype=float)
    if task is Task.BINARY:
        return out[:, 1] if out.ndim == 2 and out.shape[1] == 2 else out.reshape(-1)
    return out.reshape(-1) if task is Task.REGRESSION else out


def _lightgbm(fitted: Fitted, task: Task, dims: int) -> Any:
    """(The booster's objective tells the converter the task.)"""
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    return convert_lightgbm(fitted.model, initial_types=[("features",
                                                          FloatTensorType([None, dims]))],
                            target_opset=LIGHTGBM_OPSET, zipmap=False)


def _linear(model: Linear, task: Task, dims: int) -> Any:
    from onnx import TensorProto, helper

    numeric = [i for i in range(dims) if i not in model.onehot]
    means = np.asarray(model.means, dtype=np.float32)
    consts: dict[str, np.ndarray] = {"means": means, "numeric": np.asarray(numeric, dtype=np.int64),
              "m": means[numeric], "s": np.asarray(model.scales, dtype=np.float32)[numeric],
              "coef": np.asarray(model.coef, dtype=np.float32).T,
              "intercept": np.asarray(model.intercept, dtype=np.float32)}
    nodes = [helper.make_node("IsNaN", ["features"], ["missing"]),
             helper.make_node("Where", ["missing", "means", "features"], ["dense"]),
             helper.make_node("Gather", ["dense", "numeric"], ["num"], axis=1),
             helper.make_node("Sub", ["num", "m"], ["centred"]),
             helper.make_node("Div", ["centred", "s"], ["scaled"])]
    parts = ["scaled"]
    for pos, count in sorted(model.onehot.items()):
        consts[f"at{pos}"] = np.asarray([pos], dtype=np.int64)
        consts[f"codes{pos}"] = np.arange(count, dtype=np.float32)
        nodes += [helper.make_node("Gather", ["features", f"at{pos}"], [f"col{pos}"], axis=1),
                  helper.make_node("Equal", [f"col{pos}", f"codes{pos}"], [f"is{pos}"]),
                  helper.make_node("Cast", [f"is{pos}"], [f"hot{pos}"],
                                   to=TensorProto.FLOAT)]
        parts.append(f"hot{pos}")
    nodes += [helper.make_node("Concat", parts, ["design"], axis=1),
              helper.make_node("MatMul", ["design", "coef"], ["product"]),
              helper.make_node("Add", ["product", "intercept"], ["raw"])]
    nodes += _head(task, consts)
    graph = helper.make_graph(
        nodes, "sluice_linear",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, dims])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor(k, _type(v), v.shape, v.flatten().tolist())
                     for k, v in consts.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def _head(task: Task, consts: dict[str, np.ndarray]) -> list[Any]:
    from onnx import helper

    if task is Task.MULTICLASS:
        return [helper.make_node("Softmax", ["raw"], ["output"], axis=1)]
    consts["first"] = np.asarray([0], dtype=np.int64)
    take = helper.make_node("Gather", ["raw", "first"], ["column"], axis=1)
    if task is Task.BINARY:
        return [take, helper.make_node("Sigmoid", ["column"], ["output"])]
    return [take, helper.make_node("Identity", ["column"], ["output"])]


def _type(value: np.ndarray) -> int:
    from onnx import TensorProto

    return TensorProto.INT64 if value.dtype == np.int64 else TensorProto.FLOAT
