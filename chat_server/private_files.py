"""Files the server writes are readable by its own user only.

The data folder holds the SQLite store (password hashes, sealed TOTP secrets, the audit
log) and, in embedded mode, the deployment secret. Under the usual umask of 022 SQLite
creates its ``-wal`` and ``-shm`` files 0644, so any local user could read them. So:

* the command line sets the process umask to 0077 before it does anything else
  (``restrict_umask``), so every file and folder it creates is private;
* the stores create their folder 0700 and their files 0600 explicitly as well
  (``private_dir``, ``private_file``), so the same holds when the server is embedded in
  another program (the tests) that keeps a looser umask.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_umask() -> int:
    """Set the process umask to 0077; returns the previous one."""
    return os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) with mode 0700.

    A folder that already exists is left as it is (an administrator may have made it,
    e.g. a mounted volume), but a warning names it when group or others can enter it.
    """
    if not path.exists():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask, which may be looser than ours here.
        path.chmod(DIR_MODE)
    elif path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the data folder %s can be read by other users: chmod 700 it", path)
    return path


def private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 (created empty if missing)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    tighten(path)


def tighten(path: Path) -> None:
    """chmod 0600 a file this process owns, if it exists."""
    try:
        if path.stat().st_mode & 0o777 != FILE_MODE:
            path.chmod(FILE_MODE)
    except FileNotFoundError:
        pass
