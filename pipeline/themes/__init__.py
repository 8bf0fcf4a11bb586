"""Complaint themes: the taxonomy, sentence splitting, theme assignment and emerging-theme discovery."""
