"""Files that hold a learner's data (history, evidence bundles: full pod specs,
context names) are the user's alone: 0600 files and 0700 folders, whatever the
umask. Folders drills did not create are left as they are."""
from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """mkdir -p, each folder it creates 0700 (mkdir's mode is cut by the umask)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue            # made by a drills process running beside this one
        os.chmod(folder, FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create the file if need be and make a regular file 0600. An existing file is changed by
    path, never opened: closing any descriptor of a file drops every POSIX lock this process
    holds on it, SQLite's included (the history database is shared with the deadline keeper)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            tighten(fd)
        finally:
            os.close(fd)
        return
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)


def tighten(fd: int) -> None:
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != FILE_MODE:
        os.fchmod(fd, FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write (or overwrite) a file that only its owner may read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        tighten(fd)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
