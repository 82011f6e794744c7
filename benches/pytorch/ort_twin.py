"""The twin's ONNX export (export_onnx.py) run by onnxruntime; imports no PyTorch."""


def session(path, threads, device="cpu"):
    """An onnxruntime session with every graph optimisation and `threads` intra-op threads.

    `device` "cuda" needs the onnxruntime-gpu package (CUDAExecutionProvider).
    """
    import onnxruntime as ort

    provider = "CUDAExecutionProvider" if device == "cuda" else "CPUExecutionProvider"
    if provider not in ort.get_available_providers():
        raise RuntimeError(f"onnxruntime has no {provider} (install onnxruntime-gpu for cuda)")

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=[provider])


def score(sess, x):
    """The per-image terms `[B, levels, 4]` of the float32 array `x`."""
    return sess.run(["terms"], {"x": x})[0]
