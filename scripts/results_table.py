"""The headline tables of scripts/fashion-vs-mnist.sh, from two `flowood eval` folders.

    python3 scripts/results_table.py NAME=EVAL_DIR NAME=EVAL_DIR > results.md

The first folder is the in-distribution model's evaluation, the second its outlier-loss copy's;
NAME labels each in the tables.

Table 1: AUROC x100 of each score, Fashion-MNIST test (in-distribution) against MNIST test
and unseen photo tiles, for the in-distribution model and its outlier-loss copy. Table 2: how
log p(x) of the in-distribution model splits over the scales (mean lp_i as a share of mean
log p(x) on each data set) and the AUROC against MNIST of each scale's lp_i and of each
scale's ratio. Every value is rounded as printed, so that the tables are compared as text.
"""

import json
import sys

SCORES = [("log p", "log_p"), ("final scale", "final_scale"), ("ratio", "ratio"),
          ("input complexity", "complexity")]
OOD = [("MNIST", "mnist"), ("photo tiles", "photos")]
SETS = [("Fashion-MNIST test", "in-distribution"), ("MNIST test", "mnist"),
        ("photo tiles", "photos")]


def auroc(metrics, ood, score):
    return f"{100 * metrics[ood][score]['auroc']:.1f}"


def scores_table(evals):
    rows = ["| in-distribution model | OOD set | " + " | ".join(s for s, _ in SCORES) + " |",
            "|---|---|" + "---|" * len(SCORES)]
    for name, ev in evals:
        for label, ood in OOD:
            cells = [auroc(ev["metrics"], ood, s) for _, s in SCORES]
            rows.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    return rows


def per_scale_table(ev, name):
    means = ev["per_scale"]["in-distribution"]
    levels = sum(1 for key in means if key.startswith("in_lp"))
    scales = [f"lp{i}" for i in range(1, levels + 1)]
    names = [f"lp{i}" for i in range(1, levels)] + ["final_scale"]
    rows = [f"| {name} | " + " | ".join(scales) + " |", "|---|" + "---|" * levels]
    for label, key in SETS:
        m = ev["per_scale"][key]
        shares = [f"{round(100 * m['in_' + s] / m['in_log_p'])}%" for s in scales]
        rows.append(f"| share of log p(x), {label} | " + " | ".join(shares) + " |")
    rows.append("| AUROC vs MNIST, lp_i alone | "
                + " | ".join(auroc(ev["metrics"], "mnist", n) for n in names) + " |")
    rows.append("| AUROC vs MNIST, ratio of lp_i | "
                + " | ".join(auroc(ev["metrics"], "mnist", f"ratio_{s}") for s in scales) + " |")
    return rows


def main(named_dirs):
    evals = [(name, json.load(open(f"{d}/eval.json")))
             for name, d in (arg.split("=", 1) for arg in named_dirs)]
    lines = scores_table(evals) + [""] + per_scale_table(evals[0][1], evals[0][0])
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
