"""Ranges of the plan settings that the study file and the command line (``--budget``,
``--warning-min``) share. No imports, so that ``leapsim warn --help`` stays instant."""

#: Largest budget, EUR: far beyond any border programme; keeps costs finite in float64 sums.
MAX_BUDGET_EUR = 1e12
#: Longest warning time W, minutes (a day).
MAX_WARNING_MIN = 24 * 60
