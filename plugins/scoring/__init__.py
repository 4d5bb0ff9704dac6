"""Scoring schemes (考核方案): each module is a plugin registering a ScoringSchemeSpec (entry points scoring_*).

A province adds its own scheme the same way: a module with a ``@hookimpl duban_register_scoring_schemes()``
returning ``[ScoringSchemeSpec(name, title, compute)]``, where ``compute(facts, config)`` receives a list of
:class:`duban.domain.scoring.DepartmentFacts` and the ``[scoring]`` configuration table, and returns a list of
:class:`duban.domain.scoring.DepartmentScore`. See docs/assessment.md.
"""
