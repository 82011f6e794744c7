"""Exports the twin to ONNX.

    python benches/pytorch/export_onnx.py model.safetensors model.onnx

The graph maps `x` `[B, C, H, W]` (dynamic batch) to `terms` `[B, levels, 4]` (F_i, A_i,
N_i, lp_i per scale), as `glow_twin.Glow.forward`; `ort_twin.py` runs it.
"""

import argparse
import copy
import warnings

import torch

import glow_twin

#: The ONNX operator set: Trilu (the LU factors of the 1x1 convolutions) needs 14.
OPSET = 17


def export(glow, path):
    """Writes `glow` (in eval mode, on the CPU) to `path` as ONNX.

    Through the TorchScript exporter (`dynamo=False`, deprecated since PyTorch 2.9): its graph
    matches flowood to 1e-6 relative, where the torch.export-based one, tried with PyTorch
    2.15, differed from the PyTorch twin by up to 0.13 nats (noise images, grey model).
    """
    glow = copy.deepcopy(glow).cpu().eval()
    c, s = glow.config["in_channels"], glow.config["image_size"]
    example = torch.zeros(2, c, s, s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(glow, (example,), path, input_names=["x"], output_names=["terms"],
                          dynamic_axes={"x": {0: "batch"}, "terms": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("safetensors", help="a flowood export (flowood export --out X.safetensors)")
    parser.add_argument("onnx", help="the ONNX file to write")
    args = parser.parse_args()
    export(glow_twin.load(args.safetensors), args.onnx)
    print(f"exported {args.safetensors} to {args.onnx}")


if __name__ == "__main__":
    main()
