"""Exports the twin to ONNX and scores with onnxruntime.

    python benches/pytorch/export_onnx.py model.safetensors model.onnx

The graph maps `x` `[B, C, H, W]` (dynamic batch) to `terms` `[B, levels, 4]` (F_i, A_i,
N_i, lp_i per scale), as `glow_twin.Glow.forward`.
"""

import argparse

import torch

import glow_twin

#: The ONNX operator set: Trilu (the LU factors of the 1x1 convolutions) needs 14.
OPSET = 17


def export(glow, path):
    """Writes `glow` (in eval mode, on the CPU) to `path` as ONNX."""
    glow = glow.cpu().eval()
    c, s = glow.config["in_channels"], glow.config["image_size"]
    example = torch.zeros(2, c, s, s)
    torch.onnx.export(glow, (example,), path, input_names=["x"], output_names=["terms"],
                      dynamic_axes={"x": {0: "batch"}, "terms": {0: "batch"}},
                      opset_version=OPSET, dynamo=False)


def session(path, threads):
    """An onnxruntime CPU session with every graph optimisation and `threads` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def score(sess, x):
    """The per-image terms `[B, levels, 4]` of the float32 array `x`."""
    return sess.run(["terms"], {"x": x})[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("safetensors", help="a flowood export (flowood export --out X.safetensors)")
    parser.add_argument("onnx", help="the ONNX file to write")
    args = parser.parse_args()
    export(glow_twin.load(args.safetensors), args.onnx)
    print(f"exported {args.safetensors} to {args.onnx}")


if __name__ == "__main__":
    main()
