"""Turn a pytest-benchmark JSON file into the Markdown tables of docs/benchmarks.md.

Usage: ``python bench/report.py results.json > table.md``. In each group every row is
reported as a ratio to the group's floor (reading the memory once) and to our fastest
implementation, so all ratios come from one run.
"""
import json
import sys
from collections import defaultdict


def _impl(bench):
    params = bench.get("params") or {}
    return params.get("impl") or bench["name"].split("[")[0].removeprefix("test_")


def tables(results):
    groups = defaultdict(list)
    for bench in results["benchmarks"]:
        groups[bench["group"]].append(bench)
    lines = []
    for group, benches in groups.items():
        times = {_impl(b): b["stats"]["median"] for b in benches}
        roles = {_impl(b): b.get("extra_info", {}).get("role", "") for b in benches}
        floor = next((t for i, t in times.items() if roles[i] == "floor"), None)
        ours = min((t for i, t in times.items() if roles[i] == "ours"), default=None)
        lines += [f"### {group}", "",
                  "| implementation | median (ms) | × floor | × our fastest |", "|---|---:|---:|---:|"]
        for impl, median in sorted(times.items(), key=lambda item: item[1]):
            vs_floor = f"{median / floor:.2f}" if floor else "–"
            vs_ours = f"{median / ours:.1f}" if ours else "–"
            lines.append(f"| {impl} ({roles[impl] or '-'}) | {median * 1e3:.2f} | {vs_floor} | {vs_ours} |")
        lines.append("")
    return "\n".join(lines)


def main(path):
    with open(path) as handle:
        results = json.load(handle)
    machine = results.get("machine_info", {})
    print(f"Machine: {machine.get('cpu', {}).get('brand_raw', '?')}, "
          f"{machine.get('cpu', {}).get('count', '?')} cores, Python {machine.get('python_version', '?')}.\n")
    print(tables(results))


if __name__ == "__main__":
    main(sys.argv[1])
