"""leapsim: simulate, measure and plan cost-effective layered air defence.

The package layout follows the kill chain: ``scenario`` → ``sensing`` → ``tracking`` → ``c2`` →
``engine`` → ``campaign`` → ``experiments`` → ``report``, with ``cli`` on top. Dependencies point
one way, down this chain.
"""

__version__ = "0.1.0"
