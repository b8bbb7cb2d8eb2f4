"""Files the product creates are private to its user: 0600 files, 0700 folders.

The database, the job queue, exports and trained models can hold customer text and secrets;
nobody else on the machine needs to read them.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """From now on this process creates files 0600 and folders 0700 (whoever creates them:
    SQLite, the queue, model training, exports)."""
    os.umask(PRIVATE_UMASK)


def private_file(path: Path) -> None:
    """Create `path` (and its folder) readable by this user only, if it does not exist yet."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
