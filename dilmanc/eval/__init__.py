"""Evaluation: sacrebleu metrics, significance tests, test sets, run records, quality gates."""
