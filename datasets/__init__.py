"""Dataset cards (one TOML per dataset), installed as the package ``iqabench_cards``."""
