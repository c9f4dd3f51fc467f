"""The other-domains chapter (scikit-learn's digits and wine)."""
