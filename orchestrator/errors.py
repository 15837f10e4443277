"""Errors that stop the service with one clear line: what is wrong and how to fix it."""


class StartupError(Exception):
    """A configuration or environment problem the operator must fix before the service runs."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}. {fix}")
        self.problem = problem
        self.fix = fix
