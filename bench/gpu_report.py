"""Turn the pytest-benchmark JSON of the GPU benchmarks into Markdown tables.

Usage: ``python bench/gpu_report.py results.json [more.json ...] > gpu.md``. Generic over
benchmark files: every group found is reported. In each group every row gives the min
and median time, the ratio of its median to the group's floor (``role == "floor"``)
and to our fastest (``role == "ours"``), and the peak device memory it allocated beyond
its inputs (``extra_info["peak_extra_bytes"]``) when recorded.
"""
import json
import sys
from collections import defaultdict


def _impl(bench):
    params = bench.get("params") or {}
    return str(params.get("impl") or bench["name"].split("[")[0].removeprefix("test_"))


def _ratio(value, reference):
    return f"{value / reference:.2f}" if reference else "–"


def _memory(info):
    extra = info.get("peak_extra_bytes")
    if extra is None:
        return "–"
    share = info.get("peak_extra_vs_one_input")
    return f"{extra / 2**20:.1f} MiB" + (f" ({100 * share:.1f} %)" if share is not None else "")


def tables(benches):
    groups = defaultdict(list)
    for bench in benches:
        groups[bench["group"] or bench["name"]].append(bench)
    lines = []
    for group, members in groups.items():
        roles = {_impl(b): b.get("extra_info", {}).get("role", "") for b in members}
        medians = {_impl(b): b["stats"]["median"] for b in members}
        floor = next((medians[i] for i in medians if roles[i] == "floor"), None)
        ours = min((medians[i] for i in medians if roles[i] == "ours"), default=None)
        lines += [f"### {group}", "",
                  "| implementation | role | min (ms) | median (ms) | × floor | × our fastest "
                  "| peak extra memory (% of one input) |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for bench in sorted(members, key=lambda b: b["stats"]["median"]):
            impl, stats = _impl(bench), bench["stats"]
            lines.append(f"| {impl} | {roles[impl] or '-'} | {stats['min'] * 1e3:.3f} | "
                         f"{stats['median'] * 1e3:.3f} | {_ratio(stats['median'], floor)} | "
                         f"{_ratio(stats['median'], ours)} | {_memory(bench.get('extra_info', {}))} |")
        lines.append("")
    return "\n".join(lines)


def main(paths):
    benches, machine = [], {}
    for path in paths:
        try:
            with open(path) as handle:
                results = json.load(handle)
        except (OSError, ValueError) as exc:
            print(f"<!-- {path}: unreadable ({exc}) -->")
            continue
        benches += results.get("benchmarks", [])
        machine = machine or results.get("machine_info", {})
    gpu = machine.get("gpu", "") or "see gpu_check.log"
    print(f"GPU: {gpu}. Python {machine.get('python_version', '?')}. Medians and minimums "
          "from one run; ratios within a group come from that run.\n")
    print(tables(benches) if benches else "No benchmark results were written.")


if __name__ == "__main__":
    main(sys.argv[1:])
