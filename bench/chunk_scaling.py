"""Scaling benchmark: one long render, unchunked and split into chunks across RQ worker processes.

    .venv/bin/python bench/chunk_scaling.py [--seconds 600] [--size 1280x720] [--template bars]
                                            [--workers 1,2,4] [--chunk-seconds 60] [--extra-chunk-seconds 30]
                                            [--pin] [--json out.json]

A private stack (``bench/stack.py``: its own Postgres database, Redis db, local storage, gunicorn
with the Procfile's web command, ``python worker.py`` processes) and a generated track
(``render_bench.make_clip``: kick, bass, chords, hats; AAC). Each phase starts the web and its
workers with its own ``RENDER_CHUNK_SECONDS``, registers a user, uploads the track through
``POST /api/v1/renders`` (payments off, so it is queued at once), polls until the job completes,
then stops the processes. Phases, one after the other:

  * ``unchunked``: ``RENDER_CHUNK_SECONDS=0``, one worker: the single render task;
  * ``chunks 60 s x W``: ``--chunk-seconds``, with each W of ``--workers`` worker processes;
  * ``chunks 30 s x 1``: each ``--extra-chunk-seconds``, one worker (a second chunk size for the
    per-chunk model below).

Everything is read from the workers' JSON logs: the plan (claim, analysis, features stored, rows;
``render_started`` .. ``render_chunks_planned``), each chunk (``render_chunk_start`` ..
``render_chunk_done``, with the engine's ``wall_seconds`` and the browser's ``startup_seconds``
from ``capture_browser_ready``), the pick-up gap before each chunk on its worker, and the join
(last chunk done .. ``render_completed``: the join job's pick-up, downloads, concat + audio mux,
the final upload). A chunk's "slot" is its pick-up gap plus its task time.

The projection for N separate machines uses the one-worker run of each chunk size (no CPU shared
between chunks): ``T(N) = plan + audio delay + ceil(chunks / N) * median slot + join`` (the audio
job, queued as the plan starts, holds one machine: all of its time on 1 machine, what outlasts the
plan on N > 1); speed-up is
``T_unchunked / T(N)``, efficiency is speed-up / N. A slot is modelled as ``a + b * frames`` from
the unchunked run's time per frame plus the fixed costs measured on each chunk (load drifts
between phases on a shared machine; this cancels it), which also gives the best chunk length per N.

``--pin`` runs worker i on core i only (``taskset``; its work horse, Chromium and FFmpeg inherit
the affinity): each worker is then a one-core machine, and ``--pin --workers 1,2`` measures two
machines against one on a two-core box instead of projecting it (web, Postgres, Redis and the
local storage stay unpinned and shared).

Not part of the test suite. On a shared machine, keep other benchmarks from overlapping the run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import redis
from rq import Worker

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load_bench import api_json, register, start_web, upload_render
from render_bench import make_clip
from stack import Stack, wait_for

from app.adapters.storage.local import LocalStorage
from app.rendering.chunks import chunk_frames, split_frames

FPS = 30
PROJECT_N = (1, 2, 4, 8, 10)
GOAL = 0.85


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load avg {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min), {os.cpu_count()} cores"


# -- one phase -----------------------------------------------------------------------------

def worker_args(index: int, pin: bool) -> list[str]:
    """``python worker.py``; with ``pin``, under ``taskset`` on core ``index`` (mod the cores): a
    machine of one core, whose work horse, Chromium and FFmpeg inherit the affinity."""
    args = [sys.executable, "worker.py"]
    return ["taskset", "-c", str(index % (os.cpu_count() or 1)), *args] if pin else args


def run_phase(stack: Stack, name: str, clip: Path, config: dict, workers: int,
              chunk_seconds: int, timeout: float, extra_env: dict[str, str] | None = None,
              pin: bool = False) -> dict:
    env = {**(extra_env or {}), "RENDER_CHUNK_SECONDS": str(chunk_seconds)}
    tag = uuid.uuid4().hex[:6]
    load_before = load()
    web, port = start_web(stack, "wsgi:app", f"web-{tag}.log", **env)
    logs = [f"worker-{tag}-{i}.log" for i in range(workers)]
    procs = [stack.start(worker_args(i, pin), log, **env) for i, log in enumerate(logs)]
    try:
        connection = redis.Redis.from_url(stack.services.redis_url)
        wait_for(lambda: Worker.count(connection=connection) >= workers, timeout=120)
        token = register(port)
        started = time.time()
        status, body = upload_render(port, token, clip, {**config, "title": f"Scaling {name}"})
        uploaded = time.time()
        if status != 201:
            raise SystemExit(f"{name}: upload answered {status} {body}")
        job_id = body["id"]
        deadline = time.monotonic() + timeout
        while True:
            status, job = api_json(port, "GET", f"/api/v1/renders/{job_id}", token=token)
            if job.get("status") in ("completed", "failed", "canceled"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: not finished after {timeout:.0f} s: {job}")
            time.sleep(1.0)
        if job["status"] != "completed":
            raise SystemExit(f"{name}: render {job['status']}: {job.get('error')}")
    finally:
        for process in procs:
            stack.stop(process)
        stack.stop(web)
    events = read_events([stack.tmp / log for log in logs], job_id)
    result = {"name": name, "workers": workers, "chunk_seconds": chunk_seconds,
              "upload_seconds": round(uploaded - started, 2), "uploaded_at": uploaded,
              "load_before": load_before, "load_after": load()}
    result.update(analyse_unchunked(events, uploaded) if chunk_seconds == 0
                  else analyse_chunked(events, uploaded))
    return result


def read_events(paths: list[Path], job_id: str) -> list[dict]:
    """The JSON log lines of ``job_id``'s render (and its engine lines) from every worker log,
    each with ``t`` (epoch seconds) and ``worker`` (index), in time order."""
    events = []
    for index, path in enumerate(paths):
        for line in path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("render_job_id", job_id) != job_id:
                continue
            entry["t"] = datetime.fromisoformat(entry["ts"]).timestamp()
            entry["worker"] = index
            events.append(entry)
    return sorted(events, key=lambda e: e["t"])


def first(events: list[dict], name: str) -> dict:
    found = [e for e in events if e["event"] == name]
    if not found:
        raise SystemExit(f"no {name} in the worker logs")
    return found[0]


def analyse_unchunked(events: list[dict], uploaded: float) -> dict:
    started = first(events, "render_started")
    kept = first(events, "render_output_kept")
    completed = first(events, "render_completed")
    ready = [e for e in events if e["event"] == "capture_browser_ready"]
    return {
        "total": round(completed["t"] - uploaded, 2),
        "queue": round(started["t"] - uploaded, 2),
        "render": round(kept["t"] - started["t"], 2),
        "store": round(completed["t"] - kept["t"], 2),
        "browser_startup": ready[0]["startup_seconds"] if ready else None,
        "realtime_factor": kept.get("realtime_factor"),
        "frames": kept.get("frames"),
        "size_bytes": kept.get("size"),
    }


def analyse_chunked(events: list[dict], uploaded: float) -> dict:
    started = first(events, "render_started")
    planned = first(events, "render_chunks_planned")
    completed = first(events, "render_completed")
    chunks: dict[int, dict] = {}
    last_on_worker: dict[int, float] = {}
    current: dict[int, int] = {}
    for e in events:
        if e["event"] == "render_chunk_start":
            position = int(e["chunk"])
            before = last_on_worker.get(e["worker"], planned["t"])
            chunks[position] = {"chunk": position, "worker": e["worker"], "frames": e["end"] - e["start"],
                                "t_start": e["t"], "gap": round(e["t"] - before, 2)}
            current[e["worker"]] = position
        elif e["event"] == "capture_browser_ready" and e["worker"] in current:
            chunks[current[e["worker"]]]["browser_startup"] = e["startup_seconds"]
        elif e["event"] == "render_chunk_done":
            chunk = chunks[int(e["chunk"])]
            chunk["task"] = round(e["t"] - chunk["t_start"], 2)
            chunk["engine"] = e["wall_seconds"]
            chunk["io"] = round(chunk["task"] - chunk["engine"], 2)
            chunk["slot"] = round(chunk["gap"] + chunk["task"], 2)
            chunk["t_done"] = e["t"]
            last_on_worker[e["worker"]] = e["t"]
    rows = [chunks[i] for i in sorted(chunks)]
    last_done = max(c["t_done"] for c in rows)
    audio = [e for e in events if e["event"] == "render_audio_done"]
    copied = not any(e["event"] == "render_join_encodes_audio" for e in events)
    return {
        # the audio job: its encode seconds, and when it was stored, from the plan's end
        "audio": {"seconds": audio[0].get("seconds"), "worker": audio[0]["worker"],
                  "done_after_plan": round(audio[0]["t"] - planned["t"], 2),
                  "join_copied_it": copied} if audio else None,
        "planned_workers": planned.get("workers"),
        "total": round(completed["t"] - uploaded, 2),
        "queue": round(started["t"] - uploaded, 2),
        "plan": round(planned["t"] - uploaded, 2),  # queue pick-up + analysis + features stored
        "analysis": round(planned["t"] - started["t"], 2),
        "chunks_phase": round(last_done - planned["t"], 2),
        "join": round(completed["t"] - last_done, 2),
        "chunks": rows,
        "median": {k: round(statistics.median(c[k] for c in rows if c.get(k) is not None), 2)
                   for k in ("slot", "task", "engine", "io", "gap", "browser_startup")
                   if any(c.get(k) is not None for c in rows)},
        "frames": sum(c["frames"] for c in rows),
    }


# -- the projection ------------------------------------------------------------------------

def chunk_model(unchunked: dict, singles: list[dict]) -> tuple[float, float]:
    """``slot(frames) = a + b * frames`` anchored on the unchunked run, so that the machine's
    load, which drifts between phases, cancels out: ``b`` is the unchunked render's time per
    frame (its task time less its browser start-up), ``a`` the fixed costs measured on every
    chunk (pick-up gap, downloads and segment upload, browser start-up) plus the pre-roll of
    ``2 * fps`` frames each chunk but the first draws and drops. The segment's own mux and probe
    are inside the engine's time and not counted in ``a`` (so ``a`` is a lower bound)."""
    b = (unchunked["render"] - (unchunked["browser_startup"] or 0.0)) / unchunked["frames"]
    fixed = statistics.median(c["gap"] + c["io"] + c.get("browser_startup", 0.0)
                              for run in singles for c in run["chunks"])
    return fixed + 2 * FPS * b, b


def lead(plan: float, audio: float, n: int) -> float:
    """Seconds before the last machine starts its chunks: the plan, and the audio job, which is
    queued first when the plan starts -- on one machine it runs before the chunks; on N > 1 one
    machine is busy with it for as long as it outlasts the plan, and with a chunk count that is a
    multiple of N that machine finishes last."""
    return plan + (audio if n == 1 else max(0.0, audio - plan))


def projected(t_unchunked: float, plan: float, join: float, chunks: int, slot: float,
              audio: float = 0.0) -> list[dict]:
    rows = []
    for n in PROJECT_N:
        t = lead(plan, audio, n) + math.ceil(chunks / n) * slot + join
        speedup = t_unchunked / t
        rows.append({"n": n, "t": round(t, 1), "speedup": round(speedup, 2),
                     "efficiency": round(speedup / n, 2), "meets": speedup >= GOAL * n})
    return rows


def projected_fleet(t_unchunked: float, plan: float, join: float, frame_count: int, seconds: int,
                    model: tuple[float, float], audio: float = 0.0) -> list[dict]:
    """T(N) with the split the planner makes for N workers (``split_frames(..., workers=N)``:
    a chunk count that is a multiple of N, frames shared out evenly)."""
    a, b = model
    rows = []
    for n in PROJECT_N:
        ranges = split_frames(frame_count, FPS, seconds, workers=n)
        rounds = math.ceil(len(ranges) / n)
        t = lead(plan, audio, n) + rounds * (a + b * max(r.frames for r in ranges)) + join
        speedup = t_unchunked / t
        rows.append({"n": n, "chunks": len(ranges), "rounds": rounds, "t": round(t, 1),
                     "speedup": round(speedup, 2), "efficiency": round(speedup / n, 2),
                     "meets": speedup >= GOAL * n})
    return rows


def best_chunk_sizes(t_unchunked: float, plan: float, join: float, frame_count: int,
                     model: tuple[float, float], audio: float = 0.0) -> list[dict]:
    """For each N, the chunk length (whole keyframe intervals) with the shortest modelled T(N)."""
    a, b = model
    best = []
    for n in PROJECT_N:
        options = []
        for seconds in range(2, int(frame_count / FPS) + 2, 2):
            ranges = split_frames(frame_count, FPS, seconds, workers=n)
            widest = max(r.frames for r in ranges)
            if len(ranges) == 1:  # not split at all: the single render task
                t = t_unchunked
            else:
                t = lead(plan, audio, n) + math.ceil(len(ranges) / n) * (a + b * widest) + join
            options.append((t, seconds, len(ranges)))
        t, seconds, count = min(options)
        speedup = t_unchunked / t
        best.append({"n": n, "chunk_seconds": seconds, "chunks": count, "t": round(t, 1),
                     "speedup": round(speedup, 2), "efficiency": round(speedup / n, 2),
                     "meets": speedup >= GOAL * n})
    return best


# -- output --------------------------------------------------------------------------------

def print_report(results: list[dict], frame_count: int) -> dict:
    unchunked = next(r for r in results if r["chunk_seconds"] == 0)
    t1 = unchunked["total"]
    print("\n## Measured on this machine (end to end: upload answered -> render_completed)\n")
    print("| run | worker processes | chunks | total s | speed-up vs unchunked | plan s | chunks s "
          "| join s | load before -> after (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        n_chunks = len(r.get("chunks", [])) or 1
        print(f"| {r['name']} | {r['workers']} | {n_chunks} | {r['total']:.1f} | {t1 / r['total']:.2f}x "
              f"| {r.get('plan', '-')} | {r.get('chunks_phase', r.get('render', '-'))} "
              f"| {r.get('join', r.get('store', '-'))} "
              f"| {r['load_before'].split()[2]} -> {r['load_after'].split()[2]} |")
    print(f"\nunchunked: queue {unchunked['queue']} s, render task {unchunked['render']} s "
          f"(browser start-up {unchunked['browser_startup']} s, real-time factor "
          f"{unchunked['realtime_factor']}), store {unchunked['store']} s; upload (POST) "
          f"{unchunked['upload_seconds']} s")
    for r in results:
        if not r.get("chunks"):
            continue
        audio = r.get("audio")
        audio_line = ("no audio job" if not audio else
                      f"audio job {audio['seconds']} s on worker {audio['worker']}, stored "
                      f"{audio['done_after_plan']} s after the plan, "
                      f"{'copied by the join' if audio['join_copied_it'] else 'NOT used by the join'}")
        print(f"\n### {r['name']}: per chunk (s); plan {r['plan']} (queue {r['queue']}, analysis + "
              f"features stored {r['analysis']}), join {r['join']}, upload (POST) {r['upload_seconds']}; "
              f"split for {r.get('planned_workers')} workers; {audio_line}\n")
        print("| chunk | worker | frames | pick-up gap | task | engine | browser start-up "
              "| outside engine (downloads, segment upload, rows) | slot |")
        print("|---|---|---|---|---|---|---|---|---|")
        for c in r["chunks"]:
            print(f"| {c['chunk']} | {c['worker']} | {c['frames']} | {c['gap']} | {c['task']} "
                  f"| {c['engine']} | {c.get('browser_startup', '-')} | {c['io']} | {c['slot']} |")
        m = r["median"]
        print(f"| median | | | {m['gap']} | {m['task']} | {m['engine']} | {m.get('browser_startup', '-')} "
              f"| {m['io']} | {m['slot']} |")
    singles = [r for r in results if r.get("chunks") and r["workers"] == 1]
    report = {"results": results, "projections": {}}
    for r in singles:
        rows = projected(t1, r["plan"], r["join"], len(r["chunks"]), r["median"]["slot"],
                         (r.get("audio") or {}).get("seconds") or 0.0)
        report["projections"][r["chunk_seconds"]] = rows
        print(f"\n## Projection on N machines, {r['chunk_seconds']} s chunks ({len(r['chunks'])} chunks): "
              f"T(N) = {r['plan']} + audio delay + ceil({len(r['chunks'])}/N) x {r['median']['slot']} "
              f"+ {r['join']}; audio job {(r.get('audio') or {}).get('seconds')} s; T_unchunked = {t1}\n")
        print_projection(rows)
    if singles:
        chunked = [r for r in results if r.get("chunks")]
        model = chunk_model(unchunked, singles)
        plan = round(statistics.median(r["plan"] for r in chunked), 2)
        join = round(statistics.median(r["join"] for r in chunked), 2)
        audio_runs = [r["audio"]["seconds"] for r in chunked if r.get("audio")]
        audio = round(statistics.median(audio_runs), 2) if audio_runs else 0.0
        best = best_chunk_sizes(t1, plan, join, frame_count, model, audio)
        report["model"] = {"a": round(model[0], 3), "b_ms_per_frame": round(model[1] * 1000, 3),
                           "plan": plan, "join": join, "audio": audio, "best": best}
        print(f"\n## Model anchored on the unchunked run (slot = {model[0]:.2f} s + {model[1] * 1000:.2f} ms "
              f"x frames; plan {plan} s, join {join} s and audio job {audio} s, medians of the chunked runs; "
              f"the audio job delays the chunks by all of it on 1 machine, by what outlasts the plan on "
              f"N > 1)\n")
        for seconds in sorted({r["chunk_seconds"] for r in chunked}):
            ranges = split_frames(frame_count, FPS, seconds)
            slot = model[0] + model[1] * max(r.frames for r in ranges)
            rows = projected(t1, plan, join, len(ranges), slot, audio)
            report["model"][f"projection_{seconds}"] = rows
            print(f"{seconds} s chunks ({len(ranges)} chunks, slot {slot:.2f} s):\n")
            print_projection(rows)
            print()
        for seconds in sorted({r["chunk_seconds"] for r in chunked}):
            rows = projected_fleet(t1, plan, join, frame_count, seconds, model, audio)
            report["model"][f"fleet_{seconds}"] = rows
            print(f"{seconds} s chunks split for N workers, as the planner does (chunk count a multiple "
                  f"of N, even lengths):\n")
            print("| N machines | chunks | rounds | T(N) s | speed-up | efficiency | >= 0.85 N |")
            print("|---|---|---|---|---|---|---|")
            for row in rows:
                print(f"| {row['n']} | {row['chunks']} | {row['rounds']} | {row['t']} | {row['speedup']}x "
                      f"| {row['efficiency']} | {'yes' if row['meets'] else 'no'} |")
            print()
        print("Best chunk length per N in this model:\n")
        print("| N | chunk s | chunks | T(N) s | speed-up | efficiency | >= 0.85 N |")
        print("|---|---|---|---|---|---|---|")
        for row in best:
            print(f"| {row['n']} | {row['chunk_seconds']} | {row['chunks']} | {row['t']} | {row['speedup']}x "
                  f"| {row['efficiency']} | {'yes' if row['meets'] else 'no'} |")
        ceiling = t1 / (plan + join)
        print(f"\nSerial part plan + join = {plan + join:.1f} s caps the speed-up at {ceiling:.1f}x "
              f"for any N (Amdahl).")
    return report


def print_projection(rows: list[dict]) -> None:
    print("| N machines | T(N) s | speed-up | efficiency | >= 0.85 N |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['n']} | {row['t']} | {row['speedup']}x | {row['efficiency']} "
              f"| {'yes' if row['meets'] else 'no'} |")


def upload_cost(stack: Stack) -> str:
    """One put of the largest stored video into a fresh local-storage root (the final upload)."""
    videos = sorted((stack.tmp / "storage").rglob("*.mp4"), key=lambda p: p.stat().st_size)
    if not videos:
        return "no stored video to time"
    storage = LocalStorage(stack.tmp / "storage-timing")
    started = time.monotonic()
    storage.put_file("timing/video.mp4", videos[-1], content_type="video/mp4")
    seconds = time.monotonic() - started
    return f"final upload (local storage put of {videos[-1].stat().st_size / 1e6:.1f} MB): {seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--template", default="bars")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--chunk-seconds", type=int, default=60)
    parser.add_argument("--extra-chunk-seconds", default="30",
                        help="comma list, one worker each; '' for none")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per phase")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="set for the web and every worker, e.g. RENDER_WARM_BROWSER=1 (repeatable)")
    parser.add_argument("--pin", action="store_true",
                        help="worker i runs on core i only (taskset): each worker a one-core machine, "
                             "so --workers 1,2 measures N=2 machines on a 2-core box")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument("--report", type=Path, default=None,
                        help="print the tables again from the --json file of an earlier run; no render")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        results = saved.get("results") or saved["partial"]
        unchunked = next(r for r in results if r["chunk_seconds"] == 0)
        print_report(results, int(unchunked["frames"]))
        print(f"\n{saved.get('upload', '')}")
        return
    config = {"template": args.template, "size": args.size, "fps": FPS, "artist": "Waveframe"}
    frame_count = math.ceil(args.seconds * FPS)
    print(f"scaling: {args.seconds:.0f} s synthetic track, {args.size} {FPS} fps, template {args.template}; "
          f"env {args.env or 'default'}; {'workers pinned to one core each; ' if args.pin else ''}{load()}",
          flush=True)
    if args.pin and max(int(w) for w in args.workers.split(",")) > (os.cpu_count() or 1):
        raise SystemExit("--pin: more workers than cores would put two 'machines' on one core")
    phases = [("unchunked", 1, 0)]
    phases += [(f"chunks {args.chunk_seconds} s x {w}", int(w), args.chunk_seconds)
               for w in args.workers.split(",")]
    phases += [(f"chunks {s} s x 1", 1, int(s)) for s in args.extra_chunk_seconds.split(",") if s]
    results = []
    with tempfile.TemporaryDirectory(prefix="waveframe-scaling-") as tmpdir:
        clip = make_clip(Path(tmpdir) / "track.m4a", args.seconds)
        print(f"track: {clip.stat().st_size / 1e6:.1f} MB AAC; "
              f"chunk frames {chunk_frames(FPS, args.chunk_seconds)}", flush=True)
        stack = Stack(suffix="_scaling")
        try:
            for name, workers, chunk_seconds in phases:
                result = run_phase(stack, name, clip, config, workers, chunk_seconds, args.timeout,
                                   dict(item.split("=", 1) for item in args.env), pin=args.pin)
                result["pinned"] = args.pin
                results.append(result)
                print(f"{name}: {result['total']:.1f} s end to end ({result['load_before']} -> "
                      f"{result['load_after']})", flush=True)
                if args.json:  # what is measured so far survives an interrupted run
                    args.json.write_text(json.dumps({"partial": results}, indent=1, default=str))
            upload_line = upload_cost(stack)
        finally:
            stack.close()
    report = print_report(results, frame_count)
    print(f"\n{upload_line}")
    print(load())
    if args.json:
        report["upload"] = upload_line
        args.json.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
