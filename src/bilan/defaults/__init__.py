"""Defaults shipped with bilan: the vocabulary of a project that declares none."""
