"""Throughput of the PyTorch twin (training and scoring) and of its ONNX export (scoring), beside
flowood's `glow_throughput` benchmark, in one table with the ratios.

    python benches/pytorch/bench.py --flowood-table flowood-bench.txt   # all configurations
    python benches/pytorch/bench.py --configs small --steps 3           # the twins alone

It measures what `benches/glow_throughput.rs` measures, the same way: the presets `small`
(grey 1x32x32, L=3, K=8, hidden 128) and `paper` (RGB 3x32x32, L=3, K=32, hidden 512),
batches of `--batch` (64) uniform values in [-0.5, 0.5), a fresh model initialised on another
such batch; a training step is forward, mean NLL, backward and an Adamax update (lr 5e-4, PyTorch's
defaults, weight decay 5e-5, as flowood's); scoring is the log-likelihood of one batch. Each
figure is the median images/s over `--steps` timed batches after two warm-up batches. Each
cell runs in a fresh process; its peak memory is the process's peak resident set (`VmHWM`,
which includes the Python runtime) on the CPU, `torch.cuda.max_memory_reserved` on CUDA.
PyTorch runs with `--threads` intra-op threads; onnxruntime with `--threads` intra-op threads
and every graph optimisation (the ONNX file is written beforehand by another process, so the
onnxruntime cell's memory holds no PyTorch). flowood's table is the output of
`cargo bench --bench glow_throughput` (its rows for `--flowood-backend`, by default `flex`).
`--no-onnxruntime` measures PyTorch alone (no onnx or onnxruntime needed).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from presets import PRESETS

DEFAULT_BATCH = 64
WARMUP = 2
LEARNING_RATE = 5e-4
WEIGHT_DECAY = 5e-5
CONFIG_NAMES = {"small": "small grey 1x32x32 L3 K8 h128", "paper": "paper RGB 3x32x32 L3 K32 h512"}


def peak_rss_mib():
    """This process's peak resident set in MiB (Linux `VmHWM`), or None."""
    try:
        with open("/proc/self/status") as f:
            line = next(l for l in f if l.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return None


def random_batch(config, seed, batch):
    """`batch` uniform values in the model's input range, `[batch, C, H, W]` float32."""
    import numpy as np

    shape = (batch, config["in_channels"], config["image_size"], config["image_size"])
    return np.random.default_rng(seed).uniform(-0.5, 0.5, shape).astype(np.float32)


def median_rate(step, steps, sync, batch):
    """Runs `step` (one batch of `batch` images) for the warm-up and `steps` timed rounds;
    median images/s."""
    for _ in range(WARMUP):
        step()
        sync()
    rates = []
    for _ in range(max(steps, 1)):
        start = time.perf_counter()
        step()
        sync()
        rates.append(batch / (time.perf_counter() - start))
    return statistics.median(rates)


def fresh_twin(config_key, device, batch):
    """The twin of a fresh flowood model of the preset, initialised on a random batch."""
    import torch

    import glow_twin

    config = PRESETS[config_key]
    glow = glow_twin.Glow(config, seed=0).to(device)
    glow.initialize(torch.from_numpy(random_batch(config, 1, batch)).to(device))
    return glow, config


def torch_cell(config_key, mode, device, threads, steps, batch):
    """images/s and peak MiB of PyTorch training or scoring."""
    import torch

    torch.set_num_threads(threads)
    glow, config = fresh_twin(config_key, device, batch)
    x = torch.from_numpy(random_batch(config, 2 if mode == "train" else 3, batch)).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if mode == "train":
        glow.train()
        optim = torch.optim.Adamax(glow.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)

        def step():
            optim.zero_grad(set_to_none=True)
            loss = glow.nll(x).mean()
            loss.backward()
            optim.step()
            if not torch.isfinite(loss):
                raise RuntimeError("training diverged in the benchmark")
    else:
        glow.eval()

        def step():
            with torch.no_grad():
                glow.log_likelihood(x).cpu()
    rate = median_rate(step, steps, sync, batch)
    peak = torch.cuda.max_memory_reserved() / 2**20 if device == "cuda" else peak_rss_mib()
    return rate, peak


def export_cell(config_key, path, batch):
    """Writes the ONNX export of a fresh initialised twin of the preset to `path`."""
    import export_onnx

    glow, _ = fresh_twin(config_key, "cpu", batch)
    export_onnx.export(glow, path)


def onnx_cell(config_key, device, threads, steps, path, batch):
    """images/s and peak MiB of onnxruntime scoring the exported twin."""
    import ort_twin

    sess = ort_twin.session(path, threads, device)
    x = random_batch(PRESETS[config_key], 3, batch)
    rate = median_rate(lambda: ort_twin.score(sess, x), steps, lambda: None, batch)
    return rate, (None if device == "cuda" else peak_rss_mib())


def run_cell(args):
    """Measures one cell in this process and prints it as one JSON line."""
    if args.cell == "export":
        export_cell(args.config, args.onnx, args.batch)
        return
    if args.cell == "onnxruntime":
        rate, peak = onnx_cell(args.config, args.device, args.threads, args.steps, args.onnx,
                               args.batch)
    else:
        rate, peak = torch_cell(args.config, args.cell.split("-")[1], args.device, args.threads,
                                args.steps, args.batch)
    print(json.dumps({"images_per_second": rate, "peak_mib": peak}))


def in_child(args, cell, config_key, onnx=None):
    """Runs one cell in a fresh process; its result, or the error it printed."""
    cmd = [sys.executable, __file__, "--cell", cell, "--config", config_key,
           "--device", args.device, "--threads", str(args.threads), "--steps", str(args.steps),
           "--batch", str(args.batch)]
    if onnx:
        cmd += ["--onnx", onnx]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cell} {config_key} failed:\n{out.stderr.strip()}")
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def read_flowood_table(path, backend):
    """flowood's figures per preset, on `backend`, from `cargo bench --bench glow_throughput`
    output."""
    figures = {}
    for line in Path(path).read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 8 or cells[0] != backend:
            continue
        key = cells[1].split()[0]

        def number(text):
            try:
                return float(text)
            except ValueError:
                return None

        figures[key] = {"train": number(cells[4]), "train_mib": number(cells[5]),
                        "score": number(cells[6]), "score_mib": number(cells[7])}
    return figures


def measure_twins(args, config_key, work):
    """PyTorch training and scoring, onnxruntime scoring (unless `--no-onnxruntime`), each in a
    fresh process."""
    twins = {"torch_train": in_child(args, "torch-train", config_key),
             "torch_score": in_child(args, "torch-score", config_key),
             "onnx_score": {}}
    if not args.no_onnxruntime:
        onnx = str(work / f"{config_key}.onnx")
        in_child(args, "export", config_key, onnx)
        twins["onnx_score"] = in_child(args, "onnxruntime", config_key, onnx)
    return twins


def fmt(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def print_table(args, twins, flowood, rounds=1):
    """One markdown table: each measure for PyTorch, onnxruntime and flowood, with the ratios
    (each figure the median of `rounds` rounds' figures)."""
    of_rounds = f", the median of {rounds} alternating rounds" if rounds > 1 else ""
    print(f"\nbatch {args.batch}, {args.threads} threads, device {args.device}, "
          f"median of {args.steps} batches{of_rounds}, flowood on {args.flowood_backend}")
    print("| configuration | measure | PyTorch | onnxruntime | flowood | flowood / PyTorch "
          "| flowood / onnxruntime |")
    print("|---|---|---|---|---|---|---|")
    for key, t in twins.items():
        f = flowood.get(key, {})
        rows = [
            ("training images/s", t["torch_train"].get("images_per_second"), None,
             f.get("train"), 1),
            ("scoring images/s", t["torch_score"].get("images_per_second"),
             t["onnx_score"].get("images_per_second"), f.get("score"), 1),
            ("peak memory, training (MiB)", t["torch_train"].get("peak_mib"), None,
             f.get("train_mib"), 0),
            ("peak memory, scoring (MiB)", t["torch_score"].get("peak_mib"),
             t["onnx_score"].get("peak_mib"), f.get("score_mib"), 0),
        ]
        for i, (measure, torch_v, onnx_v, flowood_v, digits) in enumerate(rows):
            name = CONFIG_NAMES[key] if i == 0 else ""
            print(f"| {name} | {measure} | {fmt(torch_v, digits)} | {fmt(onnx_v, digits)} "
                  f"| {fmt(flowood_v, digits)} | {fmt(ratio(flowood_v, torch_v), 2)} "
                  f"| {fmt(ratio(flowood_v, onnx_v), 2)} |")


def round_figures(path):
    """One round's figures as `bench.py --record` wrote them: (twins, flowood)."""
    data = json.loads(Path(path).read_text())
    return data["twins"], data["flowood"]


def median_of(values):
    """The median of the numbers in `values` (None where a round had none), or None."""
    numbers = [v for v in values if v is not None]
    return statistics.median(numbers) if numbers else None


def median_figures(rounds):
    """Every figure of the rounds' (twins, flowood) replaced by its median over the rounds."""
    twins_0, flowood_0 = rounds[0]
    twins = {key: {cell: {name: median_of([r[0][key][cell].get(name) for r in rounds])
                          for name in fig}
                   for cell, fig in cells.items()}
             for key, cells in twins_0.items()}
    flowood = {key: {name: median_of([r[1].get(key, {}).get(name) for r in rounds])
                     for name in fig}
               for key, fig in flowood_0.items()}
    return twins, flowood


def print_round_ratios(rounds):
    """Each round's flowood / PyTorch and flowood / onnxruntime rates, so the spread shows."""
    print("\nper round, flowood / PyTorch training, / PyTorch scoring, / onnxruntime scoring:")
    for key in rounds[0][0]:
        per_round = []
        for twins, flowood in rounds:
            t, f = twins[key], flowood.get(key, {})
            per_round.append(" / ".join(fmt(ratio(f.get(a), t[b].get("images_per_second")), 2)
                                        for a, b in [("train", "torch_train"),
                                                     ("score", "torch_score"),
                                                     ("score", "onnx_score")]))
        print(f"- {CONFIG_NAMES[key]}: " + "; ".join(per_round))


def combine(args):
    """The table of the medians over the rounds recorded in `args.combine`, then each round's
    ratios."""
    rounds = [round_figures(path) for path in args.combine]
    twins, flowood = median_figures(rounds)
    print_table(args, twins, flowood, len(rounds))
    print_round_ratios(rounds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="small,paper", help="comma-separated: small, paper")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="timed batches per cell")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="images per batch")
    parser.add_argument("--flowood-table", help="output of cargo bench --bench glow_throughput")
    parser.add_argument("--flowood-backend", default="flex",
                        help="the rows of --flowood-table to compare with (flex, wgpu, ...)")
    parser.add_argument("--no-onnxruntime", action="store_true",
                        help="PyTorch only: no ONNX export, no onnxruntime cells")
    parser.add_argument("--record", help="also write this run's figures as JSON to this file")
    parser.add_argument("--combine", nargs="+", metavar="JSON",
                        help="print the medians of rounds written by --record, and each round's "
                             "ratios (measures nothing)")
    parser.add_argument("--cell", choices=["torch-train", "torch-score", "onnxruntime", "export"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--config", choices=sorted(CONFIG_NAMES), help=argparse.SUPPRESS)
    parser.add_argument("--onnx", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cell:
        run_cell(args)
        return
    if args.combine:
        combine(args)
        return
    if args.batch < 1 or args.steps < 1:
        sys.exit(f"--batch and --steps must be at least 1, got {args.batch} and {args.steps}")
    keys = [k for k in args.configs.split(",") if k]
    unknown = [k for k in keys if k not in CONFIG_NAMES]
    if unknown:
        sys.exit(f"unknown configuration(s) {unknown}: choose from {sorted(CONFIG_NAMES)}")
    flowood = read_flowood_table(args.flowood_table, args.flowood_backend) if args.flowood_table else {}
    with tempfile.TemporaryDirectory(prefix="flowood-twin-bench-") as tmp:
        twins = {key: measure_twins(args, key, Path(tmp)) for key in keys}
    print_table(args, twins, flowood)
    if args.record:
        Path(args.record).write_text(json.dumps({"twins": twins, "flowood": flowood}))


if __name__ == "__main__":
    main()
