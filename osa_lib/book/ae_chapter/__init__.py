"""The AE chapter: Table 1's AE rows as jobs, the readings study, scoring, recipes, figures, executors beyond one machine."""
