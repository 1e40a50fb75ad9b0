"""``segmetrics-eval``: score a folder of predictions against a folder of ground truths.

Argument parsing and orchestration only; the work is done by
:func:`segmetrics.evaluate_folder`. Exit codes: 0 when every case was
scored, 1 when some cases failed or had no prediction (they are in the CSV with
their status and message), 2 for usage errors, 130 when interrupted (the
partial ``metrics.csv`` is valid; rerun with ``--resume``).
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from segmetrics._executor import cpu_count
from segmetrics.evaluation.options import DEFAULT_CASE_TIMEOUT

if TYPE_CHECKING:
    from distributed import Client

    from segmetrics.compare import Comparison
    from segmetrics.evaluation import Evaluation
    from segmetrics.evaluation.scoring import Record

_T = TypeVar("_T")

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_CASES_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _float_list(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(" ", ",").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers; got {text!r}") from None


def _int_list(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers; got {text!r}") from None


def _max_voxels(text: str) -> int | str | None:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected auto or an integer >= 0; got {text!r}")
    return value or None


def _jobs(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or an integer >= 1; got {text!r}")
    return jobs


def _add_scoring_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``segmetrics-eval`` and ``segmetrics-eval compare``."""
    from segmetrics.evaluation import DEFAULT_METRICS, METRICS, PRESETS, SURFACES

    parser.add_argument("-o", "--out", default="segmetrics-out",
                        help="output folder (default: %(default)s)")
    parser.add_argument("--metrics", default=",".join(DEFAULT_METRICS),
                        help=f"comma-separated, from {','.join(METRICS)} (default: %(default)s)")
    parser.add_argument("--labels", type=_int_list,
                        help="comma-separated labels to score (default: every non-zero label "
                             "present in any ground truth or prediction)")
    parser.add_argument("--threshold", type=float,
                        help="binarise probability maps and JPEG masks at value >= THRESHOLD")
    parser.add_argument("--ignore-index", type=int,
                        help="ground-truth label whose voxels are left out: not counted by "
                             "the overlap metrics, and set to background in both the "
                             "prediction and the ground truth for the distance metrics")
    parser.add_argument("--spacing", type=_float_list,
                        help="voxel size per array axis, in the array's axis order as the "
                             "file header gives it (NIfTI: x, y, z, e.g. 0.8,0.8,2.5); "
                             "overrides the headers, with a warning where it contradicts "
                             "one; needed for .npy, PNG and TIFF, which store none")
    parser.add_argument("--nsd-tolerance", default="1.0",
                        help="normalised surface Dice tolerance, physical units: one number, "
                             "or per label '1=2.0,2=1.0' (region names with --regions); a "
                             "bare number in the list is the tolerance of the labels not "
                             "named, else 1.0 (default: %(default)s)")
    parser.add_argument("--regions",
                        help="score unions of labels instead of labels, e.g. "
                             "'WT=1,2,3;TC=1,3;ET=3', or the preset 'brats' (nnU-Net's BraTS "
                             "regions: WT=1,2,3;TC=1,3;ET=3); the label column then holds "
                             "the region name")
    parser.add_argument("--fbeta-beta", type=float, default=1.0,
                        help="beta of the fbeta metric (default: %(default)s)")
    parser.add_argument("--surface", choices=SURFACES, default="voxel",
                        help="surface of the distance metrics: voxel (boundary voxels) or "
                             "surfel (DeepMind surface-distance's area-weighted surface "
                             "elements on the voxel-corner grid, 2-D/3-D only; to reproduce "
                             "its numbers) (default: %(default)s)")
    parser.add_argument("--colormap",
                        help="colour->label table for RGB masks: a JSON file or "
                             "'1=255,0,0;2=0,255,0'")
    parser.add_argument("--strip-suffix", action="append", default=[], metavar="SUFFIX",
                        help="remove SUFFIX from file names before matching (repeatable), "
                             "e.g. _seg, _segmentation, _0000")
    parser.add_argument("--pattern",
                        help="regular expression giving the case name (group 'case', else "
                             "group 1, else the match), e.g. 'ISIC_[0-9]{7}'")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help="isic: ISIC 2018 task 1 scoring (binarise at >128, "
                             "threshold_jaccard, jaccard, dice, accuracy, sensitivity, "
                             "specificity)")
    parser.add_argument("--both-empty", choices=("skip", "include"), default="skip",
                        help="whether both-empty rows enter the summary (default: %(default)s)")
    parser.add_argument("--zero-division", type=float, default=float("nan"),
                        help="value of an overlap ratio with a zero denominator: nan or in "
                             "[-1, 1] (default: nan)")
    parser.add_argument("--confidence", type=float, default=0.95,
                        help="coverage of the bootstrap confidence intervals "
                             "(default: %(default)s)")
    parser.add_argument("--bootstrap-resamples", type=int, default=10_000, metavar="N",
                        help="percentile-bootstrap resamples, seed 0; 0: no intervals "
                             "(default: %(default)s)")
    parser.add_argument("-j", "--jobs", type=_jobs, default="auto",
                        help="worker processes, or auto: score in this process (reading the "
                             "next case while scoring) and start one worker per core "
                             f"({cpu_count()} here) only for a folder of many small cases "
                             "where the first cases show it pays (default: %(default)s)")
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the cases on this Dask distributed scheduler, e.g. "
                             "tcp://host:8786 (workers read the files: shared storage)")
    engine.add_argument("--dask-local", type=int, metavar="N",
                        help="start a local Dask cluster of N worker processes")
    parser.add_argument("--max-voxels", type=_max_voxels, default="auto", metavar="N",
                        help="refuse (error row) a file whose header declares more than N "
                             "voxels, before reading it; auto: about 1/32 of this machine's "
                             "memory per worker; 0: no limit (default: %(default)s)")
    parser.add_argument("--case-timeout", type=float, default=DEFAULT_CASE_TIMEOUT,
                        metavar="SECONDS",
                        help="a case taking longer becomes an error row (its worker is "
                             "stopped; with -j 1 the limit covers reading); 0: no limit "
                             "(default: %(default)g)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing OUT/metrics.csv")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no summary table")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``segmetrics-eval``."""
    parser = argparse.ArgumentParser(
        prog="segmetrics-eval",
        description="Score a folder of predicted masks against a folder of ground truths. "
                    "Writes OUT/metrics.csv (one row per case and label) and OUT/summary.json. "
                    "'segmetrics-eval compare A/ B/ GT/' compares two models.",
        epilog="Exit codes: 0 every case scored; 1 some cases failed or were missing; "
               "2 usage error; 130 interrupted (rerun with --resume).",
    )
    parser.add_argument("pred_dir", nargs="?", help="folder of predictions")
    parser.add_argument("gt_dir", nargs="?", help="folder of ground truths")
    _add_scoring_options(parser)
    parser.add_argument("--resume", action="store_true",
                        help="keep the complete cases of OUT/metrics.csv and score the rest")
    parser.add_argument("--report", metavar="HTML",
                        help="also write a self-contained HTML report (plots, worst cases, "
                             "failures, definitions), e.g. OUT/report.html")
    parser.add_argument("--make-demo", metavar="DIR",
                        help="write a small demo dataset to DIR/preds and DIR/gts and exit")
    parser.add_argument("--version", action="version", version=_version())
    return parser


def build_compare_parser() -> argparse.ArgumentParser:
    """The argument parser of ``segmetrics-eval compare``."""
    parser = argparse.ArgumentParser(
        prog="segmetrics-eval compare",
        description="Score two prediction folders against one ground-truth folder and compare "
                    "them case by case: mean difference A - B with its bootstrap interval, "
                    "Wilcoxon signed-rank p-value, wins. Writes OUT/a/, OUT/b/ (each model's "
                    "metrics.csv and summary.json), OUT/comparison.csv and "
                    "OUT/comparison.json.",
        epilog="Exit codes: 0 every case scored; 1 some cases failed or were missing; "
               "2 usage error; 130 interrupted.",
    )
    parser.add_argument("pred_dir_a", help="folder of model A's predictions")
    parser.add_argument("pred_dir_b", help="folder of model B's predictions")
    parser.add_argument("gt_dir", help="folder of ground truths")
    _add_scoring_options(parser)
    parser.add_argument("--resume", action="store_true",
                        help="keep the complete cases of OUT/a/ and OUT/b/ and score the rest")
    return parser


def _version() -> str:
    import segmetrics

    return f"segmetrics {segmetrics.__version__}"


def _format(stats: Mapping[str, Any]) -> str:
    if stats["mean"] is None:
        return "-"
    text = f"{stats['mean']:.4f} ({stats['std']:.4f})"
    if stats.get("ci_low") is not None:
        text += f" [{stats['ci_low']:.4f}, {stats['ci_high']:.4f}]"
    return text


def summary_table(summary: Mapping[str, Any]) -> str:
    """A short human-readable table: mean (std) [bootstrap CI] per label and metric."""
    metrics = summary["metrics"]
    rows = [["label", *metrics]]
    for label, per_metric in summary["per_label"].items():
        rows.append([label, *(_format(per_metric[m]) for m in metrics)])
    rows.append(["all", *(_format(summary["all_labels"][m]) for m in metrics)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    counts = ", ".join(f"{status} {n}" for status, n in summary["status_counts"].items() if n)
    bootstrap = summary.get("bootstrap") or {}
    ci = bootstrap.get("confidence") if bootstrap.get("n_resamples") else None
    what = "mean (std)" + (f" [{ci * 100:g}% bootstrap CI]" if ci else "")
    return "\n".join([f"{summary['n_cases']} cases; rows: {counts}; {what} per label:",
                      *lines])


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    print(f"segmetrics-eval: warning: {message}", file=sys.stderr)


def _options(args: argparse.Namespace, command_line: Sequence[str]) -> dict[str, Any]:
    """The evaluate_folder keywords shared by both commands."""
    return {
        "out_dir": args.out, "metrics": args.metrics, "labels": args.labels,
        "threshold": args.threshold, "ignore_index": args.ignore_index,
        "spacing": args.spacing, "nsd_tolerance": args.nsd_tolerance,
        "colormap": args.colormap, "strip_suffixes": args.strip_suffix,
        "pattern": args.pattern, "preset": args.preset, "both_empty": args.both_empty,
        "zero_division": args.zero_division, "jobs": args.jobs, "overwrite": args.overwrite,
        "confidence": args.confidence, "n_resamples": args.bootstrap_resamples,
        "command_line": command_line, "progress": not args.quiet and sys.stderr.isatty(),
        "surface": args.surface, "regions": args.regions, "fbeta_beta": args.fbeta_beta,
        "max_voxels": args.max_voxels, "case_timeout": args.case_timeout or None,
        "resume": args.resume,
    }


def _engine(args: argparse.Namespace) -> AbstractContextManager[Client | None]:
    """A Dask client for --scheduler/--dask-local, else a context holding None."""
    import contextlib

    if args.scheduler is None and args.dask_local is None:
        return contextlib.nullcontext(None)
    from segmetrics.evaluation import UsageError

    if args.dask_local is not None and args.dask_local < 1:
        raise UsageError(f"--dask-local must be >= 1; got {args.dask_local}")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError("--scheduler and --dask-local need dask.distributed: "
                         "pip install 'segmetrics[dask]'") from None
    from segmetrics.distributed import connect

    return connect(args.scheduler, args.dask_local)


def _report_failures(records: Iterable[Record]) -> None:
    failures: dict[str, str] = {}
    for record in records:
        if record.status in ("error", "missing"):
            failures.setdefault(record.case, f"{record.status}: {record.error}")
    print(f"segmetrics-eval: {len(failures)} cases failed or were missing (they are in "
          "metrics.csv with their status and error):", file=sys.stderr)
    for case, reason in list(failures.items())[:10]:
        print(f"  {case}: {reason}", file=sys.stderr)
    if len(failures) > 10:
        print(f"  ... and {len(failures) - 10} more", file=sys.stderr)


def _failed(summary: Mapping[str, Any]) -> int:
    return cast(int, summary["status_counts"]["error"] + summary["status_counts"]["missing"])


def _check_paths(args: argparse.Namespace) -> None:
    """The output folder must be creatable and writable; a report is a file in an existing
    folder or in the output folder."""
    from segmetrics.evaluation import UsageError

    existing = os.path.abspath(args.out)
    while not os.path.lexists(existing):  # the folder, or the nearest one it would go in
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"cannot create the output folder {args.out!r}: {existing!r} "
                         "is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write the output folder {args.out!r}: {existing!r} "
                         "is not writable")
    report = getattr(args, "report", None)
    if report:
        parent = os.path.dirname(os.path.abspath(report))
        if os.path.isdir(report):
            raise UsageError(f"--report {report!r} is a folder; give the HTML file's path")
        if parent == os.path.abspath(args.out):  # made by the run if need be
            return
        if not os.path.isdir(parent):
            raise UsageError(f"--report {report!r}: the folder {parent!r} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"--report {report!r}: the folder {parent!r} is not writable")


def _run(work: Callable[[Client | None], _T], args: argparse.Namespace) -> _T | int:
    """Run ``work(client)`` with warnings shown plainly; returns its result or an exit code."""
    from segmetrics.evaluation import UsageError

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            _check_paths(args)
            with _engine(args) as client:
                return work(client)
        except UsageError as exc:
            print(f"segmetrics-eval: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print(f"segmetrics-eval: interrupted; the finished cases are in "
                  f"{os.path.join(args.out, 'metrics.csv')}: rerun with --resume",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        except OSError as exc:  # e.g. no scheduler at --scheduler
            if args.scheduler is None and args.dask_local is None:
                raise
            print(f"segmetrics-eval: error: Dask cluster: {exc}", file=sys.stderr)
            return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``segmetrics-eval``; returns the exit code.

    ``segmetrics-eval compare A/ B/ GT/`` (the first argument is the word
    ``compare``) compares two models; a prediction folder named ``compare`` is
    written ``./compare``.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "compare":
        return _main_compare(argv[1:])
    from segmetrics.evaluation import evaluate_folder

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.make_demo:
        from segmetrics.demo import make_demo_folder

        paths = make_demo_folder(args.make_demo)
        print(f"demo data written: {paths[0]} and {paths[1]}")
        return EXIT_OK
    if args.pred_dir is None or args.gt_dir is None:
        parser.print_usage(sys.stderr)
        print("segmetrics-eval: error: give a prediction folder and a ground-truth folder "
              "(or --make-demo DIR)", file=sys.stderr)
        return EXIT_USAGE
    options = _options(args, ["segmetrics-eval", *argv])

    def work(client: Client | None) -> Evaluation:
        return evaluate_folder(args.pred_dir, args.gt_dir, client=client, **options)

    result = _run(work, args)
    if isinstance(result, int):
        return result
    summary = result.summary
    written = [os.path.join(args.out, "metrics.csv"), os.path.join(args.out, "summary.json")]
    if args.report:
        from segmetrics.report import write_report

        write_report(args.report, result)
        written.append(args.report)
    if not args.quiet:
        print(summary_table(summary))
        print(f"written: {', '.join(written)}")
    if _failed(summary):
        _report_failures(result.records)
        return EXIT_CASES_FAILED
    return EXIT_OK


def _main_compare(argv: Sequence[str]) -> int:
    from segmetrics.compare import compare_folders, comparison_table

    args = build_compare_parser().parse_args(argv)
    options = _options(args, ["segmetrics-eval", "compare", *argv])

    def work(client: Client | None) -> Comparison:
        return compare_folders(args.pred_dir_a, args.pred_dir_b, args.gt_dir, client=client,
                               **options)

    result = _run(work, args)
    if isinstance(result, int):
        return result
    if not args.quiet:
        print(f"A = {args.pred_dir_a}, B = {args.pred_dir_b}; differences are A - B, "
              f"paired by case:")
        print(comparison_table(result.rows, confidence=args.confidence))
        print(f"written: {os.path.join(args.out, 'comparison.csv')}, "
              f"{os.path.join(args.out, 'comparison.json')}, "
              f"{os.path.join(args.out, 'a')}/, {os.path.join(args.out, 'b')}/")
    failed = False
    for name, evaluation in (("A", result.a), ("B", result.b)):
        if _failed(evaluation.summary):
            print(f"segmetrics-eval: model {name}:", file=sys.stderr)
            _report_failures(evaluation.records)
            failed = True
    return EXIT_CASES_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
