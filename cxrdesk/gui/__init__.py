"""The desktop application (PySide6). Only this sub-package imports Qt; it shows and asks, the
headless core computes, and long work runs in worker threads that report through signals."""
