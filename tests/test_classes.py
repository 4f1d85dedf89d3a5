import pytest

from cxrdesk.classes import CLASSES, canonical_class


@pytest.mark.parametrize("folder, expected", [
    ("COVID", "COVID-19"), ("covid-19", "COVID-19"), ("Covid 19", "COVID-19"), ("SARS-CoV-2", "COVID-19"),
    ("Tuberculosis", "Tuberculosis"), ("TB", "Tuberculosis"), ("tbc", "Tuberculosis"),
    ("Normal", "Healthy"), ("healthy", "Healthy"), ("Sano", "Healthy"), ("No Finding", "Healthy"),
    ("Viral Pneumonia", None), ("Lung_Opacity", None), ("images", None),
])
def test_real_spellings_map_to_the_three_classes(folder, expected):
    assert canonical_class(folder) == expected


def test_class_order_matches_the_studys_tables():
    assert CLASSES == ("COVID-19", "Healthy", "Tuberculosis")
