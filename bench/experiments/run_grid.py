"""Run the whole grid and write every table and figure: argument parsing and orchestration.

Usage::

    python -m bench.experiments.run_grid --config quick --out results/ --jobs 2
    python -m bench.experiments.run_grid --config report --device cuda --out results-report/

Writes to ``--out``: ``table12.{md,csv}`` (loss comparison), ``table8_9_heads.{md,csv}``
(sigmoid vs softmax), ``table10_models.{md,csv}`` (U-Net vs FC-DenseNet),
``summary.md`` (settings, wall time and the three tables), ``runs.csv`` (one row
per run), ``per_image.csv``, ``curves.csv``, ``loss_curves.png``,
``comparison_curves.png``, ``predictions.png`` and ``config.json``.
"""
import argparse
import json
import multiprocessing
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from . import configs, data, losses, plots, tables
from .train import RunSpec, train_run

HEAD_COLUMNS = ["train_dice", "test_accuracy", "test_dice", "test_iou", "test_kappa", "test_hd95"]
MODEL_COLUMNS = ["parameters", "seconds", "train_dice", "test_accuracy", "test_dice", "test_iou",
                 "test_kappa", "test_hd95"]


def plan(config, *, device="cpu", available=None):
    """The runs of ``config``: (losses, U-Net, sigmoid), (heads, FC-DenseNet) and, when the
    other two do not already hold them, the ``model_loss`` runs of Table 10."""
    available = list(config.losses if available is None else available)
    head_losses = [loss for loss in config.head_losses if loss in available]
    common = dict(epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                  augment=config.augment, device=device)
    specs = []
    for seed in config.seeds:
        for loss in available:
            if loss in config.losses:
                specs.append(RunSpec("losses", "unet", config.unet, "sigmoid", loss, seed,
                                     **common))
        for loss in head_losses:
            for head in losses.HEADS:
                specs.append(RunSpec("heads", "fcdensenet", config.fcdensenet, head, loss, seed,
                                     **common))
        if config.model_loss in available:
            if config.model_loss not in config.losses:
                specs.append(RunSpec("models", "unet", config.unet, "sigmoid", config.model_loss,
                                     seed, **common))
            if config.model_loss not in head_losses:
                specs.append(RunSpec("models", "fcdensenet", config.fcdensenet, "sigmoid",
                                     config.model_loss, seed, **common))
    return specs


_SPLITS = None


def _init_worker(splits, threads):
    global _SPLITS
    import torch
    torch.set_num_threads(threads)
    _SPLITS = splits


def _work(spec):
    return train_run(spec, *_SPLITS)


def execute(specs, splits, *, jobs=1, threads=1, log=print):
    """Train every spec, ``jobs`` processes at a time; returns the results in spec order."""
    results = {}
    if jobs <= 1:
        _init_worker(splits, threads)
        for i, spec in enumerate(specs, 1):
            results[spec.key()] = _work(spec)
            log(f"[{i}/{len(specs)}] {spec.key()} {results[spec.key()].seconds:.1f} s")
    else:
        context = multiprocessing.get_context("spawn")
        # the FC-DenseNet runs are the slow ones: start them first
        ordered = sorted(specs, key=lambda s: s.model != "fcdensenet")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(splits, threads)) as pool:
            futures = {pool.submit(_work, spec): spec for spec in ordered}
            for i, future in enumerate(as_completed(futures), 1):
                spec = futures[future]
                results[spec.key()] = future.result()
                log(f"[{i}/{len(specs)}] {spec.key()} {results[spec.key()].seconds:.1f} s")
    return [results[spec.key()] for spec in specs]


def _flat(results):
    rows, per_image, curves = [], [], []
    for result in results:
        rows.append(result.row())
        ident = {k: getattr(result.spec, k)
                 for k in ("experiment", "model", "head", "loss", "seed")}
        per_image += [{**ident, **r} for r in result.per_image]
        curves += [{**ident, **c} for c in result.curves]
    return rows, per_image, curves


def write_outputs(config, results, splits, out, *, wall_seconds, skipped, device):
    """Every table, figure and record of the grid into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows, per_image, curves = _flat(results)
    tables.write_csv(out / "runs.csv", rows)
    tables.write_csv(out / "per_image.csv", per_image)
    tables.write_csv(out / "curves.csv", curves)

    t12 = tables.table12(rows)
    heads = tables.table_heads(rows)
    for record in heads:
        record["loss_function"] = losses.LOSSES[record["loss"]].label
    models_ = tables.table_models(rows, config.model_loss)
    for record in models_:
        record["model_name"] = {"unet": "U-Net", "fcdensenet": "FC-DenseNet"}[record["model"]]
    names = {"loss_function": "loss function", "head": "head", "model_name": "model",
             "test_empty": "empty test predictions"}
    md = {
        "table12": tables.markdown(t12, ["loss_function"], tables.split_columns(), labels=names,
                                   counts=["test_empty"]),
        "table8_9_heads": tables.markdown(heads, ["loss_function", "head"], HEAD_COLUMNS,
                                          labels=names) if heads else "",
        "table10_models": tables.markdown(models_, ["model_name"], MODEL_COLUMNS, labels=names)
        if models_ else "",
    }
    for name, records in (("table12", t12), ("table8_9_heads", heads), ("table10_models", models_)):
        if records:
            tables.write_csv(out / f"{name}.csv", records)
            (out / f"{name}.md").write_text(md[name])

    losses_run = [loss for loss in config.losses if any(r["loss"] == loss for r in t12)]
    plots.loss_curves(curves, out / "loss_curves.png", losses=losses_run)
    plots.comparison_curves(curves, out / "comparison_curves.png",
                            head_losses=config.head_losses, model_loss=config.model_loss)
    first_seed = config.seeds[0]
    examples = {r.spec.loss: r.examples for r in results
                if r.spec.experiment == "losses" and r.spec.seed == first_seed}
    if examples:
        plots.predictions(splits[1], examples, out / "predictions.png", losses=losses_run)

    import torch
    facts = {"config": asdict(config), "runs": len(results), "wall_seconds": round(wall_seconds, 1),
             "device": device, "torch": torch.__version__, "python": platform.python_version(),
             "machine": platform.machine(), "skipped_losses": skipped}
    (out / "config.json").write_text(json.dumps(facts, indent=2, default=str) + "\n")
    summary = [f"# Loss comparison: configuration `{config.name}`", "",
               f"{config.notes}.", "",
               f"Data: {config.data}, {config.size}x{config.size}, {config.n_train} train / "
               f"{config.n_test} test; epochs: {config.epochs}, batch {config.batch_size}, "
               f"Adam lr {config.lr:g}, augmentation {'on' if config.augment else 'off'}; seeds "
               f"{', '.join(map(str, config.seeds))}; {len(results)} runs in "
               f"{wall_seconds / 60:.1f} min on {device}.", ""]
    if skipped:
        summary += ["Skipped losses: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()), ""]
    summary += ["## Table 12: losses (U-Net, sigmoid head)", "", md["table12"],
                "## Tables 8-9: sigmoid vs softmax head (FC-DenseNet)", "", md["table8_9_heads"],
                "## Table 10: U-Net vs FC-DenseNet", "", md["table10_models"]]
    (out / "summary.md").write_text("\n".join(summary))
    return out


def run(config, out, *, jobs=1, threads=1, device="cpu", log=print):
    """Plan, train and write the grid of ``config`` into ``out``; returns ``out``."""
    configs.validate(config)
    start = time.perf_counter()
    skipped = losses.missing()
    available = [loss for loss in losses.LOSSES if loss not in skipped]
    for name, reason in skipped.items():
        log(f"skipping loss {name}: {reason}")
    splits = data.load(config.data, config.size, n_train=config.n_train, n_test=config.n_test,
                       seed=config.data_seed)
    specs = plan(config, device=device, available=available)
    log(f"{len(specs)} runs, {jobs} process(es) x {threads} thread(s), device {device}")
    results = execute(specs, splits, jobs=jobs, threads=threads, log=log)
    wall = time.perf_counter() - start
    write_outputs(config, results, splits, out, wall_seconds=wall, skipped=skipped, device=device)
    log(f"done in {wall / 60:.1f} min; outputs in {out}")
    return Path(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(configs.CONFIGS), default="quick")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--jobs", type=int, default=2, help="training processes (CPU)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:0, ...")
    parser.add_argument("--data", help="'synthetic' (default) or an ISIC-format folder")
    parser.add_argument("--size", type=int, help="override the image side")
    parser.add_argument("--epochs", type=int, help="override the number of epochs")
    parser.add_argument("--seeds", type=int, nargs="+", help="override the seeds")
    parser.add_argument("--losses", nargs="+", choices=list(losses.LOSSES),
                        help="override the losses of Table 12")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    config = configs.CONFIGS[args.config].with_overrides(
        data=args.data, size=args.size, epochs=args.epochs,
        seeds=tuple(args.seeds) if args.seeds else None,
        losses=tuple(args.losses) if args.losses else None)
    jobs = 1 if args.device.startswith("cuda") else args.jobs
    run(config, args.out, jobs=jobs, threads=args.threads, device=args.device,
        log=lambda message: print(message, flush=True))


if __name__ == "__main__":
    sys.exit(main())
