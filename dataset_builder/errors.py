"""The two ways a build stops early; the CLI maps them to exit codes 2 and 1."""


class ConfigError(Exception):
    """The configuration or the command line is unusable (exit code 2)."""


class BuildError(Exception):
    """The inputs cannot make a release, or the release cannot be written (exit code 1)."""
