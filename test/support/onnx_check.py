# Test support for test/onnx-checker.test.ts: for each model path, run onnx.checker (full_check) on the
# model as written, then strict shape inference on a copy stripped of the shapes we wrote (value_info
# removed in every graph, the main graph's output dims removed), and print the inferred type of every
# value. Loop bodies keep their output types: onnx 1.12 derives a Loop's outputs from them, and strict
# mode still fails if what the body's nodes infer disagrees with them.
import json
import sys

import onnx
from onnx import shape_inference


def strip(g, main=True):
    del g.value_info[:]
    if main:
        for o in g.output:
            o.type.tensor_type.ClearField("shape")
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                strip(a.g, main=False)


def collect(g, out):
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        dims = None
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        out[vi.name] = {"elem": t.elem_type, "dims": dims}
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                collect(a.g, out)


results = {}
for path in sys.argv[1:]:
    r = {"check": "ok", "infer": "ok", "types": {}}
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # report, do not stop: the test prints every failure
        r["check"] = str(e)
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    strip(bare.graph)
    try:
        inferred = shape_inference.infer_shapes(bare, check_type=True, strict_mode=True)
        collect(inferred.graph, r["types"])
    except Exception as e:
        r["infer"] = str(e)
    results[path] = r
print(json.dumps(results))
