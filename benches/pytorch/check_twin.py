"""Checks that the PyTorch twin and its ONNX export give flowood's log-likelihoods.

    python benches/pytorch/check_twin.py --flowood target/release/flowood \
        --model pretrained:grey32 --images mnist --n 256

Writes `--n` real 32x32 images as PNG files (`mnist`: the first MNIST test digits, bilinearly
resized from 28x28; `photos`: 32x32 tiles of the photos), so that flowood (`folder:` data,
which leaves a 32x32 PNG as it is) and the twin read the very same pixels in the same order.
Then `flowood export` writes the model's safetensors, `flowood score` its per-image terms,
and the twin (PyTorch, then its ONNX export run by onnxruntime) scores the same pixels.
Every per-scale term (F_i, A_i, N_i, lp_i), log p(x) and bits/dim must agree within
`--tolerance` relative (|a - b| <= tol * max(|b|, 1), where a sum's |b| is the magnitude of
its summands, see `compare`); the maximal differences are printed.
Exits 1 if they do not agree.
"""

import argparse
import csv
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

import export_onnx
import glow_twin
import ort_twin

IMAGE_SIZE = 32
TERMS = ["F", "A", "N", "lp"]


def read_idx_images(path, n):
    """The first n images of an IDX3 uint8 file (optionally gzip-compressed), `[n, h, w]`."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        header = np.frombuffer(f.read(16), dtype=">u4")
        if header[0] != 0x803:
            raise ValueError(f"{path}: not an IDX3 uint8 file")
        count, h, w = (int(v) for v in header[1:])
        n = min(n, count)
        return np.frombuffer(f.read(n * h * w), dtype=np.uint8).reshape(n, h, w)


def bilinear(images, size):
    """Bilinear resampling with half-pixel centres and edge clamping, rounded to uint8."""
    def taps(n_in):
        pos = np.clip((np.arange(size) + 0.5) * (n_in / size) - 0.5, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), (pos - lo)

    y0, y1, fy = taps(images.shape[1])
    x0, x1, fx = taps(images.shape[2])
    v = images.astype(np.float64)
    top = v[:, y0][:, :, x0] * (1 - fx) + v[:, y0][:, :, x1] * fx
    bottom = v[:, y1][:, :, x0] * (1 - fx) + v[:, y1][:, :, x1] * fx
    out = top * (1 - fy[:, None]) + bottom * fy[:, None]
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def mnist_images(data, n):
    """The first n MNIST test digits at 32x32, `[n, 1, 32, 32]` uint8."""
    base = Path(data) / "mnist"
    path = next((p for p in (base / "t10k-images-idx3-ubyte", base / "t10k-images-idx3-ubyte.gz")
                 if p.exists()), None)
    if path is None:
        raise FileNotFoundError(f"no MNIST test images under {base}")
    return bilinear(read_idx_images(path, n), IMAGE_SIZE)[:, None]


def photo_tiles(data, n):
    """n 32x32 tiles of the photos (each scaled to a 64-pixel short side, 4 centre tiles)."""
    from PIL import Image

    files = sorted(p for p in (Path(data) / "photos").iterdir()
                   if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    tiles = []
    for path in files:
        img = Image.open(path).convert("RGB")
        scale = 2 * IMAGE_SIZE / min(img.size)
        img = img.resize((max(2 * IMAGE_SIZE, round(img.width * scale)),
                          max(2 * IMAGE_SIZE, round(img.height * scale))), Image.BILINEAR)
        a = np.asarray(img)
        top, left = (a.shape[0] - 2 * IMAGE_SIZE) // 2, (a.shape[1] - 2 * IMAGE_SIZE) // 2
        for dy in (0, IMAGE_SIZE):
            for dx in (0, IMAGE_SIZE):
                tile = a[top + dy:top + dy + IMAGE_SIZE, left + dx:left + dx + IMAGE_SIZE]
                tiles.append(tile.transpose(2, 0, 1))
        if len(tiles) >= n:
            break
    return np.stack(tiles[:n])


def write_pngs(images, folder):
    """Writes `[n, c, h, w]` uint8 images as 00000.png, 00001.png, ... (flowood's sorted order)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(images):
        array = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
        Image.fromarray(np.ascontiguousarray(array)).save(folder / f"{i:05d}.png")


def run(cmd):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True)


def flowood_terms(flowood, model, folder, work):
    """flowood's per-image terms `[n, levels, 4]`, log p and bits/dim, and the export's path."""
    weights = work / "model.safetensors"
    run([flowood, "export", "--model", model, "--out", weights])
    scores = work / "scores.csv"
    run([flowood, "score", "--model", model, "--data", f"folder:{folder}", "--out", scores,
         "--threads", "1"])
    with open(scores, newline="") as f:
        rows = list(csv.DictReader(f))
    levels = sum(1 for k in rows[0] if k.startswith("in_lp"))
    terms = np.array([[[float(r[f"in_{t}{i + 1}"]) for t in TERMS] for i in range(levels)]
                      for r in rows])
    log_p = np.array([float(r["in_log_p"]) for r in rows])
    bpd = np.array([float(r["in_bpd"]) for r in rows])
    return terms, log_p, bpd, weights


def twin_terms(score, images, batch):
    """Per-image terms `[n, levels, 4]` from `score` (float32 input -> terms), in batches."""
    x = glow_twin.model_input(images).numpy()
    return np.concatenate([score(x[i:i + batch]) for i in range(0, len(x), batch)]).astype(
        np.float64)


def compare(name, terms, ref_terms, ref_log_p, ref_bpd, dims, tolerance):
    """Prints the max abs/rel difference per term; True when all are within tolerance.

    A sum (lp_i, log p) is compared relative to the magnitude of what was summed
    (`sum |F_i| + |A_i| + |N_i|`): float32 rounds each addend to that precision, and a
    log p near zero (from summands in the thousands) has no finer relative meaning.
    """
    log_p = terms[:, :, 3].sum(1)
    bpd = glow_twin.bits_per_dim(log_p, dims)
    parts = np.abs(ref_terms[:, :, :3]).sum(2)
    columns = []
    for i in range(ref_terms.shape[1]):
        for j, t in enumerate(TERMS):
            want = ref_terms[:, i, j]
            magnitude = parts[:, i] if t == "lp" else np.abs(want)
            columns.append((f"{t}{i + 1}", terms[:, i, j], want, magnitude))
    columns += [("log_p", log_p, ref_log_p, parts.sum(1)), ("bpd", bpd, ref_bpd, np.abs(ref_bpd))]
    ok = True
    print(f"\n{name}: {len(terms)} images")
    print("| term | max abs diff | max rel diff | max rel diff to its own value |")
    print("|---|---|---|---|")
    for label, got, want, magnitude in columns:
        diff = np.abs(got - want)
        rel = diff / np.maximum(magnitude, 1.0)
        own = diff / np.maximum(np.abs(want), 1.0)
        ok &= bool(np.all(rel <= tolerance)) and bool(np.all(np.isfinite(got)))
        print(f"| {label} | {diff.max():.3g} | {rel.max():.3g} | {own.max():.3g} |")
    print(f"{name}: {'agrees' if ok else 'DISAGREES'} within {tolerance:g} relative")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flowood", required=True, help="path of the flowood binary")
    parser.add_argument("--model", required=True, help="a model.bpk or pretrained:NAME")
    parser.add_argument("--images", choices=["mnist", "photos"], required=True)
    parser.add_argument("--n", type=int, default=256, help="number of images")
    parser.add_argument("--data", default=os.environ.get("FLOWOOD_DATA", "data"),
                        help="data folder with mnist/ and photos/ (default: $FLOWOOD_DATA)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--work", help="folder for the PNGs, export and scores (default: temp)")
    args = parser.parse_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="flowood-twin-"))
    images = (mnist_images if args.images == "mnist" else photo_tiles)(args.data, args.n)
    write_pngs(images, work / "images")
    ref_terms, ref_log_p, ref_bpd, weights = flowood_terms(
        args.flowood, args.model, work / "images", work)
    if len(ref_terms) != len(images):
        sys.exit(f"flowood scored {len(ref_terms)} images, the twin has {len(images)}")

    glow = glow_twin.load(weights, args.device)
    if glow.config["in_channels"] != images.shape[1]:
        sys.exit(f"the model takes {glow.config['in_channels']} channels, images have "
                 f"{images.shape[1]}")

    def torch_score(x):
        with torch.no_grad():
            return glow(torch.from_numpy(x).to(args.device)).cpu().numpy()

    dims = glow.dims
    ok = compare(f"PyTorch ({args.device})", twin_terms(torch_score, images, args.batch),
                 ref_terms, ref_log_p, ref_bpd, dims, args.tolerance)
    onnx_path = work / "model.onnx"
    export_onnx.export(glow, onnx_path)
    sess = ort_twin.session(str(onnx_path), threads=torch.get_num_threads())
    ok &= compare("onnxruntime", twin_terms(lambda x: ort_twin.score(sess, x), images,
                                            args.batch),
                  ref_terms, ref_log_p, ref_bpd, dims, args.tolerance)
    print(f"\nfiles in {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
