"""Static weapon-target assignment: problem, objective, solvers (greedy, iterated local search
with an exact assignment neighbourhood, HiGHS MILP bound) and the benchmark file format."""

from leapsim.c2.wta.io import read_instance, solution_dict, write_instance, write_solution
from leapsim.c2.wta.problem import Solution, WTAProblem
from leapsim.c2.wta.search import SearchParams
from leapsim.c2.wta.solve import METHODS, solve

__all__ = [
    "METHODS",
    "SearchParams",
    "Solution",
    "WTAProblem",
    "read_instance",
    "solution_dict",
    "solve",
    "write_instance",
    "write_solution",
]
