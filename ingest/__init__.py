"""Readers that turn case files and a user's own documents into database records."""
