"""Quantizes the PP-OCRv4 detection and recognition models to int8 with onnxruntime's tooling.

Run by scripts/quantize-models.ts in a project venv with pinned onnxruntime and onnx;
usage: quantize_models.py <det.onnx> <rec.onnx> <out-dir>. Dynamic quantization (int8 weights,
activations quantized per run) needs no calibration images, so the output depends only on the
inputs and the pinned versions.
"""

import os
import sys

import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.shape_inference import quant_pre_process


def constants_to_initializers(source: str, target: str) -> None:
    """Paddle's export stores weights as Constant nodes; the quantizer only sees initializers."""
    model = onnx.load(source)
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
    onnx.save(model, target)


def quantize(source: str, target: str) -> None:
    plain = target + ".init.onnx"
    prepared = target + ".pre.onnx"
    constants_to_initializers(source, plain)
    # Shape inference and graph folding first, as onnxruntime's quantization guide advises.
    quant_pre_process(plain, prepared, skip_symbolic_shape=True)
    os.remove(plain)
    quantize_dynamic(
        prepared,
        target,
        weight_type=QuantType.QUInt8,
        # Conv is left in float: ConvInteger has no fast CPU kernel; MatMul/Gemm (the
        # recogniser's SVTR attention and neck) have one.
        op_types_to_quantize=["MatMul", "Gemm"],
    )
    os.remove(prepared)


def main() -> None:
    det, rec, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    quantize(det, os.path.join(out, "det-int8.onnx"))
    quantize(rec, os.path.join(out, "rec-int8.onnx"))


if __name__ == "__main__":
    main()
