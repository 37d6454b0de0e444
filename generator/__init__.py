"""Synthetic French patient records with labelled administrative comments."""
