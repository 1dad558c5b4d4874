"""Errors users can act on, each carrying the process exit code the CLI returns.

Exit codes: 0 ok, 1 quality gate failed, 2 usage or input error, 3 model or resource
unavailable. The CLI prints such an error as one line, never a traceback.
"""

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


class DilmancError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    exit_code = EXIT_USAGE


class UsageError(DilmancError):
    """Bad option value, unknown language, unsupported language pair, conflicting flags."""

    exit_code = EXIT_USAGE


class SettingError(UsageError):
    """A setting has a value it cannot take; `setting` names the field (e.g. "beam_size"),
    so a front end can name its own option for it."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting.replace('_', ' ')} {problem}")


class InputError(DilmancError):
    """Unreadable, missing, empty or undecodable input, or malformed data files."""

    exit_code = EXIT_USAGE


class ModelUnavailable(DilmancError):
    """A model is neither cached locally nor downloadable (offline, unknown id, broken dir)."""

    exit_code = EXIT_UNAVAILABLE


class ResourceUnavailable(DilmancError):
    """A test set or other resource is missing and cannot be fetched."""

    exit_code = EXIT_UNAVAILABLE


class QualityGateFailed(DilmancError):
    """A metric fell below its `--fail-below` floor."""

    exit_code = EXIT_GATE_FAILED
