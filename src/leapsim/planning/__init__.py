"""Plan search: what to buy, where to put it and what to produce, under the nations' budgets.

A plan study file (:mod:`~leapsim.planning.study`) names the base scenario and threat, the
candidate purchases, munitions and production, budgets, objectives and constraints; the decision
vector (:mod:`~leapsim.planning.space`) becomes a scenario and a campaign configuration
(:mod:`~leapsim.planning.build`) with a cost per nation (:mod:`~leapsim.planning.costs`); Optuna
screens plans (:mod:`~leapsim.planning.search`) and the fidelity ladder measures the front
(:mod:`~leapsim.planning.ladder`), every simulation a ``Study``. See ``docs/plan.md``.
"""
