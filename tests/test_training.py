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
from cxrdesk.training import TrainConfig, TrainingRun, resume_config, work_dir

QUICK = dict(image_size=32, batch_size=32, seed=1)


def collect(run: TrainingRun, on_event=None) -> list[dict]:
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
    pipes = make_pipelines(load_dataset(curated_cxr3), 32, 32)
    _, accuracy = bundle.model.evaluate(pipes.val, verbose=0)
    best = bundle.card["training"]["best_epoch"]
    recorded = bundle.card["training"]["history"][best - 1]["val_accuracy"]
    assert accuracy == pytest.approx(recorded, abs=1e-6)


def test_a_bad_bundle_is_refused(trained, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    card = json.loads((copy / "card.json").read_text())

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
    config = TrainConfig(dataset=str(curated_cxr3), epochs=3, out=str(tmp_path), name="stoppable",
                         max_steps=6, accumulation=2, **QUICK)

    def stop_in_second_epoch(run, event):
        if event["type"] == "batch" and event["epoch"] == 2:
            run.stop()

    events = collect(TrainingRun(config).start(), stop_in_second_epoch)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished" and "batch" in kinds
    started = events[0]
    assert started["steps_per_epoch"] == 6 and started["device"] == "cpu" and started["resumed_at_epoch"] == 0
    assert started["accumulation"] == 2  # 16-image micro-batches, averaged into 32-image updates
    batch = next(e for e in events if e["type"] == "batch")
    assert set(batch) >= {"epoch", "batch", "steps", "loss", "accuracy", "seconds"}
    epochs = [e for e in events if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2] and epochs[1]["partial"]
    assert set(epochs[0]) >= {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    finished = events[-1]
    assert finished["stopped_by_user"] and finished["stopped_early"]
    assert read_card(tmp_path / "stoppable")["training"]["stopped_early"]  # what was trained is kept
    assert work_dir(tmp_path, "stoppable").is_dir()

    events = collect(TrainingRun(resume_config(tmp_path, "stoppable")).start(resume=True))
    assert events[0]["resumed_at_epoch"] == 2
    assert [e["epoch"] for e in events if e["type"] == "epoch"] == [3]
    card = read_card(tmp_path / "stoppable")
    assert [h["epoch"] for h in card["training"]["history"]] == [1, 2, 3]
    assert not card["training"]["stopped_early"]
    assert not work_dir(tmp_path, "stoppable").exists()


def test_gpu_is_refused_with_the_reason_on_a_machine_without_one(curated_cxr3, tmp_path, capsys):
    code = main(["train", str(curated_cxr3), "--device", "gpu", "--out", str(tmp_path), "--name", "g"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot train on the GPU" in err and err.count("\n") == 1
    assert "no GPU seen" in err or "CPU-only" in err
    assert not (tmp_path / "g").exists() and not work_dir(tmp_path, "g").exists()


def test_a_killed_worker_is_reported_and_the_caller_survives(curated_cxr3, tmp_path):
    run = TrainingRun(TrainConfig(dataset=str(curated_cxr3), epochs=50, out=str(tmp_path), name="k",
                                  **QUICK)).start()
    events = collect(run, lambda r, e: r.kill() if e["type"] == "batch" else None)
    assert events[-1]["type"] == "error" and "ended unexpectedly" in events[-1]["message"]


def test_mirrored_strategy_on_two_logical_cpus(curated_cxr3, tmp_path):
    config = TrainConfig(dataset=str(curated_cxr3), epochs=1, out=str(tmp_path), name="mirrored",
                         strategy="mirrored", cpu_replicas=2, max_steps=4, **QUICK)
    events = collect(TrainingRun(config).start())
    assert events[0]["replicas"] == 2 and events[-1]["type"] == "finished", events[-1]
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
            [sys.executable, "-m", "cxrdesk", "train", str(curated_cxr3), "--strategy", "multiworker",
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
