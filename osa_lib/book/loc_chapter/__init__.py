"""The LOC chapter: Table 2, the studies, figures."""
