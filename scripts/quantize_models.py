"""Quantizes the PP-OCRv4 recogniser to int8 with onnxruntime's static (QDQ) quantization.

Run by scripts/quantize-models.ts in a project venv with pinned onnxruntime and onnx;
usage: quantize_models.py <rec.onnx> <calibration-dir> <out-dir>. The calibration directory
holds the recogniser's real inputs (rec-NNNN.bin float32 + rec-NNNN.json {name, dims}) recorded
from seeded rendered pages, so the output depends only on the inputs and the pinned versions.

What was measured (bench/README.md, levers): dynamic quantization of the recogniser's MatMuls
did not pay (1.00x; its time is in convolutions); static quantization of its Conv and MatMul with
per-channel weights cut its CPU per image with an unchanged CER. The detector stays in float:
quantized the same way, it moved box edges and the clean CER went from 0.03% to 0.29%.
"""

import glob
import json
import os
import sys

import numpy as np
import onnx
from onnx import version_converter
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

# Per-channel DequantizeLinear (its axis attribute) needs opset 13; Paddle exported opset 9.
OPSET = 13


class RecordedInputs(CalibrationDataReader):
    """Feeds the recorded recogniser inputs, one run each, in file order."""

    def __init__(self, directory: str) -> None:
        self.files = sorted(glob.glob(os.path.join(directory, "rec-*.json")))
        if not self.files:
            raise SystemExit(f"no calibration inputs in {directory}")
        self.next = 0

    def get_next(self):
        if self.next >= len(self.files):
            return None
        meta_path = self.files[self.next]
        self.next += 1
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        data = np.fromfile(meta_path[: -len(".json")] + ".bin", dtype=np.float32)
        return {meta["name"]: data.reshape(meta["dims"])}


def constants_to_initializers(model: onnx.ModelProto) -> None:
    """Paddle's export stores weights as Constant nodes; the quantizer only sees initializers."""
    kept = []
    for node in model.graph.node:
        value = next((a for a in node.attribute if a.name == "value"), None)
        if node.op_type == "Constant" and value is not None and value.t is not None:
            tensor = onnx.TensorProto()
            tensor.CopyFrom(value.t)
            tensor.name = node.output[0]
            model.graph.initializer.append(tensor)
        else:
            kept.append(node)
    del model.graph.node[:]
    model.graph.node.extend(kept)


def quantize(source: str, calibration: str, target: str) -> None:
    plain = target + ".init.onnx"
    prepared = target + ".pre.onnx"
    model = onnx.load(source)
    constants_to_initializers(model)
    onnx.save(version_converter.convert_version(model, OPSET), plain)
    # Shape inference and graph folding first, as onnxruntime's quantization guide advises.
    quant_pre_process(plain, prepared, skip_symbolic_shape=True)
    os.remove(plain)
    quantize_static(
        prepared,
        target,
        RecordedInputs(calibration),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv", "MatMul"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    os.remove(prepared)


def main() -> None:
    rec, calibration, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    quantize(rec, calibration, os.path.join(out, "rec-int8.onnx"))


if __name__ == "__main__":
    main()
