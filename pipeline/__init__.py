"""Bilingual policy-document pipeline: corpus/ -> clean text -> concept graph.

Stages (one module each): extract, convert, segment, tag, graph, report.
`python -m pipeline --help` lists the commands.
"""

__version__ = "0.1.0"
