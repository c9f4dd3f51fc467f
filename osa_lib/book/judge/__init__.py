"""The judge: the paper's numbers (paper_results.json) and every verdict rule and interval."""
