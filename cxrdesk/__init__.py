"""CXRDesk: curate chest radiographs, train the study's CNNs on CPU or GPU, diagnose one image.

A research tool, not a medical device.
"""

__version__ = "0.1.0"

RESEARCH_NOTICE = (
    "CXRDesk is a research tool, not a medical device: its output must not be used "
    "to diagnose or treat a patient."
)
