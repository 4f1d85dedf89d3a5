"""Fill resources/translations/cxrdesk_es.ts with the Spanish texts below and compile it to
cxrdesk/translations/cxrdesk_es.qm. Run after `pyside6-lupdate cxrdesk/gui/*.py -ts ...` adds strings:

    python tools/translate_es.py
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "resources" / "translations" / "cxrdesk_es.ts"
QM = ROOT / "cxrdesk" / "translations" / "cxrdesk_es.qm"

ES = {
    "Folder with one sub-folder per class (COVID, Tuberculosis, Normal, Pneumonia...)":
        "Carpeta con una subcarpeta por clase (COVID, Tuberculosis, Normal, Neumonía...)",
    "Browse...": "Examinar...",
    "Scan": "Analizar",
    "Class": "Clase",
    "Images": "Imágenes",
    "Kept": "Conservadas",
    "Dropped": "Descartadas",
    "Mean intensity band": "Banda de intensidad media",
    "Low": "Mínimo",
    "High": "Máximo",
    "Study band 120-140": "Banda del estudio 120-140",
    "Keep all (0-255)": "Conservar todas (0-255)",
    "Balance, split and export": "Balancear, dividir y exportar",
    "Balance classes (down to the smallest)": "Balancear las clases (hasta la más pequeña)",
    "Seed": "Semilla",
    "Validation share (of non-test)": "Proporción de validación (sin testeo)",
    "Test share": "Proporción de testeo",
    "Manifest only (images stay in place)": "Solo el manifiesto (las imágenes no se mueven)",
    "Folder tree of hard links": "Árbol de carpetas con enlaces duros",
    "Folder tree of copies": "Árbol de carpetas con copias",
    "Output folder": "Carpeta de salida",
    "Where to write the curated dataset": "Dónde escribir el conjunto curado",
    "Export curated dataset": "Exportar el conjunto curado",
    "Near the low threshold": "Cerca del umbral mínimo",
    "Near the high threshold": "Cerca del umbral máximo",
    "Scan a folder to see the intensity histogram": "Analice una carpeta para ver el histograma de intensidad",
    "Folder of radiographs": "Carpeta de radiografías",
    "Choose a folder of radiographs first.": "Elija primero una carpeta de radiografías.",
    "Scanning {0}...": "Analizando {0}...",
    "{0} images scanned in {1:.1f} s ({2} from cache).": "{0} imágenes analizadas en {1:.1f} s ({2} de la caché).",
    "Class folders: {0}": "Carpetas de clase: {0}",
    "Ignored folders: {0}": "Carpetas ignoradas: {0}",
    "{0} unreadable files (first: {1}: {2})": "{0} archivos ilegibles (el primero: {1}: {2})",
    "mean pixel intensity (0-255)": "intensidad media de píxel (0-255)",
    "images": "imágenes",
    "Scan a folder and choose an output folder first.": "Analice una carpeta y elija antes una carpeta de salida.",
    "Replace?": "¿Reemplazar?",
    "{0} already exists. Replace the curated dataset there?": "{0} ya existe. ¿Reemplazar el conjunto curado que contiene?",
    "Curated dataset written to {0}": "Conjunto curado escrito en {0}",
    "Model": "Modelo",
    "Other folder...": "Otra carpeta...",
    "Open radiograph...": "Abrir radiografía...",
    "Export report...": "Exportar informe...",
    "Heatmap opacity": "Opacidad del mapa de calor",
    "Result": "Resultado",
    "CXRDesk is a research tool, not a medical device: its output must not be used to diagnose or treat a patient.":
        "CXRDesk es una herramienta de investigación, no es un dispositivo médico: sus resultados no deben usarse "
        "para diagnosticar ni tratar a un paciente.",
    "Open a radiograph (PNG, JPEG, TIFF, BMP or DICOM), or drop it here":
        "Abra una radiografía (PNG, JPEG, TIFF, BMP o DICOM) o suéltela aquí",
    "Folder of model bundles": "Carpeta de modelos",
    "Loading the model (TensorFlow starts the first time)...": "Cargando el modelo (TensorFlow arranca la primera vez)...",
    "The model learnt from this very film (it is among its training and validation files): its answer says nothing "
    "of how it does on films it never saw.":
        "El modelo aprendió de esta misma placa (está entre sus archivos de entrenamiento y validación): su respuesta "
        "no dice nada de cómo funciona con placas que nunca vio.",
    "Custom CNN (study)": "CNN propia (estudio)",
    "VGG16 transfer (study)": "VGG16 por transferencia (estudio)",
    "InceptionV3 transfer (study)": "InceptionV3 por transferencia (estudio)",
    "Compact CNN": "CNN compacta",
    "EfficientNetV2-B0 transfer": "EfficientNetV2-B0 por transferencia",
    "Study (shear, zoom, flip)": "Estudio (cizalla, zoom, volteo)",
    "Lungs only (study augmentation)": "Solo los pulmones (aumento del estudio)",
    "Lungs + intensity augmentation, balance, early stop":
        "Pulmones + aumento de intensidad, equilibrio, parada temprana",
    "Lungs + style mixing (MixStyle)": "Pulmones + mezcla de estilos (MixStyle)",
    "TensorFlow has had no GPU support on native Windows since version 2.10: run CXRDesk under WSL2 to train on "
    "the GPU":
        "TensorFlow no admite GPU en Windows nativo desde la versión 2.10: ejecute CXRDesk en WSL2 para entrenar en "
        "la GPU",
    "this TensorFlow is a CPU-only build: install 'tensorflow[and-cuda]' to train on a GPU":
        "este TensorFlow está compilado solo para CPU: instale 'tensorflow[and-cuda]' para entrenar en una GPU",
    "no GPU seen by TensorFlow: no NVIDIA driver or CUDA libraries were found (check 'nvidia-smi' and install "
    "'tensorflow[and-cuda]')":
        "TensorFlow no ve ninguna GPU: no se encontró el controlador de NVIDIA ni las bibliotecas CUDA (compruebe "
        "'nvidia-smi' e instale 'tensorflow[and-cuda]')",
    "TensorFlow could not be started to look for a GPU": "No se pudo iniciar TensorFlow para buscar una GPU",
    "A long run": "Un entrenamiento largo",
    "This run is expected to take up to {0}: {1} epochs of about {2} each, judged from the run '{3}' ({4:.0f} s per "
    "epoch on {5} images). Early stopping may end it sooner; what was trained is kept if you stop it. Start it?":
        "Se espera que este entrenamiento dure hasta {0}: {1} épocas de unos {2} cada una, según el entrenamiento "
        "'{3}' ({4:.0f} s por época con {5} imágenes). La parada temprana puede terminarlo antes; si lo detiene, se "
        "conserva lo entrenado. ¿Empezar?",
    "Diagnoses of {0}": "Diagnósticos de {0}",
    "Export CSV...": "Exportar CSV...",
    "Export CSV": "Exportar CSV",
    "Click a column to sort by it; double-click a film to open it in the Diagnosis view. No heatmaps here: open a "
    "film for its Grad-CAM.":
        "Haga clic en una columna para ordenar por ella; doble clic en una placa para abrirla en la vista de "
        "diagnóstico. Aquí no hay mapas de calor: abra una placa para ver su Grad-CAM.",
    "Diagnosing {0} films with {1} ({2})...": "Diagnosticando {0} placas con {1} ({2})...",
    "Film": "Placa",
    "Answer": "Respuesta",
    "Flags": "Avisos",
    "{0} films: {1} answered, {2} uncertain, {3} with no diagnosis, {4} unreadable":
        "{0} placas: {1} respondidas, {2} inciertas, {3} sin diagnóstico, {4} ilegibles",
    "unreadable": "ilegible",
    "no diagnosis": "sin diagnóstico",
    "uncertain ({0})": "incierto ({0})",
    "a film the model learnt from": "una placa de la que el modelo aprendió",
    "Cannot write {0}: {1}": "No se puede escribir {0}: {1}",
    "Wrote {0}": "Escrito {0}",
    "Diagnose a folder...": "Diagnosticar una carpeta...",
    "Every film in a folder and its sub-folders, in a table you can sort and export as CSV":
        "Todas las placas de una carpeta y sus subcarpetas, en una tabla que puede ordenar y exportar como CSV",
    "Grad-CAM heatmap: being computed (TensorFlow starts the first time)...":
        "Mapa de calor Grad-CAM: calculándose (TensorFlow arranca la primera vez)...",
    "Model ready.": "Modelo listo.",
    "No trained model in '{0}'. Train one in the Training tab, or run 'cxrdesk train DATASET', then come back here.":
        "No hay ningún modelo entrenado en '{0}'. Entrene uno en la pestaña Entrenamiento, o ejecute "
        "'cxrdesk train DATASET', y vuelva aquí.",
    "Loading {0}...": "Cargando {0}...",
    "{0}: {1}, {2} px, trained on {3} images on the {4}; validation general precision {5}":
        "{0}: {1}, {2} px, entrenado con {3} imágenes en la {4}; precisión general de validación {5}",
    "A demonstration model trained on about 1,500 public images: not a clinical model.":
        "Un modelo de demostración entrenado con unas 1.500 imágenes públicas: no es un modelo clínico.",
    "Open radiograph": "Abrir radiografía",
    "Radiographs (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.dcm *.dicom);;All files (*)":
        "Radiografías (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.dcm *.dicom);;Todos los archivos (*)",
    "No model to diagnose with yet.": "Todavía no hay ningún modelo con el que diagnosticar.",
    "Analysing {0}...": "Analizando {0}...",
    "Predicted: {0}": "Predicción: {0}",
    "May not be a frontal chest radiograph: {0}": "Puede que no sea una radiografía de tórax frontal: {0}",
    "{0}: {1} ({2:.1%})": "{0}: {1} ({2:.1%})",
    "Export report": "Exportar informe",
    "Report written to {0}": "Informe escrito en {0}",
    "CXRDesk {0} - research tool, not a medical device": "CXRDesk {0} - herramienta de investigación, no es un dispositivo médico",
    "1. Curation": "1. Curación",
    "2. Training": "2. Entrenamiento",
    "3. Diagnosis": "3. Diagnóstico",
    "&File": "&Archivo",
    "Scan a folder...": "Analizar una carpeta...",
    "Open a radiograph...": "Abrir una radiografía...",
    "Quit": "Salir",
    "&Language": "&Idioma",
    "&Help": "A&yuda",
    "About CXRDesk": "Acerca de CXRDesk",
    "Ready": "Listo",
    "<h3>CXRDesk {0}</h3><p>Curate chest radiographs, train the study's convolutional networks on the CPU or the GPU, "
    "and diagnose COVID-19, Tuberculosis or Healthy with the probability of each class.</p><p><b>{1}</b></p>"
    "<p>Built on PySide6 (Qt, LGPL), TensorFlow and Keras (Apache 2.0), NumPy, Pillow, scikit-learn, Matplotlib and "
    "pydicom. Real radiographs used for tests and the demo come from the Hannover COVID-19 repository (CC BY 3.0), "
    "the ieee8023 COVID-19 collection, NIH ChestX-ray14, TBX11K and the Shenzhen TB set; see the README for their "
    "licences.</p>":
        "<h3>CXRDesk {0}</h3><p>Cure radiografías de tórax, entrene las redes convolucionales del estudio en la CPU "
        "o en la GPU, y diagnostique COVID-19, Tuberculosis o Sano con la probabilidad de cada clase.</p>"
        "<p><b>{1}</b></p><p>Construido con PySide6 (Qt, LGPL), TensorFlow y Keras (Apache 2.0), NumPy, Pillow, "
        "scikit-learn, Matplotlib y pydicom. Las radiografías reales de las pruebas y de la demostración provienen "
        "del repositorio COVID-19 de Hannover (CC BY 3.0), la colección COVID-19 de ieee8023, NIH ChestX-ray14, "
        "TBX11K y el conjunto de TB de Shenzhen; vea sus licencias en el README.</p>",
    "Curated dataset": "Conjunto curado",
    "Device": "Dispositivo",
    "Epochs": "Épocas",
    "Batch size": "Tamaño de lote",
    "Image size (0 = model's)": "Tamaño de imagen (0 = el del modelo)",
    "Pretrained weights": "Pesos preentrenados",
    "Models folder": "Carpeta de modelos",
    "Run": "Ejecución",
    "Start training": "Iniciar entrenamiento",
    "Stop": "Detener",
    "ImageNet (download and cache)": "ImageNet (descarga y caché)",
    "None (random)": "Ninguno (aleatorio)",
    "Weights file...": "Archivo de pesos...",
    "Evaluation of the last run": "Evaluación de la última ejecución",
    "All runs in the models folder (the study's Table VII)": "Todas las ejecuciones de la carpeta (Tabla VII del estudio)",
    "Looking for a GPU...": "Buscando una GPU...",
    "Loss": "Pérdida",
    "Accuracy": "Exactitud",
    "training": "entrenamiento",
    "validation": "validación",
    "epoch": "época",
    "GPU: {0}": "GPU: {0}",
    "GPU unavailable: {0}": "GPU no disponible: {0}",
    "Weights file": "Archivo de pesos",
    "Starting the training process (TensorFlow loads in it)...": "Iniciando el proceso de entrenamiento (TensorFlow se carga en él)...",
    "Stopping at the end of this batch; what was trained is kept...":
        "Deteniendo al final de este lote; se conserva lo entrenado...",
    "Training {0} on {1} ({2}): {3} training / {4} validation images; classes {5}":
        "Entrenando {0} en {1} ({2}): {3} imágenes de entrenamiento / {4} de validación; clases {5}",
    "Epoch {0}/{1} - batch {2}/{3} - about {4} left": "Época {0}/{1} - lote {2}/{3} - faltan unos {4}",
    "Epoch {0}: loss {1:.4f}, accuracy {2:.4f}, {3:.1f} s per epoch":
        "Época {0}: pérdida {1:.4f}, exactitud {2:.4f}, {3:.1f} s por época",
    "Training failed: {0}": "El entrenamiento falló: {0}",
    "Model saved to {0}. Evaluating...": "Modelo guardado en {0}. Evaluando...",
    "General precision": "Precisión general",
    "Confusion matrix: true \\ predicted": "Matriz de confusión: real \\ predicción",
    "Class ({0} split)": "Clase (partición {0})",
    "Precision": "Precisión",
    "Recall": "Sensibilidad",
    "Specificity": "Especificidad",
    "F1": "F1",
    "Evaluated on the {0} split: general precision {1:.2%}": "Evaluado en la partición {0}: precisión general {1:.2%}",
    "s/epoch": "s/época",
    "Val. general precision": "Precisión general (val.)",
    "Test general precision": "Precisión general (testeo)",
    "mean intensity": "intensidad media",
    "Recipe": "Receta",
    "Classes": "Clases",
    "Classes: {0}": "Clases: {0}",
    "Lung field": "Campo pulmonar",
    "Finished after {0} epoch(s)": "Terminado tras {0} época(s)",
    "The Grad-CAM heatmap ({0}) is empty: no part of the image raises this class's score.":
        "El mapa Grad-CAM ({0}) está vacío: ninguna parte de la imagen eleva la puntuación de esta clase.",
    "Keep pictures found in two classes": "Conservar imágenes presentes en dos clases",
    "Epoch {0}/{1} - last batch done: validating and saving...":
        "Época {0}/{1} - último lote hecho: validando y guardando...",
    "COVID-19": "COVID-19",
    "Healthy": "Sano",
    "Tuberculosis": "Tuberculosis",
    "Hold out hospitals\n(test split: never trained on)": "Reservar hospitales\n(testeo: nunca entrenados)",
    "Class \\ source": "Clase \\ fuente",
    "Held-out hospitals": "Hospitales reservados",
    "Val. general\nprecision": "Precisión general\n(val.)",
    "Test general\nprecision": "Precisión general\n(testeo)",
    "Held-out\nhospitals": "Hospitales\nreservados",
    "never tested": "nunca probado",
    "(hospitals never seen in training: {0})": "(hospitales nunca vistos en el entrenamiento: {0})",
    "(a random split of the training hospitals: not a figure for another hospital)":
        "(una partición aleatoria de los hospitales de entrenamiento: no es una cifra para otro hospital)",
    "On hospitals it never saw ({0}): general precision {1:.1%} on {2} images":
        "En hospitales que nunca vio ({0}): precisión general {1:.1%} en {2} imágenes",
    "Never tested on a hospital it did not train on: its accuracy elsewhere is unknown.":
        "Nunca probado en un hospital distinto de los de entrenamiento: su exactitud en otro lugar es desconocida.",
    "Screening: {0}": "Cribado: {0}",
    "Band on the mean intensity inside the lungs (lung model)":
        "Banda sobre la intensidad media dentro de los pulmones (modelo pulmonar)",
    "Show the lungs on the thumbnails": "Mostrar los pulmones en las miniaturas",
    "mean pixel intensity inside the lungs (0-255)": "intensidad media de píxel dentro de los pulmones (0-255)",
    "Measuring the mean intensity inside the lungs (the lung model runs on every image, once)...":
        "Midiendo la intensidad media dentro de los pulmones (el modelo pulmonar se ejecuta una vez por imagen)...",
    "Off: the whole image (the study's)": "Desactivado: la imagen entera (como el estudio)",
    "Crop to the lungs": "Recortar a los pulmones",
    "Crop to the lungs and equalise within them": "Recortar a los pulmones y ecualizar dentro de ellos",
    "Grad-CAM: low": "Grad-CAM: bajo",
    "high": "alto",
    "Heat inside the lungs: unknown (no lung model)": "Calor dentro de los pulmones: desconocido (sin modelo pulmonar)",
    "Only {0:.0%} of the Grad-CAM heat ({1}) is inside the lungs (green line): the model looked mostly elsewhere, a sign of a shortcut.":
        "Solo el {0:.0%} del calor de Grad-CAM ({1}) está dentro de los pulmones (línea verde): el modelo miró sobre "
        "todo a otra parte, señal de un atajo.",
    "{0:.0%} of the Grad-CAM heat ({1}) is inside the lungs (green line).":
        "El {0:.0%} del calor de Grad-CAM ({1}) está dentro de los pulmones (línea verde).",
    "Test on a hospital's images...": "Probar con imágenes de un hospital...",
    "Measure this model on a labelled folder from another hospital (one sub-folder per class); the figure is kept on its card":
        "Medir este modelo con una carpeta etiquetada de otro hospital (una subcarpeta por clase); la cifra queda en su ficha",
    "Calibrate for a hospital...": "Calibrar para un hospital...",
    "Fit the probabilities and screening thresholds to a hospital on half of its labelled images, check them on the other half, and save a new model (this one is kept as it is)":
        "Ajustar las probabilidades y los umbrales de cribado a un hospital con la mitad de sus imágenes etiquetadas, "
        "comprobarlos con la otra mitad y guardar un modelo nuevo (este se conserva tal cual)",
    "Labelled folder from another hospital (one sub-folder per class)":
        "Carpeta etiquetada de otro hospital (una subcarpeta por clase)",
    "Testing {0} on {1}...": "Probando {0} con {1}...",
    "General precision {0:.1%} on {1} images of {2} (ECE {3:.3f})":
        "Precisión general {0:.1%} en {1} imágenes de {2} (ECE {3:.3f})",
    "not kept on the model's card: its folder cannot be written.":
        "no se guardó en la ficha del modelo: no se puede escribir en su carpeta.",
    "kept on the model's card (whose headline is its largest such test).":
        "guardada en la ficha del modelo (cuya cifra principal es su prueba más grande de este tipo).",
    "(the largest of its {0} such tests)": "(la mayor de sus {0} pruebas de este tipo)",
    "kept on the model's card, never as its figure for other hospitals.":
        "guardada en la ficha del modelo, nunca como su cifra para otros hospitales.",
    "Not a figure for a hospital it never saw: {0} of these images are among those it learnt from; sources it "
    "learnt from: {1}":
        "No es una cifra de un hospital que nunca vio: {0} de estas imágenes están entre las que aprendió; fuentes "
        "de las que aprendió: {1}",
    "none": "ninguna",
    "Labelled folder of the hospital (one sub-folder per class)":
        "Carpeta etiquetada del hospital (una subcarpeta por clase)",
    "New folder for the calibrated model": "Carpeta nueva para el modelo calibrado",
    "Calibrating {0} on {1}...": "Calibrando {0} con {1}...",
    "Calibrated on {0} images, checked on {1} others: general precision {2:.1%} -> {3:.1%}, ECE {4:.3f} -> {5:.3f}. New model: {6}":
        "Calibrado con {0} imágenes, comprobado con otras {1}: precisión general {2:.1%} -> {3:.1%}, "
        "ECE {4:.3f} -> {5:.3f}. Modelo nuevo: {6}",
    "Calibrated on {0} images (none kept to check it). New model: {1}":
        "Calibrado con {0} imágenes (ninguna reservada para comprobarlo). Modelo nuevo: {1}",
    "Calibrated for {0} on {1} of its images; on {2} others: general precision {3:.1%}":
        "Calibrado para {0} con {1} de sus imágenes; en otras {2}: precisión general {3:.1%}",
    "Only the lungs: crop, equalise, black outside them": "Solo los pulmones: recortar, ecualizar, negro fuera de ellos",
    "Only the lungs: crop, black outside them": "Solo los pulmones: recortar, negro fuera de ellos",
    "Expected at a hospital it never saw: {0:.1%} (leave-one-hospital-out over {1} hospitals, {2} films; calibration error {3:.2f})":
        "Esperado en un hospital que nunca vio: {0:.1%} (dejando fuera un hospital cada vez, {1} hospitales, "
        "{2} radiografías; error de calibración {3:.2f})",
    "When sure ({0:.0%} of films) right {1:.0%} of the time; otherwise it says 'uncertain'.":
        "Cuando está seguro ({0:.0%} de las radiografías) acierta el {1:.0%} de las veces; si no, dice «incierto».",
    "Never sure enough to reach {0:.0%} there: every answer is 'uncertain'.":
        "Nunca lo bastante seguro para llegar al {0:.0%} allí: toda respuesta es «incierto».",
    "Tested on {0}: general precision {1:.1%} on {2} images": "Probado en {0}: precisión general {1:.1%} en {2} imágenes",
    "{0}: uncertain": "{0}: incierto",
    "Uncertain - refer": "Incierto - derivar",
    "Most likely {0} at {1:.1%}, below the {2:.0%} at which this model was right {3:.0%} of the time at hospitals it never saw.":
        "Lo más probable: {0} con {1:.1%}, por debajo del {2:.0%} con el que este modelo acertó el {3:.0%} de las "
        "veces en hospitales que nunca vio.",
    "This model's answers never reached {0:.0%} accuracy at hospitals it never saw (most likely {1} at {2:.1%}).":
        "Las respuestas de este modelo nunca llegaron al {0:.0%} de exactitud en hospitales que nunca vio (lo más "
        "probable: {1} con {2:.1%}).",
    "Estimate for a new hospital (leave one hospital out, then train on every source)":
        "Estimar para un hospital nuevo (dejar fuera un hospital cada vez y luego entrenar con todas las fuentes)",
    "Trains one model per source (hospital) held out and tests it there, calibrates on those out-of-hospital "
    "predictions and chooses when to say 'uncertain', then trains the model on every source: its card then says "
    "what a hospital it never saw can expect. Takes as many trainings as there are sources, plus one.":
        "Entrena un modelo por cada fuente (hospital) dejada fuera y lo prueba en ella, calibra con esas "
        "predicciones fuera de hospital y elige cuándo decir «incierto», y luego entrena el modelo con todas las "
        "fuentes: su ficha dice entonces qué puede esperar un hospital que nunca vio. Requiere tantos "
        "entrenamientos como fuentes, más uno.",
    "{0} - epoch {1}/{2} - batch {3}/{4}": "{0} - época {1}/{2} - lote {3}/{4}",
    "at most {0} left in all": "como mucho {0} en total",
    "Stopped: the completed folds are kept (resume with 'cxrdesk crossval --resume {0} --out {1}')":
        "Detenido: se conservan los pliegues terminados (reanudar con 'cxrdesk crossval --resume {0} --out {1}')",
    "Estimate done": "Estimación terminada",
    "Final model, on every source": "Modelo final, con todas las fuentes",
    "Fold {0} of {1}: holding out {2}": "Pliegue {0} de {1}: dejando fuera {2}",
    "Estimate for a new hospital: {0}% of {1} trainings": "Estimación para un hospital nuevo: {0}% de {1} entrenamientos",
    "Leave one hospital out: {0} folds ({1}), then the model on every source. {2}":
        "Dejar fuera un hospital cada vez: {0} pliegues ({1}), y luego el modelo con todas las fuentes. {2}",
    "Held out {0}: accuracy {1:.1%} on {2} images it never saw":
        "Fuera {0}: exactitud {1:.1%} en {2} imágenes que nunca vio",
    "All held out (pooled)": "Todas las dejadas fuera (juntas)",
    "Held-out source": "Fuente dejada fuera",
    "ECE": "ECE",
    "Recall {0}": "Sensibilidad {0}",
    "Answered": "Respondidas",
    "AUC within the source": "AUC dentro de la fuente",
    "Expected at a hospital it never saw (each source held out in turn)":
        "Esperado en un hospital que nunca vio (cada fuente dejada fuera por turno)",
    "when sure ({0:.0%} of films) right {1:.0%} of the time":
        "cuando está seguro ({0:.0%} de las radiografías) acierta el {1:.0%} de las veces",
    "never sure enough: every answer 'uncertain'": "nunca lo bastante seguro: toda respuesta «incierto»",
    "Expected at a hospital it never saw: {0:.1%} (calibration error {1:.2f}); {2}. Training the final model on every source...":
        "Esperado en un hospital que nunca vio: {0:.1%} (error de calibración {1:.2f}); {2}. Entrenando el modelo "
        "final con todas las fuentes...",
    "Expected at a hospital it never saw: {0:.1%} (leave-one-hospital-out over {1} hospitals); on a random {2} split of its own hospitals: {3:.1%}":
        "Esperado en un hospital que nunca vio: {0:.1%} (dejando fuera un hospital cada vez, {1} hospitales); en "
        "una partición aleatoria de {2} de sus propios hospitales: {3:.1%}",
    "Expected at a\nnew hospital": "Esperado en un\nhospital nuevo",
    "not estimated": "sin estimar",
    "Show the probabilities anyway (not a diagnosis)": "Mostrar las probabilidades igualmente (no es un diagnóstico)",
    "{0}: no diagnosis": "{0}: sin diagnóstico",
    "Not a diagnosis: these probabilities were asked for although the input may not be a frontal chest radiograph:":
        "No es un diagnóstico: se pidieron estas probabilidades aunque la imagen puede no ser una radiografía de "
        "tórax frontal:",
    "No diagnosis: this may not be a frontal chest radiograph:":
        "Sin diagnóstico: puede no ser una radiografía de tórax frontal:",
    "No diagnosis": "Sin diagnóstico",
    "Warning: the {0} split has fewer than {1} images of {2}: its figures would be noise.":
        "Aviso: la partición de {0} tiene menos de {1} imágenes de {2}: sus cifras serían ruido.",
    "test": "testeo",
    "Warning: {0}": "Aviso: {0}",
    "Screening: {0} {1:.1%} is above its screening threshold {2:.1%}{3}: refer for a confirmatory test":
        "Cribado: {0} {1:.1%} supera su umbral de cribado {2:.1%}{3}: derivar para una prueba de confirmación",
    " (chosen on this hospital's images)": " (elegido con las imágenes de este hospital)",
    "the model saved is epoch {0}, the one of lowest validation loss":
        "el modelo guardado es la época {0}, la de menor pérdida de validación",
    "not kept on the card: the shipped demo model is never changed.":
        "no se guarda en la ficha: el modelo de demostración incluido nunca se modifica.",
    "Only {0:.0%} of the Grad-CAM heat ({1}) is inside the lungs (green line): the model looked mostly {2} ({3:.0%}), a sign of a shortcut.":
        "Solo el {0:.0%} del calor de Grad-CAM ({1}) está dentro de los pulmones (línea verde): el modelo miró sobre "
        "todo {2} ({3:.0%}), señal de un atajo.",
    "between the lungs (mediastinum, heart)": "entre los pulmones (mediastino, corazón)",
    "outside the lung field (neck, shoulders, abdomen, borders)":
        "fuera del campo pulmonar (cuello, hombros, abdomen, bordes)",
    "at the black between the lungs (the outline of its lung mask: it does not see the heart there)":
        "al negro entre los pulmones (el contorno de su máscara pulmonar: ahí no ve el corazón)",
    "at the black beyond the lungs (the outline of its lung mask)":
        "al negro más allá de los pulmones (el contorno de su máscara pulmonar)",
    # the core's reasons for no diagnosis (cxrdesk/gui/wording.py) and the report's words
    "a colour image (colourfulness {0:.0f}): radiographs are grayscale":
        "una imagen en color (colorido {0:.0f}): las radiografías son en escala de grises",
    "almost uniform (intensity sd {0:.1f}): a blank or empty image?":
        "casi uniforme (desviación de intensidad {0:.1f}): ¿una imagen en blanco o vacía?",
    "noise-like texture (roughness {0:.2f}), unlike a radiograph":
        "textura de ruido (rugosidad {0:.2f}), no la de una radiografía",
    "unusual shape for a chest radiograph (width/height {0:.2f})":
        "forma inusual para una radiografía de tórax (ancho/alto {0:.2f})",
    "mean intensity {0:.0f} is outside the training images' range ({1:.0f}-{2:.0f})":
        "la intensidad media {0:.0f} está fuera del rango de las imágenes de entrenamiento ({1:.0f}-{2:.0f})",
    "no plausible lungs found ({0})": "no se encontraron pulmones plausibles ({0})",
    "empty file (0 bytes)": "archivo vacío (0 bytes)",
    "file not found": "archivo no encontrado",
    "refused as a possible decompression bomb (its header claims an enormous image)":
        "rechazado como posible bomba de descompresión (su cabecera declara una imagen enorme)",
    "not a recognised image file (PNG, JPEG, BMP, TIFF and DICOM are supported)":
        "no es un archivo de imagen reconocido (se admiten PNG, JPEG, BMP, TIFF y DICOM)",
    "corrupt image (its header asks for more memory than there is)":
        "imagen dañada (su cabecera pide más memoria de la que hay)",
    "damaged DICOM file (its header asks for more memory than there is)":
        "archivo DICOM dañado (su cabecera pide más memoria de la que hay)",
    "not a DICOM file (no DICOM header; named .dcm but holds something else)":
        "no es un archivo DICOM (sin cabecera DICOM; se llama .dcm pero contiene otra cosa)",
    "DICOM file has no image (no Pixel Data element)": "el archivo DICOM no tiene imagen (no hay elemento Pixel Data)",
    "cannot be read ({0})": "no se puede leer ({0})",
    "too small to be a radiograph ({0}x{1} px; at least {2} px a side is needed)":
        "demasiado pequeña para ser una radiografía ({0}x{1} px; se necesitan al menos {2} px por lado)",
    "{0}x{1} px is {2:.1f} megapixels, over the limit of {3:.0f} megapixels (refused as a possible decompression bomb); "
    "if the image is genuine, allow it with --max-pixels {4}":
        "{0}x{1} px son {2:.1f} megapíxeles, por encima del límite de {3:.0f} megapíxeles (rechazada como posible "
        "bomba de descompresión); si la imagen es auténtica, permítala con --max-pixels {4}",
    "truncated or corrupt image ({0})": "imagen truncada o dañada ({0})",
    "damaged DICOM file ({0})": "archivo DICOM dañado ({0})",
    "not a readable DICOM file ({0})": "no es un archivo DICOM legible ({0})",
    "DICOM pixel data cannot be decoded ({0}): {1}": "los datos de píxeles DICOM no se pueden decodificar ({0}): {1}",
    "DICOM image is not one 2-D frame (shape {0})": "la imagen DICOM no es un único fotograma 2-D (forma {0})",
    "The film seems mirrored left to right (the heart on the other side from a film as taken): check its side marker - "
    "a flipped image, or dextrocardia.":
        "La placa parece invertida de izquierda a derecha (el corazón en el lado contrario al de una placa tal como se "
        "tomó): compruebe su marcador de lado - una imagen volteada, o dextrocardia.",
    "mirrored left to right?": "¿invertida de izquierda a derecha?",
    "fewer than two lung regions found": "se encontraron menos de dos regiones pulmonares",
    "the two regions are not side by side, one in each half of the image":
        "las dos regiones no están una al lado de la otra, una en cada mitad de la imagen",
    "the regions are wider than tall, unlike the lungs of an upright frontal radiograph":
        "las regiones son más anchas que altas, a diferencia de los pulmones de una radiografía frontal en posición "
        "correcta",
    "the lungs cover {0:.0%} of the image (expected {1:.0%}-{2:.0%})":
        "los pulmones cubren el {0:.0%} de la imagen (se espera {1:.0%}-{2:.0%})",
    "the 'lungs' are {0:.0f} levels brighter than the rest of the chest: an inverted (negative) image?":
        "los «pulmones» son {0:.0f} niveles más claros que el resto del tórax: ¿una imagen invertida (negativa)?",
    "upside down": "al revés",
    "rotated 180 degrees": "girada 180 grados",
    "turned 90 degrees clockwise": "girada 90 grados en el sentido de las agujas del reloj",
    "turned 90 degrees counter-clockwise": "girada 90 grados en sentido contrario a las agujas del reloj",
    "the film seems {0}: the orientation check gives {1:.0%} that it is turned":
        "la placa parece {0}: el control de orientación da un {1:.0%} de que está girada",
    "the film seems {0}: its lungs are found more clearly once it is turned back (certainty {1:.2f} as given, {2:.2f} turned back)":
        "la placa parece {0}: sus pulmones se encuentran con más claridad una vez enderezada (certeza {1:.2f} tal "
        "como está, {2:.2f} enderezada)",
    "CXRDesk - radiograph analysis": "CXRDesk - análisis de la radiografía",
    "File: {0}    Date: {1}": "Archivo: {0}    Fecha: {1}",
    "Radiograph": "Radiografía",
    "Grad-CAM ({0})": "Grad-CAM ({0})",
    "No heatmap": "Sin mapa de calor",
    "No diagnosis: the input may not be a frontal chest radiograph (see below).":
        "Sin diagnóstico: la imagen puede no ser una radiografía de tórax frontal (véase abajo).",
    "Not a diagnosis: probabilities asked for anyway": "No es un diagnóstico: probabilidades pedidas de todos modos",
    "probability (%)": "probabilidad (%)",
    # what a scan and a curation found (cxrdesk/gui/wording.py)
    "CONFOUNDED: every {0} image comes from {1}, a source no other class has: the class cannot be told from the hospital":
        "CONFUNDIDA: todas las imágenes de {0} vienen de {1}, una fuente que ninguna otra clase tiene: la clase no "
        "se distingue del hospital",
    "{0} set(s) of the same picture (identical or near-identical) kept together on one side of the split, e.g. {1}":
        "{0} grupo(s) de la misma imagen (idénticas o casi idénticas) mantenidos juntos en un lado de la partición, "
        "p. ej. {1}",
    "; {0} across classes, kept as allowed": "; {0} entre clases, conservados como se permitió",
    "SHORTCUT WARNING: intensity and size statistics alone predict the class {0:.0%} of the time ({1}-fold cross-validation; chance {2:.0%}). The classes probably come from different sources, and a network may learn the source instead of the disease.":
        "AVISO DE ATAJO: solo las estadísticas de intensidad y tamaño predicen la clase el {0:.0%} de las veces "
        "(validación cruzada de {1} particiones; azar {2:.0%}). Las clases probablemente vienen de fuentes distintas, "
        "y una red puede aprender la fuente en lugar de la enfermedad.",
    "No strong shortcut found: simple statistics predict the class {0:.0%} of the time (chance {1:.0%}).":
        "No se encontró un atajo fuerte: estadísticas simples predicen la clase el {0:.0%} de las veces "
        "(azar {1:.0%}).",
    "The same statistics tell the {0} sources apart {1:.0%} of the time (chance {2:.0%}): ":
        "Las mismas estadísticas distinguen las {0} fuentes el {1:.0%} de las veces (azar {2:.0%}): ",
    "each hospital leaves its signature on its images.": "cada hospital deja su firma en sus imágenes.",
    "no strong hospital signature.": "sin una firma fuerte del hospital.",
    "class {0} (folder {1}) has no readable image ({2} unreadable)":
        "la clase {0} (carpeta {1}) no tiene ninguna imagen legible ({2} ilegibles)",
    "only one class ({0}): a model needs at least {1} class folders":
        "solo una clase ({0}): un modelo necesita al menos {1} carpetas de clase",
}


def main() -> int:
    tree = ET.parse(TS)
    missing = []
    for message in tree.iter("message"):
        source = message.findtext("source")
        translation = message.find("translation")
        if source in ES:
            translation.text = ES[source]
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    QM.parent.mkdir(parents=True, exist_ok=True)
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    subprocess.run([str(lrelease), str(TS), "-qm", str(QM)], check=True)
    for source in missing:
        print(f"untranslated: {source}")  # (a context's name here: lupdate did not see the text as a literal)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
