#!/usr/bin/python3
"""Mutation check of the conformance suite: is every rule hard to break without a FAIL?

Applies the breakages of tools/mutations.json to rpcfit's own runtime one at a time, rebuilds the
`rpcfit` CLI, runs the conformance suite on the broken runtime, and says of each breakage whether
the suite caught it with a FAIL that names the breakage's rule. Each entry:

    {"id": "...", "rule": "CS-TMO-2", "file": "drivers/runtime/call_cancel.cc",
     "find": "<text that occurs once in the file>", "replace": "<the broken text>",
     "breaks": "what the broken runtime does wrong"}

Verdicts per breakage:
    killed        some scenario FAILed with a mismatch naming the rule (the goal)
    wrong-rule    scenarios FAILed, none naming the rule
    error-only    only ERRORs: the suite saw trouble but blamed the harness
    survived      the whole suite passed on the broken runtime
    no-build      the broken source did not compile (fix the entry)
    stale         `find` does not occur exactly once (fix the entry)

The work happens in a copy of the tree (tracked and untracked files, not ignored ones) under the
build folder, so the checkout is never modified, and its build is incremental: each breakage
recompiles one file and relinks the CLI. The suite first runs on the unbroken copy, which must
pass. For each breakage the scenarios citing its rule run first (`rpcfit run --rule`); only when
they do not kill it does the whole suite run.

Usage (from anywhere):
    tools/mutate.py                       # every breakage; exit 0 only if all are killed
    tools/mutate.py --only tmo-ignores-finite --only dg-cancel-id-constant
    tools/mutate.py --list
Options: --build-dir (default build/mutate), --time-scale (1), --jobs (2), --tolerance-scale (1).
Writes <build-dir>/mutation-report.md and mutation-report.json. Standard library only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE_TIMEOUT_S = 1200  # one suite run on a broken runtime, at most
BUILD_TIMEOUT_S = 1800


def log(text):
    print(text, flush=True)


def load_mutations(path):
    with open(path, encoding="utf-8") as f:
        entries = json.load(f)
    seen = set()
    for i, e in enumerate(entries):
        for key in ("id", "rule", "file", "find", "replace", "breaks"):
            if not isinstance(e.get(key), str):
                raise SystemExit(f"{path}: entry {i}: '{key}' must be a string")
            if not e[key] and key != "replace":  # an empty replacement deletes `find`
                raise SystemExit(f"{path}: entry {i}: '{key}' must not be empty")
        if e["id"] in seen:
            raise SystemExit(f"{path}: entry {i}: duplicate id {e['id']}")
        seen.add(e["id"])
    return entries


def tree_files():
    """The checkout's files as git sees them (tracked and untracked, not ignored)."""
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"],
                         check=True, capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def sync_copy(src_dir):
    """Copies the checkout into src_dir, touching only files whose bytes differ (so the build
    there stays incremental)."""
    wanted = set()
    for rel in tree_files():
        source = os.path.join(ROOT, rel)
        if not os.path.isfile(source):
            continue  # deleted in the work tree but still tracked
        wanted.add(rel)
        target = os.path.join(src_dir, rel)
        with open(source, "rb") as f:
            data = f.read()
        if os.path.isfile(target):
            with open(target, "rb") as f:
                if f.read() == data:
                    continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
        shutil.copymode(source, target)
    for dirpath, dirnames, filenames in os.walk(src_dir):
        if os.path.relpath(dirpath, src_dir).split(os.sep)[0] in ("build", "runs"):
            dirnames[:] = []
            continue
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), src_dir)
            if rel not in wanted:
                os.remove(os.path.join(dirpath, name))


def build(src_dir, log_path):
    with open(log_path, "w", encoding="utf-8") as out:
        build_dir = os.path.join(src_dir, "build", "default")
        if not os.path.isfile(os.path.join(build_dir, "CMakeCache.txt")):
            r = subprocess.run(["cmake", "--preset", "default"], cwd=src_dir, stdout=out,
                               stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S)
            if r.returncode != 0:
                return False
        r = subprocess.run(["cmake", "--build", build_dir, "--target", "rpcfit", "-j2"],
                           cwd=src_dir, stdout=out, stderr=subprocess.STDOUT,
                           timeout=BUILD_TIMEOUT_S)
        return r.returncode == 0


def run_suite(src_dir, out_dir, args, rule=None):
    """Runs the suite (or the scenarios citing `rule`) and returns its report, or None."""
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    cli = os.path.join(src_dir, "build", "default", "harness", "cli", "rpcfit")
    command = [cli, "run", "scenarios", "--out", out_dir, "-j", str(args.jobs),
               "--time-scale", str(args.time_scale),
               "--tolerance-scale", str(args.tolerance_scale), "--seed", "1"]
    if rule:
        command += ["--rule", rule]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "console.txt"), "w", encoding="utf-8") as console:
        try:
            subprocess.run(command, cwd=src_dir, stdout=console, stderr=subprocess.STDOUT,
                           timeout=SUITE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return None
    try:
        with open(os.path.join(out_dir, "report.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def judge(report, rule):
    """(verdict, scenarios that caught it, a first mismatch naming the rule)."""
    if report is None:
        return "error-only", [], "the suite run produced no report"
    naming, failing, erroring = [], [], []
    first = ""
    for s in report.get("scenarios", []):
        if s["verdict"] == "FAIL":
            failing.append(s["id"])
            for m in s["mismatches"]:
                if rule in m.get("rules", []):
                    if s["id"] not in naming:
                        naming.append(s["id"])
                    if not first:
                        first = f"{m['location']}: {m['field']}: expected {m['expected']}, " \
                                f"got {m['actual']}"
        elif s["verdict"] in ("ERROR", "XPASS"):
            erroring.append(s["id"])
    if naming:
        return "killed", naming, first
    if failing:
        return "wrong-rule", failing, "FAILs name other rules"
    if erroring:
        return "error-only", erroring, "only ERRORs"
    return "survived", [], ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mutations", default=os.path.join(ROOT, "tools", "mutations.json"))
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build", "mutate"))
    parser.add_argument("--only", action="append", default=[], help="run only this id")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--tolerance-scale", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the breakages and stop")
    args = parser.parse_args()

    mutations = load_mutations(args.mutations)
    if args.only:
        unknown = set(args.only) - {m["id"] for m in mutations}
        if unknown:
            raise SystemExit("unknown --only: " + ", ".join(sorted(unknown)))
        mutations = [m for m in mutations if m["id"] in args.only]
    if args.list:
        for m in mutations:
            log(f"{m['id']:40} {m['rule']:10} {m['breaks']}")
        return 0

    started = time.monotonic()
    work = os.path.abspath(args.build_dir)
    src = os.path.join(work, "src")
    os.makedirs(src, exist_ok=True)
    log(f"mutate: copying the tree to {src}")
    sync_copy(src)
    log("mutate: building the unbroken runtime")
    if not build(src, os.path.join(work, "build-baseline.log")):
        log(f"mutate: ERROR: the unbroken tree does not build ({work}/build-baseline.log)")
        return 2
    baseline = run_suite(src, os.path.join(work, "runs", "baseline"), args)
    bad = [s["id"] for s in (baseline or {}).get("scenarios", []) if s["verdict"] != "PASS"]
    if baseline is None or bad:
        log("mutate: ERROR: the suite does not pass on the unbroken runtime: " +
            (", ".join(bad) if baseline else "no report"))
        return 2
    log(f"mutate: baseline passes ({len(baseline['scenarios'])} scenarios)")

    results = []
    for n, m in enumerate(mutations, 1):
        t0 = time.monotonic()
        path = os.path.join(src, m["file"])
        with open(path, encoding="utf-8") as f:
            original = f.read()
        result = {"id": m["id"], "rule": m["rule"], "breaks": m["breaks"], "by": [],
                  "evidence": "", "ran": ""}
        if original.count(m["find"]) != 1:
            result["verdict"] = "stale"
            result["evidence"] = f"'find' occurs {original.count(m['find'])} times in {m['file']}"
        else:
            try:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(original.replace(m["find"], m["replace"], 1))
                if not build(src, os.path.join(work, f"build-{m['id']}.log")):
                    result["verdict"] = "no-build"
                    result["evidence"] = f"see {work}/build-{m['id']}.log"
                else:
                    runs = os.path.join(work, "runs", m["id"])
                    verdict, by, evidence = judge(
                        run_suite(src, os.path.join(runs, "rule"), args, m["rule"]), m["rule"])
                    result["ran"] = "rule"
                    if verdict != "killed":
                        verdict, by, evidence = judge(
                            run_suite(src, os.path.join(runs, "suite"), args), m["rule"])
                        result["ran"] = "suite"
                    result.update(verdict=verdict, by=by, evidence=evidence)
            finally:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(original)
        result["seconds"] = round(time.monotonic() - t0, 1)
        results.append(result)
        log(f"[{n}/{len(mutations)}] {result['verdict']:10} {m['id']:40} {m['rule']:10} "
            f"{result['seconds']:6.1f}s  {', '.join(result['by'][:2])}")

    # Leave the copy's build matching the tree again.
    build(src, os.path.join(work, "build-restore.log"))
    killed = sum(1 for r in results if r["verdict"] == "killed")
    elapsed = time.monotonic() - started
    summary = f"killed {killed}/{len(results)} in {elapsed:.0f}s " \
              f"(time scale {args.time_scale}, -j {args.jobs})"
    lines = ["| breakage | rule | verdict | caught by (first) | s |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| `{r['id']}` | {r['rule']} | {r['verdict']} | "
                     f"{r['by'][0] if r['by'] else '-'} | {r['seconds']} |")
    report = "\n".join(lines) + "\n\n" + summary + "\n"
    with open(os.path.join(work, "mutation-report.md"), "w", encoding="utf-8") as f:
        f.write(report)
    with open(os.path.join(work, "mutation-report.json"), "w", encoding="utf-8") as f:
        json.dump({"summary": summary, "results": results}, f, indent=1)
    log("")
    log(report)
    for r in results:
        if r["verdict"] != "killed":
            log(f"NOT KILLED: {r['id']} ({r['rule']}): {r['verdict']}: {r['breaks']} "
                f"{r['evidence']}")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
