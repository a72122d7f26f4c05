"""What a traced request costs, measured side by side: ``make bench`` (``python -m benchmarks``).

Each module measures one thing and returns plain figures; :mod:`benchmarks.cli` runs them in
order on the same machine, and :mod:`benchmarks.report` writes the table and the plot.
"""
