"""``cxrdesk models``, ``train``, ``runs``: the networks, a training run in its worker process with its
progress (typed events, :mod:`cxrdesk.events`), and what stopped runs leave behind."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
from typing import Callable

from tqdm import tqdm

from ..bundle import expected_duration, list_bundles
from ..dataset import load_dataset
from ..devices import DEVICES, use_cpu_in_process
from ..errors import CxrdeskError
from ..events import Batch, Epoch, Event, Failed, Finished, Started, Stopped
from ..lungs import LUNG_FIELDS
from ..models import MODELS, build_model, parameter_counts
from ..recipes import RECIPES
from ..runs import TrainingRun, folder_size, log_tail, resumable_runs, resume_config
from ..training import PRECISIONS, STRATEGIES, TrainConfig
from .common import Interrupted, table


def register(sub) -> None:
    p = sub.add_parser("models", help="list the networks with their input size and parameter counts")
    p.add_argument("--image-size", type=int, help="input size in pixels (default: each model's own)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("train", help="train a model on a curated dataset, on the CPU or the GPU")
    add_train_options(p)
    p.set_defaults(func=cmd_train)


def register_runs(sub) -> None:
    d = TrainConfig.defaults()
    p = sub.add_parser("runs", help="list stopped or crashed runs that can be resumed, with their size; --clean")
    p.add_argument("names", nargs="*", help="runs to clean (default: all listed)")
    p.add_argument("--out", default=d["out"], help=f"models folder (default ./{d['out']})")
    p.add_argument("--clean", action="store_true", help="delete the listed runs' checkpoints")
    p.add_argument("--json", action="store_true", help="print the resumable runs as JSON")
    p.set_defaults(func=cmd_runs)


def add_train_options(p: argparse.ArgumentParser) -> None:
    """The options of a training run ('train', and every training of 'crossval'), defaults from TrainConfig."""
    d = TrainConfig.defaults()
    p.add_argument("dataset", nargs="?", help="curated dataset folder (from 'cxrdesk curate')")
    p.add_argument("--model", choices=list(MODELS), default=d["model"],
                   help="; ".join(f"{n}: {m.title}" for n, m in MODELS.items()) + f" (default {d['model']})")
    p.add_argument("--device", choices=list(DEVICES), default=d["device"],
                   help="where to train: " + ", ".join(DEVICES) + f" (default {d['device']}; the GPU needs a CUDA build "
                        "of TensorFlow and a GPU it can see)")
    p.add_argument("--recipe", choices=list(RECIPES), default=d["recipe"],
                   help="; ".join(f"{n}: {r.description}" for n, r in RECIPES.items()) + f" (default {d['recipe']})")
    p.add_argument("--lung-field", choices=list(LUNG_FIELDS), default=d["lung_field"],
                   help="; ".join(f"{n}: {t}" for n, t in LUNG_FIELDS.items()) + " (default: the recipe's; "
                        + ", ".join(f"{n}: {r.lung_field}" for n, r in RECIPES.items()) + ")")
    p.add_argument("--lung-model", metavar="BUNDLE", help="lung model for --lung-field (default: the shipped one)")
    p.add_argument("--epochs", type=int, help=f"epochs (default {d['epochs']}, the study's)")
    p.add_argument("--batch-size", type=int, default=d["batch_size"], help=f"images per batch (default {d['batch_size']})")
    p.add_argument("--image-size", type=int, help="input size in px (default: the model's, e.g. 224; InceptionV3 299)")
    p.add_argument("--weights", default=d["weights"],
                   help="pretrained base: 'imagenet' (Keras download cache), a weights file, or 'none'")
    p.add_argument("--fine-tune", type=int, default=d["fine_tune"], metavar="N",
                   help="unfreeze the base's last N layers")
    p.add_argument("--lr", type=float, default=d["learning_rate"],
                   help=f"Adam learning rate (default {d['learning_rate']:g})")
    p.add_argument("--seed", type=int, default=d["seed"],
                   help=f"seed of the weights' initialisation, shuffling and augmentation (default {d['seed']}); on a "
                        "CPU, training is not bit-for-bit repeatable even with the same seed")
    p.add_argument("--out", default=d["out"], help=f"folder for model bundles (default ./{d['out']})")
    p.add_argument("--name", help="run name (default: MODEL-DEVICE-DATE-TIME)")
    p.add_argument("--resume", metavar="NAME", help="continue a stopped or crashed run in --out")
    p.add_argument("--precision", choices=PRECISIONS, default=d["precision"],
                   help="auto: mixed bfloat16/float16 where the hardware has it, else float32")
    p.add_argument("--early-stopping", type=int, default=d["early_stopping"], metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better validation loss (0: never; default: the "
                        "recipe's: " + ", ".join(f"{n} {r.early_stopping}" for n, r in RECIPES.items()) + ")")
    p.add_argument("--strategy", choices=STRATEGIES, default=d["strategy"],
                   help="mirrored: all local GPUs; multiworker: several machines (TF_CONFIG)")
    p.add_argument("--cpu-replicas", type=int, default=d["cpu_replicas"], help=argparse.SUPPRESS)
    p.add_argument("--max-steps", type=int, metavar="N", help="at most N steps per epoch (quick runs)")
    p.add_argument("--accumulate", type=int, default=d["accumulation"], metavar="N",
                   help="split each batch into N micro-batches with gradient accumulation (same updates, "
                        "less memory); default: automatic on the CPU")
    p.add_argument("--demo", action="store_true", help="mark the bundle as a demonstration model")
    p.add_argument("--no-validation", action="store_true",
                   help="train even without validation images (no best epoch, early stopping or calibration)")
    p.add_argument("--json", action="store_true", help="print progress events as JSON lines")


def cmd_models(args) -> int:
    """The networks, their input size and parameter counts (models built with random weights)."""
    use_cpu_in_process()
    rows = []
    for name, model_spec in MODELS.items():
        size = args.image_size or model_spec.default_size
        model = build_model(name, size, weights="none")
        total, trainable = parameter_counts(model)
        rows.append({"model": name, "title": model_spec.title, "input": f"{size}x{size}x3",
                     "parameters": total, "trainable": trainable, "pretrained": model_spec.pretrained,
                     "pixel_scale": model_spec.pixel_scale, "description": model_spec.description})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(table(["model", "input", "parameters", "trainable", "description"],
                [[r["model"], r["input"], f"{r['parameters']:,}", f"{r['trainable']:,}", r["description"]]
                 for r in rows]))
    print("\nCounts are for the study's three classes; trainable counts are with the pretrained base frozen "
          "(the default; see --fine-tune).")
    return 0


def train_config(args) -> TrainConfig:
    """The run the options describe, or the one to resume."""
    if args.resume:
        return resume_config(args.out, args.resume, args.epochs)
    if not args.dataset:
        raise CxrdeskError("give a curated DATASET folder (or --resume NAME)")
    return TrainConfig(dataset=args.dataset, model=args.model, device=args.device, recipe=args.recipe,
                       lung_field=args.lung_field, lung_model=args.lung_model,
                       epochs=args.epochs or TrainConfig.defaults()["epochs"], batch_size=args.batch_size, image_size=args.image_size, weights=args.weights,
                       fine_tune=args.fine_tune, learning_rate=args.lr, seed=args.seed, out=args.out,
                       name=args.name, precision=args.precision, early_stopping=args.early_stopping,
                       strategy=args.strategy, cpu_replicas=args.cpu_replicas, max_steps=args.max_steps,
                       accumulation=args.accumulate, demo=args.demo, no_validation=args.no_validation,
                       command="cxrdesk " + " ".join(sys.argv[1:]))


def cmd_train(args) -> int:
    """Train with progress. Ctrl-C (or SIGTERM) stops at the end of the batch and writes the bundle of
    the best epoch so far, says how to resume, and exits 130 (143 for SIGTERM); a second one kills the
    worker and says what is kept."""
    config = train_config(args)
    say_expected(config)
    run = TrainingRun(config).start(resume=bool(args.resume))
    interrupted = Interrupted()
    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return follow_run(run, config, args, interrupted)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def say_expected(config) -> None:
    """How long the run will take at most, from an earlier run of the same network, size, lung field and device
    in the output folder (nothing without one: the first epoch tells)."""
    try:
        train_images = len(load_dataset(config.dataset).split("train"))
    except CxrdeskError:
        return  # the run itself says what is wrong with the dataset
    config.resolve()
    expected = expected_duration([card for _, card in list_bundles(config.out)], config.model, config.image_size,
                                 config.lung_field, config.device, train_images, config.epochs)
    if expected:
        print(f"Expected: up to {expected['seconds'] / 60:.0f} min ({config.epochs} epochs of about "
              f"{expected['seconds_per_epoch']:.0f} s, judged from the run '{expected['from_run']}'; early stopping "
              "may end it sooner)")


def follow_run(run, config, args, interrupted, command: str = "train",
               extra: Callable[[Event], bool] | None = None) -> int:
    """Show a run's events until it ends; ``extra(event)`` shows what a plain training does not send (and
    says before each training which it is), returning True for an event it has shown in full. Ctrl-C asks
    the run to stop (a second one kills it)."""
    view = _RunView(config, args, run, f"cxrdesk {command} --resume {config.name} --out {config.out}")
    interrupts = 0
    while not run.done:
        if interrupted.count > interrupts:
            interrupts = interrupted.count
            view.close_bar()
            if interrupts >= 2:
                run.kill()
                kept = run.work_folder()
                print(f"cxrdesk: training killed. Kept: the checkpoints of the completed epochs in {kept} "
                      f"({folder_size(kept) / 1e6:.0f} MB); continue with: {view.resume}", file=sys.stderr)
                return interrupted.exit_code
            run.stop()
            print("\nStopping at the end of this batch and saving the best epoch so far "
                  "(Ctrl-C again to kill)...", file=sys.stderr)
        event = run.next_event(0.2)
        if event is None:
            continue
        if isinstance(event, Failed):
            view.failed(event)
            return 1
        if args.json:
            print(json.dumps(event.to_dict()), flush=True)
        elif not (extra is not None and extra(event)):
            view.show(event)
    return interrupted.exit_code if interrupts else 0


class _RunView:
    """A training's events as text: its set-up, a progress bar per epoch, a line per epoch, the end."""

    def __init__(self, config, args, run, resume: str):
        self.config, self.args, self.run, self.resume = config, args, run, resume
        self.bar = None

    def close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def failed(self, event: Failed) -> None:
        self.close_bar()
        if self.args.json:
            print(json.dumps(event.to_dict()), flush=True)
        print(f"cxrdesk: error: {event.message}", file=sys.stderr)
        tail = log_tail(event.log) if event.log else []
        if tail:
            print("The training process's last lines:\n  " + "\n  ".join(tail), file=sys.stderr)

    def show(self, event: Event) -> None:
        if isinstance(event, Started):
            self.started(event)
        elif isinstance(event, Batch):
            self.batch(event)
        elif isinstance(event, Epoch):
            self.close_bar()
            val = f"  val_loss {event.val_loss:.4f}  val_acc {event.val_accuracy:.4f}" if event.val_loss is not None else ""
            partial = "  (partial epoch)" if event.partial else ""
            print(f"epoch {event.epoch:>3}/{event.epochs}  loss {event.loss:.4f}  acc {event.accuracy:.4f}{val}  "
                  f"{event.seconds:.1f} s{partial}", flush=True)
        elif isinstance(event, Finished):
            self.finished(event)

    @staticmethod
    def started(e: Started) -> None:
        resumed = f", resuming after epoch {e.resumed_at_epoch}" if e.resumed_at_epoch else ""
        print(f"Training {e.model} as run {e.name!r} on {e.device.upper()} ({e.device_name}), {e.precision}, "
              f"{e.replicas} replica(s){resumed}")
        print(f"Classes: {', '.join(e.classes)}; recipe: {e.recipe}; lung field: {e.lung_field}")
        micro = f" in {e.accumulation} micro-batches" if e.accumulation > 1 else ""
        print(f"{e.train_images} training / {e.val_images} validation images at {e.image_size} px, batch "
              f"{e.batch_size}{micro}, {e.steps_per_epoch} steps per epoch, {e.parameters:,} parameters "
              f"({e.trainable_parameters:,} trainable)", flush=True)

    def batch(self, event: Batch) -> None:
        if self.bar is None:
            where = f"{event.training}/{event.trainings} " if event.training else ""
            self.bar = tqdm(total=event.steps, desc=f"{where}epoch {event.epoch}", unit="batch", file=sys.stderr,
                            leave=False, disable=None)
        self.bar.n = event.batch
        seconds = max(event.seconds, 1e-6)
        self.bar.set_postfix(loss=event.loss, acc=event.accuracy,
                             img_s=round(event.batch * self.config.batch_size / seconds, 1), refresh=True)

    def finished(self, event: Finished) -> None:
        if event.bundle:
            print(f"Model bundle written to {event.bundle}")
            if event.best_epoch and event.epochs_run:
                print(f"It holds epoch {event.best_epoch} of {event.epochs_run}, the one of lowest validation loss"
                      + (" (the last)" if event.best_epoch == event.epochs_run else ""))
        if isinstance(event, Stopped):
            kept = self.run.work_folder()
            print(f"Stopped after {event.epochs_run} epoch(s); the bundle holds the best epoch so far. "
                  f"Continue with: {self.resume}")
            print(f"The run's checkpoints stay in {kept} ({folder_size(kept) / 1e6:.0f} MB) for that; "
                  f"'cxrdesk runs --out {self.config.out} --clean' deletes them.")


def cmd_runs(args) -> int:
    """Resumable runs left in a models folder, with their size and age; --clean deletes them."""
    runs = resumable_runs(args.out)
    if args.json:
        print(json.dumps(runs, indent=2))
    elif not runs:
        print(f"No resumable run in {args.out}/.runs")
    else:
        print(table(["run", "epochs done", "size", "age", "resume with"],
                    [[r["name"], r["epochs_done"], f"{r['bytes'] / 1e6:.0f} MB", f"{r['age_hours']:g} h",
                      f"cxrdesk train --resume {r['name']} --out {args.out}" if r["resumable"] else "-"]
                     for r in runs]))
    if args.clean:
        chosen = [r for r in runs if not args.names or r["name"] in args.names]
        for run in chosen:
            shutil.rmtree(run["folder"])
        if not args.json:
            print(f"Deleted {len(chosen)} run(s), {sum(r['bytes'] for r in chosen) / 1e6:.0f} MB")
    return 0
