import pytest

from cxrdesk.classes import STUDY_CLASSES, canonical_class, classes_of, known_class, order_classes


@pytest.mark.parametrize("folder, expected", [
    ("COVID", "COVID-19"), ("covid-19", "COVID-19"), ("Covid 19", "COVID-19"), ("SARS-CoV-2", "COVID-19"),
    ("Tuberculosis", "Tuberculosis"), ("TB", "Tuberculosis"), ("tbc", "Tuberculosis"),
    ("Normal", "Healthy"), ("healthy", "Healthy"), ("Sano", "Healthy"), ("No Finding", "Healthy"),
])
def test_real_spellings_map_to_the_studys_classes(folder, expected):
    assert canonical_class(folder) == expected == known_class(folder)


@pytest.mark.parametrize("folder, expected", [
    ("Pneumonia", "Pneumonia"), ("pneumonia", "Pneumonia"), ("Viral Pneumonia", "Viral Pneumonia"),
    ("Lung_Opacity", "Lung Opacity"), ("  effusion  ", "Effusion"),
])
def test_other_folders_are_classes_of_their_own(folder, expected):
    assert known_class(folder) is None
    assert canonical_class(folder) == expected


def test_class_order_matches_the_studys_tables_for_any_set():
    assert order_classes(["Tuberculosis", "Healthy", "COVID-19"]) == STUDY_CLASSES
    assert order_classes(["Tuberculosis", "Healthy", "Tuberculosis"]) == ("Healthy", "Tuberculosis")
    assert order_classes(["Tuberculosis", "pneumonia", "Healthy", "COVID-19"]) == (
        "COVID-19", "Healthy", "pneumonia", "Tuberculosis")


def test_files_written_before_classes_travelled_read_as_the_studys_three():
    assert classes_of({"format": "cxrdesk-bundle/1"}) == STUDY_CLASSES
    assert classes_of({"classes": ["Healthy", "Tuberculosis"]}) == ("Healthy", "Tuberculosis")
