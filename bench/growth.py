"""Growth: build time, index size and query p95 of generated archives of increasing size.

For each size, generates an archive with ``bench/generate.py`` (resampling the source corpus),
builds it with ``zhsearch index`` (wall and CPU time of that process), measures the index on disk
and the warm query latency of the committed query set with ``bench/queries.py``. Each size's
figures are merged into ``bench/growth.json`` as soon as they are measured (so sizes can be run
in separate invocations), and ``bench/growth.png`` is redrawn from that file.

    python bench/growth.py [--sizes 10000,23617,100000,300000] [--source ../shared/corpus]
                           [--work /tmp/zhsearch-growth] [--repeat 3] [--keep]
    python bench/growth.py --plot-only
    python bench/growth.py --sizes 10000,23617 --requery   # new query figures, same indexes

``--requery`` measures the queries again on the kept index of each size (after a change to the
query code that leaves the index as it is) and keeps that size's build figures; the entry then
names both revisions (``revision`` for the build, ``query_revision`` for the queries).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "growth.json"
PLOT = BENCH / "growth.png"
DEFAULT_SIZES = "10000,23617,100000,300000"


def zhsearch_command() -> list[str]:
    beside = Path(sys.executable).with_name("zhsearch")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "zhsearch"]


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def revision() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def timed(cmd: list[str], log: Path) -> tuple[float, float]:
    """Run ``cmd`` (output appended to ``log``); its wall and user+system CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_queries(index: Path, repeat: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(BENCH / "queries.py"), "--index", str(index),
                          "--repeat", str(repeat), "--json", "-"], capture_output=True, text=True, check=True)
    queries: dict[str, Any] = json.loads(out.stdout)
    return {
        "documents": queries["documents"],
        "query_ms": queries["overall"],
        "query_cpu_ms": queries.get("overall_cpu"),
        "query_p95_by_category_ms": {k: v["p95"] for k, v in queries["categories"].items()},
        "query_repeat": repeat,
    }


def requery_size(size: int, previous: dict[str, Any] | None, args: argparse.Namespace) -> dict[str, Any]:
    """``previous`` (this size's build figures) with query figures measured again on its kept index."""
    index = args.work / f"index-{size}"
    if previous is None or not index.exists():
        raise SystemExit(f"--requery {size}: needs its kept index ({index}) and its entry in {args.results}")
    print(f"[{size}] querying {index} again", flush=True)
    figures = {**previous, **measure_queries(index, args.repeat)}
    figures["query_revision"] = args.revision or revision()
    figures["query_measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    print(f"[{size}] query p50 {figures['query_ms']['p50']:.1f} ms, p95 {figures['query_ms']['p95']:.1f} ms",
          flush=True)
    return figures


def measure_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.work
    archive, index, log = work / f"archive-{size}", work / f"index-{size}", work / f"growth-{size}.log"
    if archive.exists() and not (archive / ".complete").exists():
        shutil.rmtree(archive)
    if not archive.exists():
        print(f"[{size}] generating {archive}", flush=True)
        timed([sys.executable, str(BENCH / "generate.py"), *map(str, args.source), "--out", str(archive),
               "--count", str(size), "--seed", str(args.seed), "--pool", str(work / "pool.json.gz")], log)
        (archive / ".complete").touch()
    if index.exists():
        shutil.rmtree(index)
    print(f"[{size}] building {index}", flush=True)
    build_wall, build_cpu = timed([*zhsearch_command(), "index", str(archive), "--index", str(index)], log)
    index_bytes = tree_bytes(index)
    print(f"[{size}] built in {build_wall:.0f}s ({build_cpu:.0f}s CPU), {index_bytes / 1e6:.0f} MB; querying",
          flush=True)
    figures = {
        "articles": size,
        "archive_bytes": tree_bytes(archive),
        "build_wall_s": build_wall,
        "build_cpu_s": build_cpu,
        "index_bytes": index_bytes,
        **measure_queries(index, args.repeat),
        "revision": args.revision or revision(),
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(f"[{size}] query p50 {figures['query_ms']['p50']:.1f} ms, p95 {figures['query_ms']['p95']:.1f} ms",
          flush=True)
    if not args.keep:
        shutil.rmtree(index)
        shutil.rmtree(archive)
    return figures


def load_results(path: Path) -> dict[str, Any]:
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    return {"sizes": {}}


def save_results(results: dict[str, Any], path: Path) -> None:
    results["sizes"] = dict(sorted(results["sizes"].items(), key=lambda kv: int(kv[0])))
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def plot(results: dict[str, Any], path: Path = PLOT) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(results["sizes"].values(), key=lambda r: r["articles"])
    if not rows:
        return
    n = [r["articles"] / 1000 for r in rows]
    panels = [
        ("build time (min)", [r["build_wall_s"] / 60 for r in rows], None),
        ("index size (MB)", [r["index_bytes"] / 1e6 for r in rows], None),
        ("query latency (ms)", [r["query_ms"]["p95"] for r in rows], 30.0),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, (label, values, target) in zip(axes, panels):
        ax.plot(n, values, marker="o", label="p95" if target else None)
        if target:
            ax.plot(n, [r["query_ms"]["p50"] for r in rows], marker="s", linestyle="--", label="p50")
            cpu = [(x, r["query_cpu_ms"]["p95"]) for x, r in zip(n, rows) if r.get("query_cpu_ms")]
            if cpu:
                ax.plot([x for x, _ in cpu], [y for _, y in cpu], marker="^", linestyle="-.",
                        label="p95 CPU time (without the wait for a core)")
            ax.axhline(target, color="red", linewidth=0.8, linestyle=":", label=f"target p95 {target:.0f} ms")
            ax.legend(fontsize=7, loc="upper left")
        for x, y in zip(n, values):
            ax.annotate(f"{y:.1f}" if y < 10 else f"{y:.0f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_xlabel("articles (thousands)")
        ax.set_title(label, fontsize=10)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    revisions = sorted({r.get("revision", "?") for r in rows} | {r["query_revision"] for r in rows if "query_revision" in r})
    fig.suptitle(f"zhsearch growth on generated archives (resampled real corpus), rev {', '.join(revisions)}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated (default {DEFAULT_SIZES})")
    parser.add_argument("--source", type=Path, nargs="+", default=[REPO.parent / "shared" / "corpus"],
                        help="real corpus folders to resample (default ../shared/corpus)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/zhsearch-growth"),
                        help="where archives and indexes are written (default /tmp/zhsearch-growth)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds of the query set (default 3)")
    parser.add_argument("--revision", help="label of the code measured (default: git HEAD of this repository)")
    parser.add_argument("--keep", action="store_true", help="keep the archives and indexes")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results JSON (default bench/growth.json)")
    parser.add_argument("--plot", type=Path, default=PLOT, help="plot PNG (default bench/growth.png)")
    parser.add_argument("--plot-only", action="store_true", help="redraw bench/growth.png from bench/growth.json")
    parser.add_argument("--requery", action="store_true",
                        help="only measure the queries again on each size's kept index (keeps its build figures)")
    args = parser.parse_args()

    results = load_results(args.results)
    if not args.plot_only:
        args.work.mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in args.sizes.split(",") if s.strip()):
            if args.requery:
                results["sizes"][str(size)] = requery_size(size, results["sizes"].get(str(size)), args)
            else:
                results["sizes"][str(size)] = measure_size(size, args)
            save_results(results, args.results)
            plot(results, args.plot)
    plot(results, args.plot)
    print(f"{'articles':>9s} {'build':>9s} {'CPU':>9s} {'index MB':>9s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}"
          f" {'CPU p95':>8s}")
    for r in sorted(results["sizes"].values(), key=lambda r: r["articles"]):
        q = r["query_ms"]
        cpu = (r.get("query_cpu_ms") or {}).get("p95", float("nan"))
        print(f"{r['articles']:9d} {r['build_wall_s']:8.0f}s {r['build_cpu_s']:8.0f}s {r['index_bytes'] / 1e6:9.0f} "
              f"{q['p50']:8.1f} {q['p95']:8.1f} {q['p99']:8.1f} {cpu:8.1f}")
    print(f"results: {args.results}, plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
