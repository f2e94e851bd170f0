"""Start-up recovery: clean up what a crash (kill -9, power cut) left in the middle of a change.

Every corpus change is made so that a crash at any moment leaves a consistent state behind
plus, at most, some leftovers that :func:`recover` removes before the next start serves:

* ``index/build-*`` folders other than the live one (a build killed while writing) and
  ``index/.CURRENT.<hex>`` pointer temp files (killed between writing and renaming them):
  deleted (:meth:`~policyqa.index.storage.IndexStorage.remove_leftovers`);
* ``corpus/.upload-*.part`` (an upload killed while being written): deleted — the upload was
  never acknowledged;
* ``data/removed/<stamp>-<pid>-<name>`` (a removal killed before its rebuild finished): the
  file goes *back* to the corpus when the live index still lists it (the removal never took
  effect, so the document must not be lost), and is deleted when the live index no longer does
  (the rebuild finished; only the clean-up was missed).

This module is core: it must not import fastapi.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import IndexNotFoundError
from .index.storage import IndexStorage

logger = logging.getLogger(__name__)

TRASH_DIR = "removed"  # under settings.data_dir
UPLOAD_PREFIX = ".upload-"
UPLOAD_SUFFIX = ".part"


@dataclass(frozen=True)
class Recovery:
    """What :func:`recover` did: paths removed and documents put back into the corpus."""

    removed: tuple[Path, ...] = ()
    restored: tuple[Path, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.removed or self.restored)


def trash_path(settings: Settings, source: Path) -> Path:
    """Where :meth:`IndexManager.remove_document` parks ``source`` until its rebuild succeeds."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(settings.data_dir) / TRASH_DIR / f"{stamp}-{os.getpid()}-{source.name}"


def trashed_name(trash: Path) -> str:
    """The corpus file name a :func:`trash_path` stands for (``20260101-120000-42-x.txt`` → ``x.txt``)."""
    parts = trash.name.split("-", 3)
    return parts[3] if len(parts) == 4 else trash.name


def recover(settings: Settings) -> Recovery:
    """Remove crash leftovers and finish or undo interrupted removals (see the module docstring).

    Safe to call when there is nothing to do; the index part is skipped while another process
    builds.  Call it before the first engine is loaded.
    """
    storage = IndexStorage(settings.index_dir)
    removed = list(storage.remove_leftovers())
    corpus = Path(settings.corpus_dir)
    if corpus.is_dir():
        for part in corpus.glob(f"{UPLOAD_PREFIX}*{UPLOAD_SUFFIX}"):
            part.unlink(missing_ok=True)
            removed.append(part)
    restored: list[Path] = []
    trash_dir = Path(settings.data_dir) / TRASH_DIR
    if trash_dir.is_dir():
        try:
            live = set(storage.manifest().corpus)
        except (IndexNotFoundError, OSError, ValueError):
            live = None  # no index to tell: keep every document
        for trash in sorted(p for p in trash_dir.iterdir() if p.is_file()):
            name = trashed_name(trash)
            target = corpus / name
            if (live is None or name in live) and not target.exists():
                corpus.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.move(str(trash), str(target))  # data_dir and corpus_dir may be on different disks
                except FileNotFoundError:  # another worker got there first
                    continue
                restored.append(target)
            else:
                trash.unlink(missing_ok=True)
                removed.append(trash)
    if removed or restored:
        logger.warning("start-up recovery: removed %d leftovers, restored %d documents (%s)",
                       len(removed), len(restored), ", ".join(p.name for p in restored) or "none")
    return Recovery(tuple(removed), tuple(restored))

