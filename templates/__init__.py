"""The default templates of the report, shipped as the package ``bilan.templates``."""
