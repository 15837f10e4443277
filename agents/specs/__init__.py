"""The specs specialist: vehicle specifications and capabilities."""
