"""The command line (`sadvae ...`): parses flags and calls the API (`main.py`)."""
from .main import main

__all__ = ["main"]
