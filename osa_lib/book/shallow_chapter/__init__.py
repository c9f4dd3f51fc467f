"""The shallow ACRBM chapter (MNIST and Fashion-MNIST): runners, figures, confusion."""
