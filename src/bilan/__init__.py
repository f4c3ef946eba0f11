"""bilan: the annual report of a schéma de mutualisation, built from one YAML file per action."""

__version__ = "0.1.0"
