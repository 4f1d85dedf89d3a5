"""The training engine on real radiographs: each run in its own worker process, as users run it.

Small images (32 px) and few steps keep each run to seconds; the defaults stay the study's.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cxrdesk.bundle import BundleError, load_bundle, read_card
from cxrdesk.cli import main
from cxrdesk.events import Batch, Epoch, Event, Failed, Finished, Started, Stopped
from cxrdesk.runs import TrainingRun, resumable_runs, resume_config
from cxrdesk.training import TrainConfig, work_dir

QUICK = dict(image_size=32, batch_size=32, seed=1)


def collect(run: TrainingRun, on_event=None) -> list[Event]:
    events = []
    for event in run.events():
        events.append(event)
        if on_event:
            on_event(run, event)
    return events


def test_training_lowers_the_loss_and_writes_a_bundle(trained, curated_cxr3):
    card = read_card(trained)
    history = card["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["val_accuracy"] > 0.5  # chance is 1/3
    assert all(h["seconds"] > 0 for h in history) and card["training"]["seconds_per_epoch"] > 0
    assert card["training"]["device"] == "cpu" and card["training"]["device_name"]
    assert card["architecture"] == "custom" and card["input"]["image_size"] == 32
    assert card["hyperparameters"]["batch_size"] == 32 and card["hyperparameters"]["optimizer"] == "Adam"
    dataset = json.loads((curated_cxr3 / "dataset.json").read_text())
    assert card["dataset"]["manifest_sha256"] == dataset["manifest_sha256"]
    assert card["dataset"]["split_sizes"]["train"] == sum(dataset["counts"]["train"].values())
    assert set(card["versions"]) >= {"tensorflow", "keras", "cxrdesk"}
    assert not work_dir(trained.parent, "quick").exists()  # finished: nothing left to resume


def test_bundle_round_trip_reproduces_the_validation_accuracy(trained, curated_cxr3):
    from cxrdesk.dataset import load_dataset
    from cxrdesk.pipeline import make_pipelines

    bundle = load_bundle(trained)
    bundle.model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    pipes = make_pipelines(load_dataset(curated_cxr3), bundle.card.source_size, 32)  # as evaluation feeds it
    _, accuracy = bundle.model.evaluate(pipes.val, verbose=0)
    best = bundle.card["training"]["best_epoch"]
    recorded = bundle.card["training"]["history"][best - 1]["val_accuracy"]
    # A run in mixed bfloat16 (CPUs with native bfloat16) saves float32 weights: an image on the edge
    # between two classes may then change sides; in float32 the figure is reproduced exactly.
    mixed = bundle.card["training"]["precision"] != "float32"
    assert accuracy == pytest.approx(recorded, abs=2.5 / pipes.val_size if mixed else 1e-6)


def test_a_bad_bundle_is_refused(trained, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    signed = json.loads((copy / "card.json").read_text())
    for edit in ({"demo": True}, {"name": "better"}, {"training": {**signed["training"], "precision": "float64"}}):
        (copy / "card.json").write_text(json.dumps({**signed, **edit}, indent=2))  # an edit by hand
        with pytest.raises(BundleError, match="edited after CXRDesk wrote it"):
            load_bundle(copy)
        with pytest.raises(BundleError, match="edited"):
            read_card(copy)
    # the consistency checks, as for a card written before cards were signed
    card = {k: v for k, v in signed.items() if k != "card_sha256"}
    (copy / "card.json").write_text(json.dumps({**card, "architecture": "vgg16"}))
    with pytest.raises(BundleError, match="the model is a custom, the card says vgg16"):
        load_bundle(copy)
    (copy / "card.json").write_text(json.dumps({**card, "classes": ["cat", "dog"]}))
    with pytest.raises(BundleError, match="3 outputs for 2 classes"):
        load_bundle(copy)
    (copy / "card.json").write_text(json.dumps({**card, "classes": ["cat", "cat", "dog"]}))
    with pytest.raises(BundleError, match="distinct names"):
        load_bundle(copy)
    (copy / "card.json").write_text(json.dumps(card))
    with (copy / "model.keras").open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(BundleError, match="does not match its card"):
        load_bundle(copy)
    (copy / "card.json").unlink()
    with pytest.raises(BundleError, match="no card.json"):
        load_bundle(copy)
    with pytest.raises(BundleError, match="is a file"):
        load_bundle(trained / "model.keras")


def test_progress_events_stop_and_resume(curated_cxr3, tmp_path):
    """A stop in the last epoch (as Ctrl-C there) keeps a run that --resume finishes; the epoch it cut short is
    not counted as done, and the resumed run repeats it."""
    config = TrainConfig(dataset=str(curated_cxr3), recipe="study", epochs=2, out=str(tmp_path), name="stoppable",
                         max_steps=6, accumulation=2, **QUICK)

    def stop_in_second_epoch(run, event):
        if isinstance(event, Batch) and event.epoch == 2:
            run.stop()

    events = collect(TrainingRun(config).start(), stop_in_second_epoch)
    assert isinstance(events[0], Started) and any(isinstance(e, Batch) for e in events)
    assert isinstance(events[-1], Stopped)  # the user asked: a Stopped, which is a Finished that can be resumed
    started = events[0]
    assert started.steps_per_epoch == 6 and started.device == "cpu" and started.resumed_at_epoch == 0
    assert started.accumulation == 2  # 16-image micro-batches, averaged into 32-image updates
    batch = next(e for e in events if isinstance(e, Batch))
    assert batch.steps == 6 and batch.seconds > 0 and batch.loss is not None
    epochs = [e for e in events if isinstance(e, Epoch)]
    assert [e.epoch for e in epochs] == [1, 2] and epochs[1].partial and not epochs[0].partial
    assert epochs[0].val_loss is not None and epochs[0].seconds > 0
    stopped = events[-1]
    assert stopped.stopped_by_user and stopped.stopped_early and stopped.bundle
    assert read_card(tmp_path / "stoppable")["training"]["stopped_early"]  # what was trained is kept
    assert work_dir(tmp_path, "stoppable").is_dir()
    # the events cross the process boundary as data and read back as they were
    assert all(Event.parse(e.to_dict()) == e for e in events)

    assert [r["epochs_done"] for r in resumable_runs(tmp_path) if r["name"] == "stoppable"] == [1]
    events = collect(TrainingRun(resume_config(tmp_path, "stoppable")).start(resume=True))
    assert events[0].resumed_at_epoch == 1  # the second epoch was cut short: it is trained again
    assert [e.epoch for e in events if isinstance(e, Epoch)] == [2]
    assert type(events[-1]) is Finished and not events[-1].stopped_by_user
    card = read_card(tmp_path / "stoppable")
    assert events[-1].best_epoch == card["training"]["best_epoch"] in (1, 2)  # which epoch the bundle holds
    assert [h["epoch"] for h in card["training"]["history"]] == [1, 2]
    assert not any(h["partial"] for h in card["training"]["history"])
    assert not card["training"]["stopped_early"]
    assert not work_dir(tmp_path, "stoppable").exists()


def test_gpu_is_refused_with_the_reason_on_a_machine_without_one(curated_cxr3, tmp_path, capsys):
    code = main(["train", str(curated_cxr3), "--device", "gpu", "--out", str(tmp_path), "--name", "g"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot train on the GPU" in err and err.count("\n") == 1
    assert "no GPU seen" in err or "CPU-only" in err
    assert not (tmp_path / "g").exists() and not work_dir(tmp_path, "g").exists()


def test_a_killed_worker_is_reported_and_the_caller_survives(curated_cxr3, tmp_path):
    run = TrainingRun(TrainConfig(dataset=str(curated_cxr3), recipe="study", epochs=50, out=str(tmp_path), name="k",
                                  **QUICK)).start()
    events = collect(run, lambda r, e: r.kill() if isinstance(e, Batch) else None)
    assert isinstance(events[-1], Failed) and "ended unexpectedly" in events[-1].message


def test_mirrored_strategy_on_two_logical_cpus(curated_cxr3, tmp_path):
    config = TrainConfig(dataset=str(curated_cxr3), recipe="study", epochs=1, out=str(tmp_path), name="mirrored",
                         strategy="mirrored", cpu_replicas=2, max_steps=4, **QUICK)
    events = collect(TrainingRun(config).start())
    assert events[0].replicas == 2 and type(events[-1]) is Finished, events[-1]
    card = read_card(tmp_path / "mirrored")
    assert card["training"]["strategy"] == "mirrored" and card["training"]["replicas"] == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_multiworker_strategy_with_two_local_workers(curated_cxr3, tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "cxrdesk", "train", str(curated_cxr3), "--recipe", "study", "--strategy", "multiworker",
             "--epochs", "1", "--image-size", "32", "--batch-size", "32", "--max-steps", "3",
             "--out", str(tmp_path), "--name", "mw", "--json"], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
    chief = [json.loads(line) for line in outputs[0][0].splitlines()]
    assert chief[0]["replicas"] == 2 and chief[-1]["bundle"]
    other = [json.loads(line) for line in outputs[1][0].splitlines()]
    assert other[-1]["type"] == "finished" and other[-1]["bundle"] is None
    card = read_card(tmp_path / "mw")
    assert card["training"]["strategy"] == "multiworker" and card["training"]["replicas"] == 2
    assert sorted(p.name for p in Path(tmp_path).iterdir() if not p.name.startswith(".")) == ["mw"]


# ------------------------------------------------------------------- stop, crash and orphaned workers


def _train_process(curated, out, name, *extra):
    """`cxrdesk train --json` in a new session, so a test can signal its process group as a terminal does."""
    return subprocess.Popen([sys.executable, "-m", "cxrdesk", "train", str(curated), "--recipe", "study", "--epochs", "50",
                             "--batch-size", "16", "--out", str(out), "--name", name, "--json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _read_until(process, predicate, timeout=240) -> list[dict]:
    """JSON events from a `cxrdesk train --json` until ``predicate(event)``; kills it on a timeout."""
    import threading

    timer = threading.Timer(timeout, process.kill)
    timer.start()
    events = []
    try:
        for line in process.stdout:
            if line.startswith("{"):
                events.append(json.loads(line))
                if predicate(events[-1]):
                    return events
    finally:
        timer.cancel()
    raise AssertionError(f"the run ended before the awaited event: {process.stderr.read()[-2000:]}")


def test_ctrl_c_saves_the_best_epoch_says_how_to_resume_and_exits_130(curated_cxr3, tmp_path):
    import signal

    process = _train_process(curated_cxr3, tmp_path, "ctrlc", "--image-size", "32")
    _read_until(process, lambda e: e["type"] == "epoch")
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    out, err = process.communicate(timeout=240)
    assert process.returncode == 130, err
    assert "saving the best epoch so far" in err
    card = read_card(tmp_path / "ctrlc")
    assert card["training"]["stopped_by_user"] and card["training"]["epochs_run"] >= 1
    resumed = subprocess.run([sys.executable, "-m", "cxrdesk", "train", "--resume", "ctrlc", "--out", str(tmp_path),
                              "--epochs", str(card["training"]["epochs_run"] + 1)], capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming after epoch" in resumed.stdout


def test_sigterm_saves_too_and_a_second_interrupt_kills_keeping_the_checkpoints(curated_cxr3, tmp_path):
    import signal
    import time

    process = _train_process(curated_cxr3, tmp_path, "term", "--image-size", "32")
    _read_until(process, lambda e: e["type"] == "epoch")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=240)
    assert process.returncode == 143 and (tmp_path / "term" / "card.json").is_file(), err

    slow = _train_process(curated_cxr3, tmp_path, "killed", "--image-size", "224", "--max-steps", "3")
    _read_until(slow, lambda e: e["type"] == "epoch")
    os.killpg(slow.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(slow.pid, signal.SIGINT)  # the second Ctrl-C: no waiting for the batch
    out, err = slow.communicate(timeout=120)
    assert slow.returncode == 130 and "training killed" in err and "--resume killed" in err
    listed = subprocess.run([sys.executable, "-m", "cxrdesk", "runs", "--out", str(tmp_path), "--json"],
                            capture_output=True, text=True)
    runs = {r["name"]: r for r in json.loads(listed.stdout)}
    assert runs["killed"]["bytes"] > 0 and runs["killed"]["epochs_done"] >= 1 and runs["killed"]["resumable"]
    cleaned = subprocess.run([sys.executable, "-m", "cxrdesk", "runs", "--out", str(tmp_path), "--clean"],
                             capture_output=True, text=True)
    assert cleaned.returncode == 0 and not (tmp_path / ".runs" / "killed").exists()


def test_the_worker_ends_soon_after_its_parent_is_killed(curated_cxr3, tmp_path):
    import signal
    import time

    process = _train_process(curated_cxr3, tmp_path, "orphan", "--image-size", "32")
    started = _read_until(process, lambda e: e["type"] == "epoch")[0]
    worker = started["pid"]
    os.kill(process.pid, signal.SIGKILL)  # no terminal, no signal handler: the parent just vanishes
    process.wait(timeout=30)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.kill(worker, signal.SIGKILL)
        raise AssertionError("the training worker outlived its parent by 20 s")


def test_a_crash_shows_the_worker_logs_meaningful_lines_not_tensorflow_noise(tmp_path):
    from cxrdesk.runs import log_tail

    log = tmp_path / "worker.log"
    log.write_text("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
                   "I0000 00:00:1795718172.125283 9578 cudart_stub.cc:31] Could not find cuda drivers\n"
                   "E0000 00:00:1795717911.082195 8443 cuda_platform.cc:52] failed call to cuInit\n"
                   "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                   "MemoryError: Unable to allocate 3.1 GiB\n")
    assert log_tail(log) == ["Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
                             "MemoryError: Unable to allocate 3.1 GiB"]
