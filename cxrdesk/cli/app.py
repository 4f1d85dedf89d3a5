"""``cxrdesk gui``, ``demo`` and ``train-lungs``: the desktop application, the study's whole workflow in
one command, and the lung model's training."""

from __future__ import annotations

import argparse
import sys

from .. import RESEARCH_NOTICE
from ..demo import DemoSettings, run_demo
from ..devices import DEVICES, import_tensorflow, prepare_process, use_cpu_in_process
from ..lungs.training import LungTraining, train_lungs
from ..training import TrainConfig


def register(sub) -> None:
    demo_defaults = DemoSettings()
    p = sub.add_parser("gui", help="open the desktop application (the default with no command)")
    p.add_argument("--language", choices=["en", "es"], help="interface language (default: the system's)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("demo", help="the study's whole workflow on a folder of radiographs, with a report")
    p.add_argument("--data", required=True, help="folder with one sub-folder per class")
    p.add_argument("--out", default="cxrdesk-demo", help="report folder to write (default ./cxrdesk-demo)")
    p.add_argument("--epochs", type=int, default=demo_defaults.epochs,
                   help=f"epochs of the quick preset (default {demo_defaults.epochs})")
    p.add_argument("--image-size", type=int, default=demo_defaults.image_size,
                   help=f"image size of the quick preset (default {demo_defaults.image_size})")
    p.add_argument("--study-band", action="store_true", help="keep only mean intensities in 120-140, as the study")
    p.add_argument("--device", action="append", choices=list(DEVICES),
                   help="train on this device (repeatable; default: the CPU, and the GPU when there is one)")
    p.add_argument("--force", action="store_true", help="replace an earlier demo report folder")
    p.set_defaults(func=cmd_demo)


def register_lungs(sub) -> None:
    d = TrainConfig.defaults()
    lung_defaults = LungTraining()
    p = sub.add_parser("train-lungs", help="train the lung segmentation model (each group held out in turn, "
                                           "then all but a test share), with progress")
    p.add_argument("data", help="folder of image/mask pairs with pairs.csv (e.g. ../shared/data/lungs)")
    p.add_argument("--out", default=d["out"], help=f"folder for the lung model bundle (default ./{d['out']})")
    p.add_argument("--name", default="lungs-unet", help="bundle name (default lungs-unet)")
    p.add_argument("--epochs", type=int, help=f"epochs (default {lung_defaults.epochs})")
    p.add_argument("--size", type=int, help=f"input size in px (default {lung_defaults.size})")
    p.add_argument("--batch-size", type=int, help=f"images per batch (default {lung_defaults.batch_size})")
    p.add_argument("--seed", type=int, default=lung_defaults.seed,
                   help=f"random seed of the split into groups, the augmentation and the weights (default "
                        f"{lung_defaults.seed}; CPU training is still not bit-for-bit repeatable)")
    p.add_argument("--balance-groups", action=argparse.BooleanOptionalAction, default=lung_defaults.balance_groups,
                   help="draw every group (hospital / annotation protocol) equally often in training")
    p.add_argument("--test-share", type=float, metavar="SHARE",
                   help=f"share of each group's patients kept out of the final model to test it "
                        f"(default {lung_defaults.test_share})")
    p.add_argument("--device", choices=list(DEVICES), default="cpu",
                   help="train on the CPU (default) or the GPU (an NVIDIA GPU that TensorFlow can see)")
    p.add_argument("--no-validation", action="store_true", help="skip the held-out-group validation")
    p.add_argument("--folds", metavar="GROUP[,GROUP]", help="hold out only these groups (default: each in turn)")
    p.add_argument("--validation-only", action="store_true",
                   help="only the held-out-group validation, no final model (to try settings)")
    p.set_defaults(func=cmd_train_lungs)


def cmd_gui(args) -> int:
    from ..gui.app import run_gui  # here, not at the top: Qt loads only for the window, not for every command

    return run_gui(language=args.language)


def cmd_demo(args) -> int:
    use_cpu_in_process()  # evaluation and diagnosis run here; training runs in its own processes
    settings = DemoSettings(image_size=args.image_size, epochs=args.epochs, study_band=args.study_band,
                            devices=tuple(args.device) if args.device else None)
    run_demo(args.data, args.out, settings, force=args.force, say=lambda text: print(text, flush=True))
    print(RESEARCH_NOTICE)
    return 0


def cmd_train_lungs(args) -> int:
    prepare_process(args.device)
    import_tensorflow()
    defaults = LungTraining()
    settings = LungTraining(size=args.size or defaults.size, epochs=args.epochs or defaults.epochs,
                            batch_size=args.batch_size or defaults.batch_size, seed=args.seed,
                            balance_groups=args.balance_groups,
                            test_share=defaults.test_share if args.test_share is None else args.test_share)
    folds = [f.strip() for f in args.folds.split(",")] if args.folds else None
    train_lungs(args.data, args.out, settings, validate=not args.no_validation, name=args.name,
                command="cxrdesk " + " ".join(sys.argv[1:]), say=lambda text: print(text, flush=True),
                folds=folds, final=not args.validation_only)
    return 0
