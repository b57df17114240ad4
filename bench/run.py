"""`make bench`: run as `python bench/run.py` (or `python -m bench`); see bench/__init__.py."""

import sys
from pathlib import Path

# Run as a script, this folder is on the path, not the project that holds the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
