"""The maintenance specialist: service knowledge and workshop appointments."""
