"""The general route: greetings, thanks, the assistant itself, and out-of-scope requests."""
