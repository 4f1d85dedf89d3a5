<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="es_ES">
<context>
    <name>CurationTab</name>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="279" />
        <source>Folder with one sub-folder per class (COVID, Tuberculosis, Normal, Pneumonia...)</source>
        <translation>Carpeta con una subcarpeta por clase (COVID, Tuberculosis, Normal, Neumonía...)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="281" />
        <location filename="../../cxrdesk/gui/curation_tab.py" line="307" />
        <source>Browse...</source>
        <translation>Examinar...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="282" />
        <source>Scan</source>
        <translation>Analizar</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="283" />
        <source>Class</source>
        <translation>Clase</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="283" />
        <location filename="../../cxrdesk/gui/curation_tab.py" line="298" />
        <source>Images</source>
        <translation>Imágenes</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="283" />
        <source>Kept</source>
        <translation>Conservadas</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="283" />
        <source>Dropped</source>
        <translation>Descartadas</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="284" />
        <source>Mean intensity band</source>
        <translation>Banda de intensidad media</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="285" />
        <source>Low</source>
        <translation>Mínimo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="286" />
        <source>High</source>
        <translation>Máximo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="287" />
        <source>Study band 120-140</source>
        <translation>Banda del estudio 120-140</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="288" />
        <source>Band on the mean intensity inside the lungs (lung model)</source>
        <translation>Banda sobre la intensidad media dentro de los pulmones (modelo pulmonar)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="289" />
        <source>Show the lungs on the thumbnails</source>
        <translation>Mostrar los pulmones en las miniaturas</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="290" />
        <source>Keep all (0-255)</source>
        <translation>Conservar todas (0-255)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="291" />
        <source>Balance, split and export</source>
        <translation>Balancear, dividir y exportar</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="292" />
        <source>Balance classes (down to the smallest)</source>
        <translation>Balancear las clases (hasta la más pequeña)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="293" />
        <source>Keep pictures found in two classes</source>
        <translation>Conservar imágenes presentes en dos clases</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="294" />
        <source>Seed</source>
        <translation>Semilla</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="295" />
        <source>Validation share (of non-test)</source>
        <translation>Proporción de validación (sin testeo)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="296" />
        <source>Test share</source>
        <translation>Proporción de testeo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="297" />
        <source>Hold out hospitals
(test split: never trained on)</source>
        <translation>Reservar hospitales
(testeo: nunca entrenados)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="301" />
        <source>Manifest only (images stay in place)</source>
        <translation>Solo el manifiesto (las imágenes no se mueven)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="302" />
        <source>Folder tree of hard links</source>
        <translation>Árbol de carpetas con enlaces duros</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="302" />
        <source>Folder tree of copies</source>
        <translation>Árbol de carpetas con copias</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="305" />
        <location filename="../../cxrdesk/gui/curation_tab.py" line="335" />
        <source>Output folder</source>
        <translation>Carpeta de salida</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="306" />
        <source>Where to write the curated dataset</source>
        <translation>Dónde escribir el conjunto curado</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="308" />
        <source>Export curated dataset</source>
        <translation>Exportar el conjunto curado</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="309" />
        <source>Near the low threshold</source>
        <translation>Cerca del umbral mínimo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="310" />
        <source>Near the high threshold</source>
        <translation>Cerca del umbral máximo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="312" />
        <source>Scan a folder to see the intensity histogram</source>
        <translation>Analice una carpeta para ver el histograma de intensidad</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="329" />
        <source>Folder of radiographs</source>
        <translation>Carpeta de radiografías</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="358" />
        <source>Choose a folder of radiographs first.</source>
        <translation>Elija primero una carpeta de radiografías.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="361" />
        <source>Scanning {0}...</source>
        <translation>Analizando {0}...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="367" />
        <source>{0} images scanned in {1:.1f} s ({2} from cache).</source>
        <translation>{0} imágenes analizadas en {1:.1f} s ({2} de la caché).</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="369" />
        <source>Class folders: {0}</source>
        <translation>Carpetas de clase: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="371" />
        <source>Ignored folders: {0}</source>
        <translation>Carpetas ignoradas: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="374" />
        <source>{0} unreadable files (first: {1}: {2})</source>
        <translation>{0} archivos ilegibles (el primero: {1}: {2})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="399" />
        <source>Class \ source</source>
        <translation>Clase \ fuente</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="434" />
        <source>Measuring the mean intensity inside the lungs (the lung model runs on every image, once)...</source>
        <translation>Midiendo la intensidad media dentro de los pulmones (el modelo pulmonar se ejecuta una vez por imagen)...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="444" />
        <source>mean pixel intensity inside the lungs (0-255)</source>
        <translation>intensidad media de píxel dentro de los pulmones (0-255)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="445" />
        <source>mean pixel intensity (0-255)</source>
        <translation>intensidad media de píxel (0-255)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="446" />
        <source>images</source>
        <translation>imágenes</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="507" />
        <source>Scan a folder and choose an output folder first.</source>
        <translation>Analice una carpeta y elija antes una carpeta de salida.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="512" />
        <source>Replace?</source>
        <translation>¿Reemplazar?</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="513" />
        <source>{0} already exists. Replace the curated dataset there?</source>
        <translation>{0} ya existe. ¿Reemplazar el conjunto curado que contiene?</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="528" />
        <source>Curated dataset written to {0}</source>
        <translation>Conjunto curado escrito en {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="538" />
        <source>Warning: the {0} split has fewer than {1} images of {2}: its figures would be noise.</source>
        <translation>Aviso: la partición de {0} tiene menos de {1} imágenes de {2}: sus cifras serían ruido.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="539" />
        <source>training</source>
        <translation>entrenamiento</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="539" />
        <source>validation</source>
        <translation>validación</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="539" />
        <source>test</source>
        <translation>testeo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/curation_tab.py" line="542" />
        <source>Warning: {0}</source>
        <translation>Aviso: {0}</translation>
    </message>
</context>
<context>
    <name>DiagnosisTab</name>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="194" />
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="195" />
        <source>Other folder...</source>
        <translation>Otra carpeta...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="196" />
        <source>Test on a hospital's images...</source>
        <translation>Probar con imágenes de un hospital...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="197" />
        <source>Measure this model on a labelled folder from another hospital (one sub-folder per class); the figure is kept on its card</source>
        <translation>Medir este modelo con una carpeta etiquetada de otro hospital (una subcarpeta por clase); la cifra queda en su ficha</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="199" />
        <source>Calibrate for a hospital...</source>
        <translation>Calibrar para un hospital...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="200" />
        <source>Fit the probabilities and screening thresholds to a hospital on half of its labelled images, check them on the other half, and save a new model (this one is kept as it is)</source>
        <translation>Ajustar las probabilidades y los umbrales de cribado a un hospital con la mitad de sus imágenes etiquetadas, comprobarlos con la otra mitad y guardar un modelo nuevo (este se conserva tal cual)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="203" />
        <source>Open radiograph...</source>
        <translation>Abrir radiografía...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="204" />
        <source>Diagnose a folder...</source>
        <translation>Diagnosticar una carpeta...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="205" />
        <source>Every film in a folder and its sub-folders, in a table you can sort and export as CSV</source>
        <translation>Todas las placas de una carpeta y sus subcarpetas, en una tabla que puede ordenar y exportar como CSV</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="207" />
        <source>Export report...</source>
        <translation>Exportar informe...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="208" />
        <source>Show the probabilities anyway (not a diagnosis)</source>
        <translation>Mostrar las probabilidades igualmente (no es un diagnóstico)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="209" />
        <source>Heatmap opacity</source>
        <translation>Opacidad del mapa de calor</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="210" />
        <source>Grad-CAM: low</source>
        <translation>Grad-CAM: bajo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="211" />
        <source>high</source>
        <translation>alto</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="212" />
        <source>Result</source>
        <translation>Resultado</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="213" />
        <source>CXRDesk is a research tool, not a medical device: its output must not be used to diagnose or treat a patient.</source>
        <translation>CXRDesk es una herramienta de investigación, no es un dispositivo médico: sus resultados no deben usarse para diagnosticar ni tratar a un paciente.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="220" />
        <source>Open a radiograph (PNG, JPEG, TIFF, BMP or DICOM), or drop it here</source>
        <translation>Abra una radiografía (PNG, JPEG, TIFF, BMP o DICOM) o suéltela aquí</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="249" />
        <source>Folder of model bundles</source>
        <translation>Carpeta de modelos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="261" />
        <source>Loading the model (TensorFlow starts the first time)...</source>
        <translation>Cargando el modelo (TensorFlow arranca la primera vez)...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="269" />
        <source>Model ready.</source>
        <translation>Modelo listo.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="285" />
        <source>Labelled folder from another hospital (one sub-folder per class)</source>
        <translation>Carpeta etiquetada de otro hospital (una subcarpeta por clase)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="288" />
        <source>Testing {0} on {1}...</source>
        <translation>Probando {0} con {1}...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="298" />
        <source>Not a figure for a hospital it never saw: {0} of these images are among those it learnt from; sources it learnt from: {1}</source>
        <translation>No es una cifra de un hospital que nunca vio: {0} de estas imágenes están entre las que aprendió; fuentes de las que aprendió: {1}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="300" />
        <source>none</source>
        <translation>ninguna</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="302" />
        <source>not kept on the card: the shipped demo model is never changed.</source>
        <translation>no se guarda en la ficha: el modelo de demostración incluido nunca se modifica.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="306" />
        <source>kept on the model's card, never as its figure for other hospitals.</source>
        <translation>guardada en la ficha del modelo, nunca como su cifra para otros hospitales.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="313" />
        <source>Labelled folder of the hospital (one sub-folder per class)</source>
        <translation>Carpeta etiquetada del hospital (una subcarpeta por clase)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="318" />
        <source>New folder for the calibrated model</source>
        <translation>Carpeta nueva para el modelo calibrado</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="321" />
        <source>Calibrating {0} on {1}...</source>
        <translation>Calibrando {0} con {1}...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="327" />
        <source>Calibrated on {0} images, checked on {1} others: general precision {2:.1%} -&gt; {3:.1%}, ECE {4:.3f} -&gt; {5:.3f}. New model: {6}</source>
        <translation>Calibrado con {0} imágenes, comprobado con otras {1}: precisión general {2:.1%} -&gt; {3:.1%}, ECE {4:.3f} -&gt; {5:.3f}. Modelo nuevo: {6}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="333" />
        <source>Calibrated on {0} images (none kept to check it). New model: {1}</source>
        <translation>Calibrado con {0} imágenes (ninguna reservada para comprobarlo). Modelo nuevo: {1}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="343" />
        <source>No trained model in '{0}'. Train one in the Training tab, or run 'cxrdesk train DATASET', then come back here.</source>
        <translation>No hay ningún modelo entrenado en '{0}'. Entrene uno en la pestaña Entrenamiento, o ejecute 'cxrdesk train DATASET', y vuelva aquí.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="349" />
        <source>Loading {0}...</source>
        <translation>Cargando {0}...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="353" />
        <source>{0}: {1}, {2} px, trained on {3} images on the {4}; validation general precision {5}</source>
        <translation>{0}: {1}, {2} px, entrenado con {3} imágenes en la {4}; precisión general de validación {5}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="356" />
        <source>Classes: {0}</source>
        <translation>Clases: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="361" />
        <source>Expected at a hospital it never saw: {0:.1%} (leave-one-hospital-out over {1} hospitals, {2} films; calibration error {3:.2f})</source>
        <translation>Esperado en un hospital que nunca vio: {0:.1%} (dejando fuera un hospital cada vez, {1} hospitales, {2} radiografías; error de calibración {3:.2f})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="365" />
        <source>When sure ({0:.0%} of films) right {1:.0%} of the time; otherwise it says 'uncertain'.</source>
        <translation>Cuando está seguro ({0:.0%} de las radiografías) acierta el {1:.0%} de las veces; si no, dice «incierto».</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="368" />
        <source>Never sure enough to reach {0:.0%} there: every answer is 'uncertain'.</source>
        <translation>Nunca lo bastante seguro para llegar al {0:.0%} allí: toda respuesta es «incierto».</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="371" />
        <source>Tested on {0}: general precision {1:.1%} on {2} images</source>
        <translation>Probado en {0}: precisión general {1:.1%} en {2} imágenes</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="374" />
        <source>Calibrated for {0} on {1} of its images; on {2} others: general precision {3:.1%}</source>
        <translation>Calibrado para {0} con {1} de sus imágenes; en otras {2}: precisión general {3:.1%}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="378" />
        <source>On hospitals it never saw ({0}): general precision {1:.1%} on {2} images</source>
        <translation>En hospitales que nunca vio ({0}): precisión general {1:.1%} en {2} imágenes</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="381" />
        <source>(the largest of its {0} such tests)</source>
        <translation>(la mayor de sus {0} pruebas de este tipo)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="383" />
        <source>Never tested on a hospital it did not train on: its accuracy elsewhere is unknown.</source>
        <translation>Nunca probado en un hospital distinto de los de entrenamiento: su exactitud en otro lugar es desconocida.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="385" />
        <source>A demonstration model trained on about 1,500 public images: not a clinical model.</source>
        <translation>Un modelo de demostración entrenado con unas 1.500 imágenes públicas: no es un modelo clínico.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="397" />
        <source>Open radiograph</source>
        <translation>Abrir radiografía</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="398" />
        <source>Radiographs (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.dcm *.dicom);;All files (*)</source>
        <translation>Radiografías (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.dcm *.dicom);;Todos los archivos (*)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="405" />
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="428" />
        <source>No model to diagnose with yet.</source>
        <translation>Todavía no hay ningún modelo con el que diagnosticar.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="407" />
        <source>Folder of radiographs</source>
        <translation>Carpeta de radiografías</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="430" />
        <source>Analysing {0}...</source>
        <translation>Analizando {0}...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="447" />
        <source>{0}: no diagnosis</source>
        <translation>{0}: sin diagnóstico</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="449" />
        <source>{0}: uncertain</source>
        <translation>{0}: incierto</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="485" />
        <source>Not a diagnosis: these probabilities were asked for although the input may not be a frontal chest radiograph:</source>
        <translation>No es un diagnóstico: se pidieron estas probabilidades aunque la imagen puede no ser una radiografía de tórax frontal:</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="487" />
        <source>No diagnosis: this may not be a frontal chest radiograph:</source>
        <translation>Sin diagnóstico: puede no ser una radiografía de tórax frontal:</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="489" />
        <source>No diagnosis</source>
        <translation>Sin diagnóstico</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="495" />
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="587" />
        <source>Uncertain - refer</source>
        <translation>Incierto - derivar</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="498" />
        <source>Most likely {0} at {1:.1%}, below the {2:.0%} at which this model was right {3:.0%} of the time at hospitals it never saw.</source>
        <translation>Lo más probable: {0} con {1:.1%}, por debajo del {2:.0%} con el que este modelo acertó el {3:.0%} de las veces en hospitales que nunca vio.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="502" />
        <source>This model's answers never reached {0:.0%} accuracy at hospitals it never saw (most likely {1} at {2:.1%}).</source>
        <translation>Las respuestas de este modelo nunca llegaron al {0:.0%} de exactitud en hospitales que nunca vio (lo más probable: {1} con {2:.1%}).</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="509" />
        <source>Predicted: {0}</source>
        <translation>Predicción: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="514" />
        <source>The model learnt from this very film (it is among its training and validation files): its answer says nothing of how it does on films it never saw.</source>
        <translation>El modelo aprendió de esta misma placa (está entre sus archivos de entrenamiento y validación): su respuesta no dice nada de cómo funciona con placas que nunca vio.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="524" />
        <source>The film seems mirrored left to right (the heart on the other side from a film as taken): check its side marker - a flipped image, or dextrocardia.</source>
        <translation>La placa parece invertida de izquierda a derecha (el corazón en el lado contrario al de una placa tal como se tomó): compruebe su marcador de lado - una imagen volteada, o dextrocardia.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="534" />
        <source>Grad-CAM heatmap: being computed (TensorFlow starts the first time)...</source>
        <translation>Mapa de calor Grad-CAM: calculándose (TensorFlow arranca la primera vez)...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="536" />
        <source>The Grad-CAM heatmap ({0}) is empty: no part of the image raises this class's score.</source>
        <translation>El mapa Grad-CAM ({0}) está vacío: ninguna parte de la imagen eleva la puntuación de esta clase.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="539" />
        <source>Heat inside the lungs: unknown (no lung model)</source>
        <translation>Calor dentro de los pulmones: desconocido (sin modelo pulmonar)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="550" />
        <source>{0:.0%} of the Grad-CAM heat ({1}) is inside the lungs (green line).</source>
        <translation>El {0:.0%} del calor de Grad-CAM ({1}) está dentro de los pulmones (línea verde).</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="451" />
        <source>{0}: {1} ({2:.1%})</source>
        <translation>{0}: {1} ({2:.1%})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="293" />
        <source>General precision {0:.1%} on {1} images of {2} (ECE {3:.3f})</source>
        <translation>Precisión general {0:.1%} en {1} imágenes de {2} (ECE {3:.3f})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="304" />
        <source>not kept on the model's card: its folder cannot be written.</source>
        <translation>no se guardó en la ficha del modelo: no se puede escribir en su carpeta.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="308" />
        <source>kept on the model's card (whose headline is its largest such test).</source>
        <translation>guardada en la ficha del modelo (cuya cifra principal es su prueba más grande de este tipo).</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="520" />
        <source>Screening: {0} {1:.1%} is above its screening threshold {2:.1%}{3}: refer for a confirmatory test</source>
        <translation>Cribado: {0} {1:.1%} supera su umbral de cribado {2:.1%}{3}: derivar para una prueba de confirmación</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="522" />
        <source> (chosen on this hospital's images)</source>
        <translation> (elegido con las imágenes de este hospital)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="544" />
        <source>Only {0:.0%} of the Grad-CAM heat ({1}) is inside the lungs (green line): the model looked mostly {2} ({3:.0%}), a sign of a shortcut.</source>
        <translation>Solo el {0:.0%} del calor de Grad-CAM ({1}) está dentro de los pulmones (línea verde): el modelo miró sobre todo {2} ({3:.0%}), señal de un atajo.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="575" />
        <source>Export report</source>
        <translation>Exportar informe</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/diagnosis_tab.py" line="579" />
        <source>Report written to {0}</source>
        <translation>Informe escrito en {0}</translation>
    </message>
</context>
<context>
    <name>FolderResults</name>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="56" />
        <source>Diagnoses of {0}</source>
        <translation>Diagnósticos de {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="66" />
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="67" />
        <source>Export CSV...</source>
        <translation>Exportar CSV...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="71" />
        <source>Click a column to sort by it; double-click a film to open it in the Diagnosis view. No heatmaps here: open a film for its Grad-CAM.</source>
        <translation>Haga clic en una columna para ordenar por ella; doble clic en una placa para abrirla en la vista de diagnóstico. Aquí no hay mapas de calor: abra una placa para ver su Grad-CAM.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="86" />
        <source>Diagnosing {0} films with {1} ({2})...</source>
        <translation>Diagnosticando {0} placas con {1} ({2})...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="105" />
        <source>Film</source>
        <translation>Placa</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="105" />
        <source>Answer</source>
        <translation>Respuesta</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="105" />
        <source>Flags</source>
        <translation>Avisos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="134" />
        <source>{0} films: {1} answered, {2} uncertain, {3} with no diagnosis, {4} unreadable</source>
        <translation>{0} placas: {1} respondidas, {2} inciertas, {3} sin diagnóstico, {4} ilegibles</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="140" />
        <source>unreadable</source>
        <translation>ilegible</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="142" />
        <source>no diagnosis</source>
        <translation>sin diagnóstico</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="144" />
        <source>uncertain ({0})</source>
        <translation>incierto ({0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="152" />
        <source>a film the model learnt from</source>
        <translation>una placa de la que el modelo aprendió</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="154" />
        <source>mirrored left to right?</source>
        <translation>¿invertida de izquierda a derecha?</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="164" />
        <source>Export CSV</source>
        <translation>Exportar CSV</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="170" />
        <source>Cannot write {0}: {1}</source>
        <translation>No se puede escribir {0}: {1}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/folder_results.py" line="172" />
        <source>Wrote {0}</source>
        <translation>Escrito {0}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="104" />
        <source>CXRDesk {0} - research tool, not a medical device</source>
        <translation>CXRDesk {0} - herramienta de investigación, no es un dispositivo médico</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="105" />
        <source>1. Curation</source>
        <translation>1. Curación</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="106" />
        <source>2. Training</source>
        <translation>2. Entrenamiento</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="107" />
        <source>3. Diagnosis</source>
        <translation>3. Diagnóstico</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="108" />
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="109" />
        <source>Scan a folder...</source>
        <translation>Analizar una carpeta...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="110" />
        <source>Open a radiograph...</source>
        <translation>Abrir una radiografía...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="111" />
        <source>Quit</source>
        <translation>Salir</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="112" />
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="113" />
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="114" />
        <location filename="../../cxrdesk/gui/main_window.py" line="137" />
        <source>About CXRDesk</source>
        <translation>Acerca de CXRDesk</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="117" />
        <source>Ready</source>
        <translation>Listo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/main_window.py" line="129" />
        <source>&lt;h3&gt;CXRDesk {0}&lt;/h3&gt;&lt;p&gt;Curate chest radiographs, train the study's convolutional networks on the CPU or the GPU, and diagnose COVID-19, Tuberculosis or Healthy with the probability of each class.&lt;/p&gt;&lt;p&gt;&lt;b&gt;{1}&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Built on PySide6 (Qt, LGPL), TensorFlow and Keras (Apache 2.0), NumPy, Pillow, scikit-learn, Matplotlib and pydicom. Real radiographs used for tests and the demo come from the Hannover COVID-19 repository (CC BY 3.0), the ieee8023 COVID-19 collection, NIH ChestX-ray14, TBX11K and the Shenzhen TB set; see the README for their licences.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;CXRDesk {0}&lt;/h3&gt;&lt;p&gt;Cure radiografías de tórax, entrene las redes convolucionales del estudio en la CPU o en la GPU, y diagnostique COVID-19, Tuberculosis o Sano con la probabilidad de cada clase.&lt;/p&gt;&lt;p&gt;&lt;b&gt;{1}&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Construido con PySide6 (Qt, LGPL), TensorFlow y Keras (Apache 2.0), NumPy, Pillow, scikit-learn, Matplotlib y pydicom. Las radiografías reales de las pruebas y de la demostración provienen del repositorio COVID-19 de Hannover (CC BY 3.0), la colección COVID-19 de ieee8023, NIH ChestX-ray14, TBX11K y el conjunto de TB de Shenzhen; vea sus licencias en el README.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>TrainingTab</name>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="198" />
        <location filename="../../cxrdesk/gui/training_tab.py" line="285" />
        <source>Curated dataset</source>
        <extracomment>A run expected to take longer than this (seconds) is said, and asked for, before it starts. How long a closing window waits for a run's worker to finish its epoch before it kills it.</extracomment>
        <translation>Conjunto curado</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="198" />
        <location filename="../../cxrdesk/gui/training_tab.py" line="527" />
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="198" />
        <source>Recipe</source>
        <translation>Receta</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="200" />
        <location filename="../../cxrdesk/gui/training_tab.py" line="527" />
        <source>Device</source>
        <translation>Dispositivo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="200" />
        <source>Epochs</source>
        <translation>Épocas</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="200" />
        <source>Batch size</source>
        <translation>Tamaño de lote</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="201" />
        <source>Image size (0 = model's)</source>
        <translation>Tamaño de imagen (0 = el del modelo)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="201" />
        <source>Pretrained weights</source>
        <translation>Pesos preentrenados</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="202" />
        <source>Seed</source>
        <translation>Semilla</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="202" />
        <source>Models folder</source>
        <translation>Carpeta de modelos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="205" />
        <location filename="../../cxrdesk/gui/training_tab.py" line="527" />
        <source>Run</source>
        <translation>Ejecución</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="206" />
        <source>Browse...</source>
        <translation>Examinar...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="207" />
        <source>Start training</source>
        <translation>Iniciar entrenamiento</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="215" />
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="250" />
        <source>ImageNet (download and cache)</source>
        <translation>ImageNet (descarga y caché)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="250" />
        <source>None (random)</source>
        <translation>Ninguno (aleatorio)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="251" />
        <source>Weights file...</source>
        <translation>Archivo de pesos...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="367" />
        <source>Training {0} on {1} ({2}): {3} training / {4} validation images; classes {5}</source>
        <translation>Entrenando {0} en {1} ({2}): {3} imágenes de entrenamiento / {4} de validación; clases {5}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="235" />
        <location filename="../../cxrdesk/gui/training_tab.py" line="501" />
        <source>Evaluation of the last run</source>
        <translation>Evaluación de la última ejecución</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="199" />
        <source>Lung field</source>
        <translation>Campo pulmonar</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="208" />
        <source>Estimate for a new hospital (leave one hospital out, then train on every source)</source>
        <translation>Estimar para un hospital nuevo (dejar fuera un hospital cada vez y luego entrenar con todas las fuentes)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="210" />
        <source>Trains one model per source (hospital) held out and tests it there, calibrates on those out-of-hospital predictions and chooses when to say 'uncertain', then trains the model on every source: its card then says what a hospital it never saw can expect. Takes as many trainings as there are sources, plus one.</source>
        <translation>Entrena un modelo por cada fuente (hospital) dejada fuera y lo prueba en ella, calibra con esas predicciones fuera de hospital y elige cuándo decir «incierto», y luego entrena el modelo con todas las fuentes: su ficha dice entonces qué puede esperar un hospital que nunca vio. Requiere tantos entrenamientos como fuentes, más uno.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="217" />
        <source>Off: the whole image (the study's)</source>
        <translation>Desactivado: la imagen entera (como el estudio)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="217" />
        <source>Crop to the lungs</source>
        <translation>Recortar a los pulmones</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="218" />
        <source>Crop to the lungs and equalise within them</source>
        <translation>Recortar a los pulmones y ecualizar dentro de ellos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="219" />
        <source>Only the lungs: crop, black outside them</source>
        <translation>Solo los pulmones: recortar, negro fuera de ellos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="220" />
        <source>Only the lungs: crop, equalise, black outside them</source>
        <translation>Solo los pulmones: recortar, ecualizar, negro fuera de ellos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="236" />
        <source>All runs in the models folder (the study's Table VII)</source>
        <translation>Todas las ejecuciones de la carpeta (Tabla VII del estudio)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="239" />
        <source>Looking for a GPU...</source>
        <translation>Buscando una GPU...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="242" />
        <source>Loss</source>
        <translation>Pérdida</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="242" />
        <location filename="../../cxrdesk/gui/training_tab.py" line="456" />
        <location filename="../../cxrdesk/gui/training_tab.py" line="492" />
        <source>Accuracy</source>
        <translation>Exactitud</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="242" />
        <source>training</source>
        <translation>entrenamiento</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="242" />
        <source>validation</source>
        <translation>validación</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="243" />
        <source>epoch</source>
        <translation>época</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="271" />
        <source>GPU: {0}</source>
        <translation>GPU: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="281" />
        <source>GPU unavailable: {0}</source>
        <translation>GPU no disponible: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="295" />
        <source>Weights file</source>
        <translation>Archivo de pesos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="328" />
        <source>Starting the training process (TensorFlow loads in it)...</source>
        <translation>Iniciando el proceso de entrenamiento (TensorFlow se carga en él)...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="357" />
        <source>Stopping at the end of this batch; what was trained is kept...</source>
        <translation>Deteniendo al final de este lote; se conserva lo entrenado...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="387" />
        <source>Epoch {0}/{1} - last batch done: validating and saving...</source>
        <translation>Época {0}/{1} - último lote hecho: validando y guardando...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="390" />
        <source>{0} - epoch {1}/{2} - batch {3}/{4}</source>
        <translation>{0} - época {1}/{2} - lote {3}/{4}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="393" />
        <source>at most {0} left in all</source>
        <translation>como mucho {0} en total</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="396" />
        <source>Epoch {0}/{1} - batch {2}/{3} - about {4} left</source>
        <translation>Época {0}/{1} - lote {2}/{3} - faltan unos {4}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="374" />
        <source>Epoch {0}: loss {1:.4f}, accuracy {2:.4f}, {3:.1f} s per epoch</source>
        <translation>Época {0}: pérdida {1:.4f}, exactitud {2:.4f}, {3:.1f} s por época</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="224" />
        <source>Custom CNN (study)</source>
        <translation>CNN propia (estudio)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="224" />
        <source>VGG16 transfer (study)</source>
        <translation>VGG16 por transferencia (estudio)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="225" />
        <source>InceptionV3 transfer (study)</source>
        <translation>InceptionV3 por transferencia (estudio)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="225" />
        <source>Compact CNN</source>
        <translation>CNN compacta</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="226" />
        <source>EfficientNetV2-B0 transfer</source>
        <translation>EfficientNetV2-B0 por transferencia</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="227" />
        <source>Study (shear, zoom, flip)</source>
        <translation>Estudio (cizalla, zoom, volteo)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="228" />
        <source>Lungs only (study augmentation)</source>
        <translation>Solo los pulmones (aumento del estudio)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="229" />
        <source>Lungs + intensity augmentation, balance, early stop</source>
        <translation>Pulmones + aumento de intensidad, equilibrio, parada temprana</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="230" />
        <source>Lungs + style mixing (MixStyle)</source>
        <translation>Pulmones + mezcla de estilos (MixStyle)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="273" />
        <source>TensorFlow has had no GPU support on native Windows since version 2.10: run CXRDesk under WSL2 to train on the GPU</source>
        <translation>TensorFlow no admite GPU en Windows nativo desde la versión 2.10: ejecute CXRDesk en WSL2 para entrenar en la GPU</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="275" />
        <source>this TensorFlow is a CPU-only build: install 'tensorflow[and-cuda]' to train on a GPU</source>
        <translation>este TensorFlow está compilado solo para CPU: instale 'tensorflow[and-cuda]' para entrenar en una GPU</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="277" />
        <source>no GPU seen by TensorFlow: no NVIDIA driver or CUDA libraries were found (check 'nvidia-smi' and install 'tensorflow[and-cuda]')</source>
        <translation>TensorFlow no ve ninguna GPU: no se encontró el controlador de NVIDIA ni las bibliotecas CUDA (compruebe 'nvidia-smi' e instale 'tensorflow[and-cuda]')</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="279" />
        <source>TensorFlow could not be started to look for a GPU</source>
        <translation>No se pudo iniciar TensorFlow para buscar una GPU</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="346" />
        <source>A long run</source>
        <translation>Un entrenamiento largo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="347" />
        <source>This run is expected to take up to {0}: {1} epochs of about {2} each, judged from the run '{3}' ({4:.0f} s per epoch on {5} images). Early stopping may end it sooner; what was trained is kept if you stop it. Start it?</source>
        <translation>Se espera que este entrenamiento dure hasta {0}: {1} épocas de unos {2} cada una, según el entrenamiento '{3}' ({4:.0f} s por época con {5} imágenes). La parada temprana puede terminarlo antes; si lo detiene, se conserva lo entrenado. ¿Empezar?</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="377" />
        <source>Training failed: {0}</source>
        <translation>El entrenamiento falló: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="402" />
        <source>Stopped: the completed folds are kept (resume with 'cxrdesk crossval --resume {0} --out {1}')</source>
        <translation>Detenido: se conservan los pliegues terminados (reanudar con 'cxrdesk crossval --resume {0} --out {1}')</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="404" />
        <source>Estimate done</source>
        <translation>Estimación terminada</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="406" />
        <source>Finished after {0} epoch(s)</source>
        <translation>Terminado tras {0} época(s)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="408" />
        <source>the model saved is epoch {0}, the one of lowest validation loss</source>
        <translation>el modelo guardado es la época {0}, la de menor pérdida de validación</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="412" />
        <source>Model saved to {0}. Evaluating...</source>
        <translation>Modelo guardado en {0}. Evaluando...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="422" />
        <source>Final model, on every source</source>
        <translation>Modelo final, con todas las fuentes</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="424" />
        <source>Fold {0} of {1}: holding out {2}</source>
        <translation>Pliegue {0} de {1}: dejando fuera {2}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="433" />
        <source>Estimate for a new hospital: {0}% of {1} trainings</source>
        <translation>Estimación para un hospital nuevo: {0}% de {1} entrenamientos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="436" />
        <source>Leave one hospital out: {0} folds ({1}), then the model on every source. {2}</source>
        <translation>Dejar fuera un hospital cada vez: {0} pliegues ({1}), y luego el modelo con todas las fuentes. {2}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="439" />
        <source>Held out {0}: accuracy {1:.1%} on {2} images it never saw</source>
        <translation>Fuera {0}: exactitud {1:.1%} en {2} imágenes que nunca vio</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="453" />
        <source>All held out (pooled)</source>
        <translation>Todas las dejadas fuera (juntas)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="456" />
        <source>Held-out source</source>
        <translation>Fuente dejada fuera</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="456" />
        <source>Images</source>
        <translation>Imágenes</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="456" />
        <source>ECE</source>
        <translation>ECE</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="457" />
        <source>Recall {0}</source>
        <translation>Sensibilidad {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="457" />
        <source>Answered</source>
        <translation>Respondidas</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="458" />
        <source>AUC within the source</source>
        <translation>AUC dentro de la fuente</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="459" />
        <source>Expected at a hospital it never saw (each source held out in turn)</source>
        <translation>Esperado en un hospital que nunca vio (cada fuente dejada fuera por turno)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="460" />
        <source>when sure ({0:.0%} of films) right {1:.0%} of the time</source>
        <translation>cuando está seguro ({0:.0%} de las radiografías) acierta el {1:.0%} de las veces</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="462" />
        <source>never sure enough: every answer 'uncertain'</source>
        <translation>nunca lo bastante seguro: toda respuesta «incierto»</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="463" />
        <source>Expected at a hospital it never saw: {0:.1%} (calibration error {1:.2f}); {2}. Training the final model on every source...</source>
        <translation>Esperado en un hospital que nunca vio: {0:.1%} (error de calibración {1:.2f}); {2}. Entrenando el modelo final con todas las fuentes...</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="488" />
        <source>General precision</source>
        <translation>Precisión general</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="489" />
        <source>Confusion matrix: true \ predicted</source>
        <translation>Matriz de confusión: real \ predicción</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="492" />
        <source>Class ({0} split)</source>
        <translation>Clase (partición {0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="492" />
        <source>Precision</source>
        <translation>Precisión</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="493" />
        <source>Recall</source>
        <translation>Sensibilidad</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="493" />
        <source>Specificity</source>
        <translation>Especificidad</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="493" />
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="496" />
        <source>Expected at a hospital it never saw: {0:.1%} (leave-one-hospital-out over {1} hospitals); on a random {2} split of its own hospitals: {3:.1%}</source>
        <translation>Esperado en un hospital que nunca vio: {0:.1%} (dejando fuera un hospital cada vez, {1} hospitales); en una partición aleatoria de {2} de sus propios hospitales: {3:.1%}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="503" />
        <source>Evaluated on the {0} split: general precision {1:.2%}</source>
        <translation>Evaluado en la partición {0}: precisión general {1:.2%}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="506" />
        <source>(hospitals never seen in training: {0})</source>
        <translation>(hospitales nunca vistos en el entrenamiento: {0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="508" />
        <source>(a random split of the training hospitals: not a figure for another hospital)</source>
        <translation>(una partición aleatoria de los hospitales de entrenamiento: no es una cifra para otro hospital)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="527" />
        <source>Classes</source>
        <translation>Clases</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="527" />
        <source>s/epoch</source>
        <translation>s/época</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="528" />
        <source>Expected at a
new hospital</source>
        <translation>Esperado en un
hospital nuevo</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="528" />
        <source>Val. general
precision</source>
        <translation>Precisión general
(val.)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="529" />
        <source>Test general
precision</source>
        <translation>Precisión general
(testeo)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="529" />
        <source>Held-out
hospitals</source>
        <translation>Hospitales
reservados</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="519" />
        <source>not estimated</source>
        <translation>sin estimar</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/training_tab.py" line="523" />
        <source>never tested</source>
        <translation>nunca probado</translation>
    </message>
</context>
<context>
    <name>classes</name>
    <message>
        <location filename="../../cxrdesk/gui/widgets.py" line="49" />
        <source>COVID-19</source>
        <translation>COVID-19</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/widgets.py" line="50" />
        <source>Healthy</source>
        <translation>Sano</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/widgets.py" line="51" />
        <source>Tuberculosis</source>
        <translation>Tuberculosis</translation>
    </message>
</context>
<context>
    <name>curation</name>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="148" />
        <source>CONFOUNDED: every {0} image comes from {1}, a source no other class has: the class cannot be told from the hospital</source>
        <translation>CONFUNDIDA: todas las imágenes de {0} vienen de {1}, una fuente que ninguna otra clase tiene: la clase no se distingue del hospital</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="153" />
        <source>{0} set(s) of the same picture (identical or near-identical) kept together on one side of the split, e.g. {1}</source>
        <translation>{0} grupo(s) de la misma imagen (idénticas o casi idénticas) mantenidos juntos en un lado de la partición, p. ej. {1}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="157" />
        <source>; {0} across classes, kept as allowed</source>
        <translation>; {0} entre clases, conservados como se permitió</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="165" />
        <source>SHORTCUT WARNING: intensity and size statistics alone predict the class {0:.0%} of the time ({1}-fold cross-validation; chance {2:.0%}). The classes probably come from different sources, and a network may learn the source instead of the disease.</source>
        <translation>AVISO DE ATAJO: solo las estadísticas de intensidad y tamaño predicen la clase el {0:.0%} de las veces (validación cruzada de {1} particiones; azar {2:.0%}). Las clases probablemente vienen de fuentes distintas, y una red puede aprender la fuente en lugar de la enfermedad.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="171" />
        <source>No strong shortcut found: simple statistics predict the class {0:.0%} of the time (chance {1:.0%}).</source>
        <translation>No se encontró un atajo fuerte: estadísticas simples predicen la clase el {0:.0%} de las veces (azar {1:.0%}).</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="176" />
        <source>The same statistics tell the {0} sources apart {1:.0%} of the time (chance {2:.0%}): </source>
        <translation>Las mismas estadísticas distinguen las {0} fuentes el {1:.0%} de las veces (azar {2:.0%}): </translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="179" />
        <source>each hospital leaves its signature on its images.</source>
        <translation>cada hospital deja su firma en sus imágenes.</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="180" />
        <source>no strong hospital signature.</source>
        <translation>sin una firma fuerte del hospital.</translation>
    </message>
</context>
<context>
    <name>heat</name>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="188" />
        <source>at the black between the lungs (the outline of its lung mask: it does not see the heart there)</source>
        <translation>al negro entre los pulmones (el contorno de su máscara pulmonar: ahí no ve el corazón)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="191" />
        <source>at the black beyond the lungs (the outline of its lung mask)</source>
        <translation>al negro más allá de los pulmones (el contorno de su máscara pulmonar)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="193" />
        <source>between the lungs (mediastinum, heart)</source>
        <translation>entre los pulmones (mediastino, corazón)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="194" />
        <source>outside the lung field (neck, shoulders, abdomen, borders)</source>
        <translation>fuera del campo pulmonar (cuello, hombros, abdomen, bordes)</translation>
    </message>
</context>
<context>
    <name>reader</name>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="84" />
        <source>empty file (0 bytes)</source>
        <translation>archivo vacío (0 bytes)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="86" />
        <source>file not found</source>
        <translation>archivo no encontrado</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="88" />
        <source>cannot be read ({0})</source>
        <translation>no se puede leer ({0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="90" />
        <source>refused as a possible decompression bomb (its header claims an enormous image)</source>
        <translation>rechazado como posible bomba de descompresión (su cabecera declara una imagen enorme)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="93" />
        <source>too small to be a radiograph ({0}x{1} px; at least {2} px a side is needed)</source>
        <translation>demasiado pequeña para ser una radiografía ({0}x{1} px; se necesitan al menos {2} px por lado)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="98" />
        <source>{0}x{1} px is {2:.1f} megapixels, over the limit of {3:.0f} megapixels (refused as a possible decompression bomb); if the image is genuine, allow it with --max-pixels {4}</source>
        <translation>{0}x{1} px son {2:.1f} megapíxeles, por encima del límite de {3:.0f} megapíxeles (rechazada como posible bomba de descompresión); si la imagen es auténtica, permítala con --max-pixels {4}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="103" />
        <source>not a recognised image file (PNG, JPEG, BMP, TIFF and DICOM are supported)</source>
        <translation>no es un archivo de imagen reconocido (se admiten PNG, JPEG, BMP, TIFF y DICOM)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="106" />
        <source>corrupt image (its header asks for more memory than there is)</source>
        <translation>imagen dañada (su cabecera pide más memoria de la que hay)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="108" />
        <source>truncated or corrupt image ({0})</source>
        <translation>imagen truncada o dañada ({0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="115" />
        <source>damaged DICOM file (its header asks for more memory than there is)</source>
        <translation>archivo DICOM dañado (su cabecera pide más memoria de la que hay)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="118" />
        <source>damaged DICOM file ({0})</source>
        <translation>archivo DICOM dañado ({0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="120" />
        <source>not a readable DICOM file ({0})</source>
        <translation>no es un archivo DICOM legible ({0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="122" />
        <source>not a DICOM file (no DICOM header; named .dcm but holds something else)</source>
        <translation>no es un archivo DICOM (sin cabecera DICOM; se llama .dcm pero contiene otra cosa)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="125" />
        <source>DICOM file has no image (no Pixel Data element)</source>
        <translation>el archivo DICOM no tiene imagen (no hay elemento Pixel Data)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="127" />
        <source>DICOM pixel data cannot be decoded ({0}): {1}</source>
        <translation>los datos de píxeles DICOM no se pueden decodificar ({0}): {1}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="130" />
        <source>DICOM image is not one 2-D frame (shape {0})</source>
        <translation>la imagen DICOM no es un único fotograma 2-D (forma {0})</translation>
    </message>
</context>
<context>
    <name>reasons</name>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="18" />
        <source>a colour image (colourfulness {0:.0f}): radiographs are grayscale</source>
        <translation>una imagen en color (colorido {0:.0f}): las radiografías son en escala de grises</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="22" />
        <source>almost uniform (intensity sd {0:.1f}): a blank or empty image?</source>
        <translation>casi uniforme (desviación de intensidad {0:.1f}): ¿una imagen en blanco o vacía?</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="25" />
        <source>noise-like texture (roughness {0:.2f}), unlike a radiograph</source>
        <translation>textura de ruido (rugosidad {0:.2f}), no la de una radiografía</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="28" />
        <source>unusual shape for a chest radiograph (width/height {0:.2f})</source>
        <translation>forma inusual para una radiografía de tórax (ancho/alto {0:.2f})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="31" />
        <source>mean intensity {0:.0f} is outside the training images' range ({1:.0f}-{2:.0f})</source>
        <translation>la intensidad media {0:.0f} está fuera del rango de las imágenes de entrenamiento ({1:.0f}-{2:.0f})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="35" />
        <source>no plausible lungs found ({0})</source>
        <translation>no se encontraron pulmones plausibles ({0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="38" />
        <source>fewer than two lung regions found</source>
        <translation>se encontraron menos de dos regiones pulmonares</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="41" />
        <source>the two regions are not side by side, one in each half of the image</source>
        <translation>las dos regiones no están una al lado de la otra, una en cada mitad de la imagen</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="44" />
        <source>the regions are wider than tall, unlike the lungs of an upright frontal radiograph</source>
        <translation>las regiones son más anchas que altas, a diferencia de los pulmones de una radiografía frontal en posición correcta</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="47" />
        <source>the lungs cover {0:.0%} of the image (expected {1:.0%}-{2:.0%})</source>
        <translation>los pulmones cubren el {0:.0%} de la imagen (se espera {1:.0%}-{2:.0%})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="51" />
        <source>the 'lungs' are {0:.0f} levels brighter than the rest of the chest: an inverted (negative) image?</source>
        <translation>los «pulmones» son {0:.0f} niveles más claros que el resto del tórax: ¿una imagen invertida (negativa)?</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="56" />
        <source>upside down</source>
        <translation>al revés</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="57" />
        <source>rotated 180 degrees</source>
        <translation>girada 180 grados</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="58" />
        <source>turned 90 degrees clockwise</source>
        <translation>girada 90 grados en el sentido de las agujas del reloj</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="59" />
        <source>turned 90 degrees counter-clockwise</source>
        <translation>girada 90 grados en sentido contrario a las agujas del reloj</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="63" />
        <source>the film seems {0}: the orientation check gives {1:.0%} that it is turned</source>
        <translation>la placa parece {0}: el control de orientación da un {1:.0%} de que está girada</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="66" />
        <source>the film seems {0}: its lungs are found more clearly once it is turned back (certainty {1:.2f} as given, {2:.2f} turned back)</source>
        <translation>la placa parece {0}: sus pulmones se encuentran con más claridad una vez enderezada (certeza {1:.2f} tal como está, {2:.2f} enderezada)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="71" />
        <source>class {0} (folder {1}) has no readable image ({2} unreadable)</source>
        <translation>la clase {0} (carpeta {1}) no tiene ninguna imagen legible ({2} ilegibles)</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="74" />
        <source>only one class ({0}): a model needs at least {1} class folders</source>
        <translation>solo una clase ({0}): un modelo necesita al menos {1} carpetas de clase</translation>
    </message>
</context>
<context>
    <name>report</name>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="202" />
        <source>CXRDesk - radiograph analysis</source>
        <translation>CXRDesk - análisis de la radiografía</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="203" />
        <source>File: {0}    Date: {1}</source>
        <translation>Archivo: {0}    Fecha: {1}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="204" />
        <source>Radiograph</source>
        <translation>Radiografía</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="205" />
        <source>Grad-CAM ({0})</source>
        <translation>Grad-CAM ({0})</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="206" />
        <source>No heatmap</source>
        <translation>Sin mapa de calor</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="207" />
        <source>No diagnosis: the input may not be a frontal chest radiograph (see below).</source>
        <translation>Sin diagnóstico: la imagen puede no ser una radiografía de tórax frontal (véase abajo).</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="209" />
        <source>Not a diagnosis: probabilities asked for anyway</source>
        <translation>No es un diagnóstico: probabilidades pedidas de todos modos</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="210" />
        <source>Uncertain - refer</source>
        <translation>Incierto - derivar</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="211" />
        <source>Predicted: {0}</source>
        <translation>Predicción: {0}</translation>
    </message>
    <message>
        <location filename="../../cxrdesk/gui/wording.py" line="212" />
        <source>probability (%)</source>
        <translation>probabilidad (%)</translation>
    </message>
</context>
</TS>