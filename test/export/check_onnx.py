"""Check exported ONNX files with ONNX's own checker (Debian python3-onnx) and print what a reader sees.

Usage: check_onnx.py FILE...  -> one JSON line per file: opset, IR version, input/output shapes, metadata keys.
"""
import json
import sys

import onnx

for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)

    def dims(value_info):
        return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

    print(json.dumps({
        "file": path,
        "ir_version": model.ir_version,
        "opset": [(o.domain, o.version) for o in model.opset_import],
        "inputs": [(i.name, dims(i)) for i in inferred.graph.input],
        "outputs": [(o.name, dims(o)) for o in inferred.graph.output],
        "metadata": {p.key: p.value for p in model.metadata_props},
        "initializers": len(model.graph.initializer),
    }))
