"""dilmanc: offline-first Azerbaijani translation, enforced terminology, honest evaluation."""

__version__ = "0.1.0"
