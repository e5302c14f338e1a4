"""leapsim: simulate, measure and plan cost-effective layered air defence.

The package layout follows the kill chain: ``scenario`` → ``threats`` → ``sensing`` →
``tracking`` → ``c2`` → ``engine`` → ``campaign`` → ``experiments`` → ``report``, with ``cli`` on
top and the modules directly in this package (``errors``, ``atomic``, ``tables``, ``seeds``,
``yaml_files``, ``choices``) below all. Dependencies point one way, down this chain
(``tests/test_layering.py``).
"""

__version__ = "0.1.0"
