"""Terminology: glossary files, Azerbaijani-aware matching, enforcement and verification."""
