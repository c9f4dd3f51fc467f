"""The harness: parameters of every chapter (checked at the notebook's edge), profiles, run times."""
