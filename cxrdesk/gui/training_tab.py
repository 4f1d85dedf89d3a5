"""Training tab: pick a dataset, a model, a recipe and a device; start, watch live curves, stop;
compare runs. Every list comes from a registry and every default from :class:`TrainConfig`."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QMessageBox, QProgressBar, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ..bundle import expected_duration, list_bundles
from ..crossval import CrossvalRun, CrossvalSettings, Progress, plan_folds
from ..dataset import load_dataset
from ..devices import DEVICES, probe, use_cpu_in_process
from ..errors import CxrdeskError
from ..evaluation import METRICS, comparison_rows, evaluate_bundle
from ..events import (Batch, CrossvalPlanned, Epoch, EstimateDone, Event, Failed, Finished, FoldDone, Started,
                      Stopped)
from ..lungs import LUNG_FIELDS
from ..models import MODELS
from ..recipes import RECIPES
from ..runs import TrainingRun
from ..training import TrainConfig
from .charts import CurvesCanvas
from .widgets import MessageLabel, class_name
from .workers import Tasks, TrainingRelay, run_in_background


def _evaluate_bundle(bundle_folder: str, dataset_folder: str):
    use_cpu_in_process()
    return evaluate_bundle(bundle_folder, load_dataset(dataset_folder))[1]


def _fill(table: QTableWidget, headers: list[str], rows: list[list]) -> None:
    """A compact table (rows as tall as the text) whose columns fit their contents: the study's tables
    must be readable whole at the default window size."""
    table.clear()
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a run's name keeps its start and its end; whole in the tooltip
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.setColumnCount(len(headers))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(headers)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            item.setToolTip(item.text())
            if c:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    # a long first column (run names) gives way, elided, rather than pushing the last one out of sight
    overflow = sum(table.columnWidth(c) for c in range(table.columnCount())) - table.viewport().width()
    if overflow > 0 and table.columnCount() > 1:
        table.setColumnWidth(0, max(table.columnWidth(0) - overflow - 4, 90))


#: A run expected to take longer than this (seconds) is said, and asked for, before it starts.
LONG_RUN = 30 * 60
#: How long a closing window waits for a run's worker to finish its epoch before it kills it.
STOP_WAIT_MS = 15000


class TrainingTab(QWidget):
    status = Signal(str)
    bundle_written = Signal(str)

    def __init__(self, settings: QSettings, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.run: TrainingRun | None = None
        self.relay: TrainingRelay | None = None
        self.started: Started | None = None
        self.crossval: Progress | None = None  # the overall progress of a leave-one-hospital-out run
        self.estimate: dict | None = None  # its summary, once the folds are done
        self.devices: dict | None = None
        self._build()
        self._layout()
        self._connect()
        self.tasks = Tasks(self, on_error=self.message.error)
        self.retranslate()
        self.refresh_comparison()

    def _build(self) -> None:
        defaults = TrainConfig.defaults()
        self.dataset = QLineEdit(self.settings.value("training/dataset", ""))
        self.dataset_browse = QPushButton()
        self.model = QComboBox()
        for name, spec in MODELS.items():
            self.model.addItem(spec.title, name)
        self.model.setCurrentIndex(self.model.findData(defaults["model"]))
        self.recipe = QComboBox()
        for name, recipe in RECIPES.items():
            self.recipe.addItem(recipe.title, name)
            self.recipe.setItemData(self.recipe.count() - 1, recipe.description, Qt.ItemDataRole.ToolTipRole)
        self.recipe.setCurrentIndex(self.recipe.findData(defaults["recipe"]))
        self.lung_field = QComboBox()
        for name, description in LUNG_FIELDS.items():
            self.lung_field.addItem(name, name)
            self.lung_field.setItemData(self.lung_field.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        self.lung_field.setCurrentIndex(self.lung_field.findData(RECIPES[defaults["recipe"]].lung_field))
        self.device = QComboBox()
        for name, title in DEVICES.items():
            self.device.addItem(title, name)
            self.device.model().item(self.device.count() - 1).setEnabled(name == "cpu")  # until a GPU is found
        self.device.setCurrentIndex(self.device.findData(defaults["device"]))
        self.device_note = QLabel()
        self.device_note.setWordWrap(True)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10000)
        self.epochs.setValue(defaults["epochs"])
        self.batch = QSpinBox()
        self.batch.setRange(1, 4096)
        self.batch.setValue(defaults["batch_size"])
        self.size = QSpinBox()
        self.size.setRange(0, 1024)
        self.size.setValue(defaults["image_size"] or 0)
        self.weights = QComboBox()
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(defaults["seed"])
        self.out = QLineEdit(self.settings.value("training/out", defaults["out"]))
        self.estimate_box = QCheckBox()  # leave one hospital out first, then the model on every source
        self.estimate_box.setChecked(self.settings.value("training/estimate", "false") == "true")
        self.overall = QProgressBar()  # of the whole leave-one-hospital-out run
        self.overall.setRange(0, 1000)
        self.overall.hide()
        self.start_button = QPushButton()
        self.stop_button = QPushButton()
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.epoch_label = QLabel()
        self.message = MessageLabel()
        self.curves = CurvesCanvas(self)
        self.metrics = QTableWidget()
        self.compare = QTableWidget()
        self.form_box, self.results_box, self.compare_box = QGroupBox(), QGroupBox(), QGroupBox()
        self.form_box.setMinimumWidth(500)
        self.labels = {key: QLabel() for key in ("dataset", "model", "recipe", "lung_field", "device", "epochs",
                                                 "batch", "size", "weights", "seed", "out")}

    def _layout(self) -> None:
        form = QFormLayout(self.form_box)
        row = QHBoxLayout()
        row.addWidget(self.dataset, 1)
        row.addWidget(self.dataset_browse)
        form.addRow(self.labels["dataset"], row)
        form.addRow(self.labels["model"], self.model)
        form.addRow(self.labels["recipe"], self.recipe)
        form.addRow(self.labels["lung_field"], self.lung_field)
        form.addRow(self.labels["device"], self.device)
        form.addRow("", self.device_note)
        form.addRow(self.labels["epochs"], self.epochs)
        form.addRow(self.labels["batch"], self.batch)
        form.addRow(self.labels["size"], self.size)
        form.addRow(self.labels["weights"], self.weights)
        form.addRow(self.labels["seed"], self.seed)
        form.addRow(self.labels["out"], self.out)
        form.addRow("", self.estimate_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        form.addRow(buttons)

        right = QVBoxLayout()
        right.addWidget(self.overall)
        right.addWidget(self.epoch_label)
        right.addWidget(self.progress)
        right.addWidget(self.message)
        right.addWidget(self.curves, 1)
        top = QHBoxLayout()
        top.addWidget(self.form_box)
        top.addLayout(right, 1)
        QVBoxLayout(self.results_box).addWidget(self.metrics)
        QVBoxLayout(self.compare_box).addWidget(self.compare)
        bottom = QHBoxLayout()
        bottom.addWidget(self.results_box, 1)
        bottom.addWidget(self.compare_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 3)
        layout.addLayout(bottom, 3)

    def _connect(self) -> None:
        self.message.shown.connect(self.status)
        self.dataset.textChanged.connect(self.dataset.setToolTip)  # the whole path, however long
        self.dataset_browse.clicked.connect(self.choose_dataset)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.model.currentIndexChanged.connect(self.offer_weights)
        self.recipe.currentIndexChanged.connect(  # a recipe brings its lung field; the user may change it
            lambda _: self.lung_field.setCurrentIndex(self.lung_field.findData(
                RECIPES[self.recipe.currentData()].lung_field)))

    def retranslate(self) -> None:
        texts = {"dataset": self.tr("Curated dataset"), "model": self.tr("Model"), "recipe": self.tr("Recipe"),
                 "lung_field": self.tr("Lung field"),
                 "device": self.tr("Device"), "epochs": self.tr("Epochs"), "batch": self.tr("Batch size"),
                 "size": self.tr("Image size (0 = model's)"), "weights": self.tr("Pretrained weights"),
                 "seed": self.tr("Seed"), "out": self.tr("Models folder")}
        for key, text in texts.items():
            self.labels[key].setText(text)
        self.form_box.setTitle(self.tr("Run"))
        self.dataset_browse.setText(self.tr("Browse..."))
        self.start_button.setText(self.tr("Start training"))
        self.estimate_box.setText(self.tr("Estimate for a new hospital (leave one hospital out, then train on every "
                                          "source)"))
        self.estimate_box.setToolTip(self.tr("Trains one model per source (hospital) held out and tests it there, "
                                             "calibrates on those out-of-hospital predictions and chooses when to say "
                                             "'uncertain', then trains the model on every source: its card then says "
                                             "what a hospital it never saw can expect. Takes as many trainings as "
                                             "there are sources, plus one."))
        self.stop_button.setText(self.tr("Stop"))
        self.offer_weights()
        lung_titles = {"off": self.tr("Off: the whole image (the study's)"), "crop": self.tr("Crop to the lungs"),
                       "crop+normalise": self.tr("Crop to the lungs and equalise within them"),
                       "mask": self.tr("Only the lungs: crop, black outside them"),
                       "mask+normalise": self.tr("Only the lungs: crop, equalise, black outside them")}
        for i in range(self.lung_field.count()):
            self.lung_field.setItemText(i, lung_titles[self.lung_field.itemData(i)])
        # the registries' titles in the window's language (a model or recipe added since keeps its English title)
        model_titles = {"custom": self.tr("Custom CNN (study)"), "vgg16": self.tr("VGG16 transfer (study)"),
                        "inceptionv3": self.tr("InceptionV3 transfer (study)"), "compact": self.tr("Compact CNN"),
                        "efficientnetv2b0": self.tr("EfficientNetV2-B0 transfer")}
        recipe_titles = {"study": self.tr("Study (shear, zoom, flip)"),
                         "lungs": self.tr("Lungs only (study augmentation)"),
                         "robust": self.tr("Lungs + intensity augmentation, balance, early stop"),
                         "mixstyle": self.tr("Lungs + style mixing (MixStyle)")}
        for combo, titles, registry in ((self.model, model_titles, MODELS), (self.recipe, recipe_titles, RECIPES)):
            for i in range(combo.count()):
                name = combo.itemData(i)
                combo.setItemText(i, titles.get(name, registry[name].title))
        self.results_box.setTitle(self.tr("Evaluation of the last run"))
        self.compare_box.setTitle(self.tr("All runs in the models folder (the study's Table VII)"))
        self.compare.setHorizontalHeaderLabels(self.comparison_headers())  # the rows stay; their headers change
        if self.devices is None:
            self.device_note.setText(self.tr("Looking for a GPU..."))
        else:
            self.devices_found(self.devices)  # said again in the new language
        self.curves.titles = (self.tr("Loss"), self.tr("Accuracy"), self.tr("training"), self.tr("validation"),
                              self.tr("epoch"))
        self.curves.redraw()

    def offer_weights(self, *_) -> None:
        """Only the weights that apply to the chosen model: a network without a pretrained base
        starts from random weights and offers nothing else."""
        spec = MODELS[self.model.currentData()]
        titles = {"imagenet": self.tr("ImageNet (download and cache)"), "none": self.tr("None (random)"),
                  "file": self.tr("Weights file...")}
        choices = list(spec.weight_choices) + (["file"] if spec.pretrained else [])
        current = self.weights.currentData()
        self.weights.clear()
        for choice in choices:
            self.weights.addItem(titles[choice], choice)
        self.weights.setCurrentIndex(max(self.weights.findData(current), 0))
        self.weights.setEnabled(len(choices) > 1)

    def look_for_gpu(self) -> None:
        """Ask TensorFlow, in a subprocess, which devices exist (the GUI never loads it for this)."""
        run_in_background(probe, self.devices_found, self)

    def devices_found(self, report) -> None:
        if not isinstance(report, dict):
            report = {"gpu_available": False, "gpu_reason": str(report)}
        self.devices = report
        gpu = self.device.findData("gpu")
        if report.get("gpu_available"):
            self.device.model().item(gpu).setEnabled(True)
            self.device_note.setText(self.tr("GPU: {0}").format(", ".join(report["gpus"])))
        else:
            reasons = {"windows": self.tr("TensorFlow has had no GPU support on native Windows since version 2.10: run "
                                          "CXRDesk under WSL2 to train on the GPU"),
                       "cpu_build": self.tr("this TensorFlow is a CPU-only build: install 'tensorflow[and-cuda]' to "
                                            "train on a GPU"),
                       "no_gpu": self.tr("no GPU seen by TensorFlow: no NVIDIA driver or CUDA libraries were found "
                                         "(check 'nvidia-smi' and install 'tensorflow[and-cuda]')"),
                       "no_tensorflow": self.tr("TensorFlow could not be started to look for a GPU")}
            reason = reasons.get(report.get("gpu_reason_code"), report.get("gpu_reason"))
            self.device_note.setText(self.tr("GPU unavailable: {0}").format(reason))
        self.device.setItemData(gpu, self.device_note.text(), Qt.ItemDataRole.ToolTipRole)

    def choose_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Curated dataset"), self.dataset.text())
        if folder:
            self.dataset.setText(folder)

    def set_dataset(self, folder: str) -> None:
        self.dataset.setText(folder)

    def config(self) -> TrainConfig:
        weights = self.weights.currentData()
        if weights == "file":
            weights, _ = QFileDialog.getOpenFileName(self, self.tr("Weights file"), "", "Keras weights (*.h5)")
            weights = weights or "none"
        return TrainConfig(dataset=self.dataset.text().strip(), model=self.model.currentData(),
                           recipe=self.recipe.currentData(), lung_field=self.lung_field.currentData(),
                           device=self.device.currentData(),
                           epochs=self.epochs.value(), batch_size=self.batch.value(),
                           image_size=self.size.value() or None, weights=weights, seed=self.seed.value(),
                           out=self.out.text().strip() or TrainConfig.defaults()["out"])

    def start(self) -> None:
        estimate = self.estimate_box.isChecked()
        try:
            config = self.config()
            dataset = load_dataset(config.dataset)  # a clear error now, not in the worker
            if estimate:

                plan_folds(dataset)  # one source only, or no fold possible: said before anything starts
                self.run = CrossvalRun(config, CrossvalSettings()).start()
            elif not self.confirm_duration(config, len(dataset.split("train"))):
                return
            else:
                self.run = TrainingRun(config).start()
        except CxrdeskError as exc:
            self.message.error(str(exc))
            return
        self.crossval = Progress() if estimate else None
        self.estimate = None
        self.overall.setVisible(estimate)
        self.overall.setValue(0)
        self.settings.setValue("training/dataset", config.dataset)
        self.settings.setValue("training/out", config.out)
        self.settings.setValue("training/estimate", "true" if estimate else "false")
        self.curves.reset()
        self.message.info(self.tr("Starting the training process (TensorFlow loads in it)..."))
        self.epoch_label.setText("")
        self.progress.setValue(0)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.relay = TrainingRelay(self.run, parent=self)
        self.relay.event.connect(self.on_event)
        self.relay.start()

    def confirm_duration(self, config: TrainConfig, train_images: int) -> bool:
        """Before a run expected to take longer than :data:`LONG_RUN` (from an earlier run of the same network,
        size, lung field and device on this machine), say how long and ask; a shorter one just starts."""
        config.resolve()
        cards = [card for _, card in list_bundles(config.out)]
        expected = expected_duration(cards, config.model, config.image_size, config.lung_field, config.device,
                                     train_images, config.epochs)
        if expected is None or expected["seconds"] <= LONG_RUN:
            return True
        answer = QMessageBox.question(self, self.tr("A long run"), self.tr(
            "This run is expected to take up to {0}: {1} epochs of about {2} each, judged from the run '{3}' ({4:.0f} s "
            "per epoch on {5} images). Early stopping may end it sooner; what was trained is kept if you stop it. "
            "Start it?").format(_duration(expected["seconds"]), config.epochs, _duration(expected["seconds_per_epoch"]),
                                expected["from_run"], expected["from_seconds_per_epoch"], expected["from_train_images"]))
        return answer == QMessageBox.StandardButton.Yes

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()
            self.stop_button.setEnabled(False)
            self.message.info(self.tr("Stopping at the end of this batch; what was trained is kept..."))

    def on_event(self, event: Event) -> None:
        """A typed event of the run (see cxrdesk.events), shown where it belongs."""
        if self.crossval is not None:
            self.on_crossval_event(event)
        if isinstance(event, Started):
            self.started = event
            if self.crossval is not None:
                self.curves.reset()  # each training of the estimate draws its own curves
            self.message.info(self.tr("Training {0} on {1} ({2}): {3} training / {4} validation images; classes {5}")
                              .format(event.model, event.device.upper(), event.device_name, event.train_images,
                                      event.val_images, ", ".join(event.classes)))
        elif isinstance(event, Batch):
            self.show_batch(event)
        elif isinstance(event, Epoch):
            self.curves.add_epoch(event.to_dict())
            self.message.info(self.tr("Epoch {0}: loss {1:.4f}, accuracy {2:.4f}, {3:.1f} s per epoch").format(
                event.epoch, event.loss, event.accuracy, event.seconds))
        elif isinstance(event, Failed):
            self.message.error(self.tr("Training failed: {0}").format(event.message))
            self._idle()
        elif isinstance(event, Finished):
            self.finished(event)

    def show_batch(self, event: Batch) -> None:
        self.progress.setMaximum(event.steps)
        self.progress.setValue(event.batch)
        epochs = self.started.epochs if self.started else "?"
        if event.batch >= event.steps and event.epoch == epochs:
            self.epoch_label.setText(self.tr("Epoch {0}/{1} - last batch done: validating and saving...").format(
                event.epoch, epochs))
        elif self.crossval is not None:
            text = self.tr("{0} - epoch {1}/{2} - batch {3}/{4}").format(
                self._training_text(), event.epoch, epochs, event.batch, event.steps)
            if self.crossval.seconds_left is not None:
                text += " - " + self.tr("at most {0} left in all").format(_duration(self.crossval.seconds_left))
            self.epoch_label.setText(text)
        else:
            self.epoch_label.setText(self.tr("Epoch {0}/{1} - batch {2}/{3} - about {4} left").format(
                event.epoch, epochs, event.batch, event.steps, _duration(self._seconds_left(event))))

    def finished(self, event: Finished) -> None:
        self._idle()
        if self.crossval is not None and not event.bundle:
            self.epoch_label.setText(self.tr("Stopped: the completed folds are kept (resume with 'cxrdesk crossval "
                                             "--resume {0} --out {1}')").format(self.run.config.name, self.run.config.out)
                                     if isinstance(event, Stopped) else self.tr("Estimate done"))
            return
        text = self.tr("Finished after {0} epoch(s)").format(event.epochs_run if event.epochs_run is not None else "?")
        if event.bundle and event.best_epoch:
            text += " - " + self.tr("the model saved is epoch {0}, the one of lowest validation loss").format(
                event.best_epoch)
        self.epoch_label.setText(text)
        if event.bundle:
            self.message.info(self.tr("Model saved to {0}. Evaluating...").format(event.bundle))
            self.bundle_written.emit(event.bundle)
            self.tasks.start("evaluate", _evaluate_bundle, event.bundle, self.dataset.text().strip(),
                             on_success=self.show_evaluation)
        self.refresh_comparison()

    def _training_text(self) -> str:
        """'Fold 2 of 5: holding out nih' or 'Final model, on every source'."""
        progress = self.crossval
        if progress.training > progress.folds:
            text = self.tr("Final model, on every source")
        else:
            text = self.tr("Fold {0} of {1}: holding out {2}").format(progress.training, progress.folds,
                                                                      progress.held_out)
        return text

    def on_crossval_event(self, event: Event) -> None:
        """The overall progress of a leave-one-hospital-out run, and what each fold measured."""
        progress = self.crossval
        progress.update(event)
        self.overall.setValue(int(progress.fraction * 1000))
        self.overall.setFormat(self.tr("Estimate for a new hospital: {0}% of {1} trainings").format(
            int(progress.fraction * 100), progress.trainings))
        if isinstance(event, CrossvalPlanned):
            self.message.info(self.tr("Leave one hospital out: {0} folds ({1}), then the model on every source. {2}")
                              .format(len(event.folds), ", ".join(f["name"] for f in event.folds), " ".join(event.notes)))
        elif isinstance(event, FoldDone):
            self.message.info(self.tr("Held out {0}: accuracy {1:.1%} on {2} images it never saw").format(
                event.held_out, event.figures["accuracy"], event.figures["n"]))
        elif isinstance(event, EstimateDone):
            self.estimate = json.loads(Path(event.summary).read_text(encoding="utf-8"))
            self.show_estimate(self.estimate)

    def show_estimate(self, summary: dict) -> None:
        """Per held-out source and pooled: what a hospital the model never saw can expect."""
        classes = summary["classes"]
        rows = [[s, r["n"], f"{r['accuracy']:.1%}", f"{r['ece']:.3f}",
                 *[f"{r['recall'][c]:.0%}" if c in r["recall"] else "-" for c in classes], f"{r['coverage']:.0%}",
                 ", ".join(f"{class_name(c)} {v:.2f}" for c, v in (r["auc"] or {}).items()) or "-"]
                for s, r in summary["per_source"].items()]
        e = summary["expected_at_new_hospital"]
        rows.append([self.tr("All held out (pooled)"), e["n"], f"{e['accuracy']:.1%}", f"{e['ece']:.3f}",
                     *[f"{e['recall'][c]:.0%}" if c in e["recall"] else "-" for c in classes], f"{e['coverage']:.0%}",
                     ""])
        _fill(self.metrics, [self.tr("Held-out source"), self.tr("Images"), self.tr("Accuracy"), self.tr("ECE"),
                             *[self.tr("Recall {0}").format(class_name(c)) for c in classes], self.tr("Answered"),
                             self.tr("AUC within the source")], rows)
        self.results_box.setTitle(self.tr("Expected at a hospital it never saw (each source held out in turn)"))
        sure = (self.tr("when sure ({0:.0%} of films) right {1:.0%} of the time").format(e["coverage"],
                                                                                       e["accuracy_when_sure"])
                if e["accuracy_when_sure"] is not None else self.tr("never sure enough: every answer 'uncertain'"))
        self.message.info(self.tr("Expected at a hospital it never saw: {0:.1%} (calibration error {1:.2f}); {2}. "
                                  "Training the final model on every source...").format(e["accuracy"], e["ece"], sure))

    def _seconds_left(self, event: Batch) -> float:
        if not self.started:
            return 0.0
        done = self.curves.history
        per_epoch = (sum(h["seconds"] for h in done) / len(done) if done
                     else event.seconds / max(event.batch, 1) * event.steps)
        this_epoch = max(per_epoch - event.seconds, 0.0)
        return this_epoch + per_epoch * max(self.started.epochs - event.epoch, 0)

    def _idle(self) -> None:
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def show_evaluation(self, result) -> None:
        """The study's per-class table, general precision and the confusion matrix, for the model's
        classes (as many as it has)."""
        classes = list(result.classes)
        width = max(len(METRICS), len(classes)) + 1
        pad = lambda row: list(row) + [""] * (width - len(row))  # noqa: E731
        rows = []
        for name, values in result.metrics["per_class"].items():
            rows.append(pad([class_name(name), *[f"{values[m]:.4f}" for m in METRICS]]))
        rows.append(pad([self.tr("General precision"), f"{result.metrics['general_precision']:.4f}"]))
        rows.append(pad([self.tr("Confusion matrix: true \\ predicted"), *map(class_name, classes)]))
        for name, row in zip(classes, result.metrics["confusion_matrix"]):
            rows.append(pad([class_name(name), *row]))
        headers = [self.tr("Class ({0} split)").format(result.split), self.tr("Accuracy"), self.tr("Precision"),
                   self.tr("Recall"), self.tr("Specificity"), self.tr("F1")]
        if self.estimate is not None:  # the estimate stays the table shown; the random split is said beside it
            e = self.estimate["expected_at_new_hospital"]
            self.message.info(self.tr("Expected at a hospital it never saw: {0:.1%} (leave-one-hospital-out over {1} "
                                      "hospitals); on a random {2} split of its own hospitals: {3:.1%}").format(
                e["accuracy"], len(e["folds"]), result.split, result.metrics["general_precision"]))
            self.refresh_comparison()
            return
        self.results_box.setTitle(self.tr("Evaluation of the last run"))
        _fill(self.metrics, pad(headers), rows)
        message = self.tr("Evaluated on the {0} split: general precision {1:.2%}").format(
            result.split, result.metrics["general_precision"])
        if result.holdout_sources:
            message += " " + self.tr("(hospitals never seen in training: {0})").format(", ".join(result.holdout_sources))
        else:
            message += " " + self.tr("(a random split of the training hospitals: not a figure for another hospital)")
        self.message.info(message)
        self.refresh_comparison()

    def refresh_comparison(self) -> None:
        cards = [card for _, card in list_bundles(self.out.text().strip() or TrainConfig.defaults()["out"])]
        rows = comparison_rows(cards)
        _fill(self.compare, self.comparison_headers(),
              [[r["run"], r["model"], len(r["classes"]), (r["device"] or "").upper(),
                f"{r['seconds_per_epoch']:.1f}" if r["seconds_per_epoch"] is not None else "-",
                f"{r['expected_at_new_hospital']:.1%}" if r["expected_at_new_hospital"] is not None
                else self.tr("not estimated"),
                f"{r['val_accuracy']:.2%}" if r["val_accuracy"] is not None else "-",
                f"{r['test_general_precision']:.2%}" if r["test_general_precision"] is not None else "-",
                f"{r['held_out_general_precision']:.2%}" if r["held_out_general_precision"] is not None
                else self.tr("never tested")]
               for r in rows])

    def comparison_headers(self) -> list[str]:
        return [self.tr("Run"), self.tr("Model"), self.tr("Classes"), self.tr("Device"), self.tr("s/epoch"),
                self.tr("Expected at a\nnew hospital"), self.tr("Val. general\nprecision"),
                self.tr("Test general\nprecision"), self.tr("Held-out\nhospitals")]

    def shutdown(self) -> None:
        """Stop a run as the window closes: its worker ends after the epoch it is in, or is killed after
        :data:`STOP_WAIT_MS`; either way the relay is waited for, since a QThread destroyed while it runs takes the
        whole application down (a closed window's relay once aborted the next window's event loop)."""
        if self.run is not None and self.relay is not None and self.relay.isRunning():
            self.run.stop()
            if not self.relay.wait(STOP_WAIT_MS):
                self.run.kill()
                self.relay.wait(30000)  # the killed worker's last event comes within about a second


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"
