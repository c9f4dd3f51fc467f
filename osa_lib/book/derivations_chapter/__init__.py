"""The derivations chapter (eq 7-16): runner and figures."""
