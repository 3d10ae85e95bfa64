"""The measures engine: framework -> Ibis expressions -> monthly cube -> windows ->
``measure_results`` (docs/architecture.md §2).

``compute(store, framework, period)`` returns the table as a pandas DataFrame with exactly
``COLUMNS``; ``write(df, path)`` saves it as Parquet, CSV or JSON by extension.
"""

from forcestat.engine.results import COLUMNS, to_frame, write
from forcestat.engine.run import Timings, compute

__all__ = ["COLUMNS", "Timings", "compute", "to_frame", "write"]
