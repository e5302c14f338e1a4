"""Procurement questions built on plan studies: where a new effector pays (the break-even
frontier, :mod:`~leapsim.procurement.requirements`) and what buying together saves and who gets
how much of it (coalitions and Shapley shares, :mod:`~leapsim.procurement.coalition` and
:mod:`~leapsim.procurement.game`). See ``docs/procurement.md``.
"""
