"""Official archives into the data root: download, checksum, atomic extraction, the source record (bottom layer).

:class:`OfficialFiles` fetches the official files of one data set into ``<root>/<folder>`` for
:class:`~osa_lib.data.flowers17.Flowers17Segmentation` and
:class:`~osa_lib.data.flowers102.Flowers102Segmentation`. Every file is downloaded to a temporary
``.part`` file, checked (md5, or by its content after extraction where the site publishes no sum)
and renamed into place; an archive is extracted into a temporary folder that is renamed into
place only when extraction and its check succeeded. An interrupted run or a failed check
therefore leaves no half-downloaded file and no half-extracted folder.

Each extraction is recorded in ``<root>/<folder>/SOURCE.json`` (:data:`SOURCE_FILE`): the URL of
every extracted archive and the size, md5 and sha256 of every file fetched with it. That record is
how a data set tells the official download from a copy someone placed at the data root.
"""
from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterable, Mapping

from osa_lib.data.root import DATA_ENV, DataNotFoundError, file_digests, md5sum

#: the provenance record written beside the extracted folders
SOURCE_FILE = "SOURCE.json"


class ChecksumError(DataNotFoundError):
    """A data file exists or was downloaded, but its md5 sum (or its content check) is not the expected one."""


class OfficialFiles:
    """The official files of one data set, kept in ``<data_root>/<folder>``.

    Parameters
    ----------
    data_root : Path
        The data root (:func:`osa_lib.data.root.resolve_data_dir`).
    folder : str
        The data set's folder under the root.
    base_url : str
        Where the files live (a trailing ``/`` is added); tests serve a small copy from 127.0.0.1.
    md5 : dict
        File name -> md5 hex digest. A file without an entry is not md5-checked: its archive's
        ``check`` (see :meth:`prepare`) checks its content instead.
    timeout : float
        Seconds a download may stall before it fails.
    complete_copy : str, optional
        What a complete copy holds, for the errors' fix ("set OSA_DATA_DIR to a root that has ...");
        default ``"<folder>/"``.
    """

    def __init__(self, data_root, folder: str, base_url: str, md5: Mapping[str, str], *, timeout: float = 60.0,
                 complete_copy: str | None = None):
        self.data_root = Path(data_root)
        self.root = self.data_root / folder
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.md5 = dict(md5)
        self.timeout = float(timeout)
        self.complete_copy = complete_copy or f"{folder}/"

    # ------------------------------------------------------------------ errors
    def error(self, filename: str, why: str, cls=DataNotFoundError) -> DataNotFoundError:
        """The error for ``filename``: names the data root, the file, its URL and the fix."""
        check = f"md5 {self.md5[filename]}" if filename in self.md5 else "checked by its content"
        return cls(
            f"data root {self.data_root}: {self.root / filename} {why}. Fix: set {DATA_ENV} (or data_dir=) "
            f"to a data root that has {self.complete_copy}; or place the official file {filename} ({check}) "
            f"from {self.base_url}{filename} in {self.root}; or run with download=True on a machine with "
            f"network access and a writable data root.")

    # ------------------------------------------------------------------ the whole step
    def prepare(self, archives: Mapping[str, str], files: Iterable[str] = (), *, download: bool,
                checks: Mapping[str, Callable[[Path], str | None]] | None = None) -> list[str]:
        """Make sure every archive's folder and every plain file is in place.

        Parameters
        ----------
        archives : dict
            Archive name -> the folder it holds; an archive is needed only when its folder is missing.
        files : iterable of str
            Plain files that must be present (downloaded and md5-checked when missing).
        download : bool
            Fetch what is missing (else a missing file raises).
        checks : dict, optional
            Archive name -> ``check(extracted_folder)``, called before the folder is renamed into
            place; it returns None when the content is right, else what is wrong (a
            :class:`ChecksumError` is raised and nothing is kept).

        Returns
        -------
        list of str
            The folders extracted by this call (empty when every folder and file was in place:
            then nothing was downloaded and nothing was written).
        """
        files = list(files)
        missing = {a: folder for a, folder in archives.items() if not (self.root / folder).is_dir()}
        # every download first, every extraction after: a failed download leaves no new folder
        for filename in [*files, *missing]:
            path = self.root / filename
            if not path.is_file():
                if not download:
                    raise self.error(filename, "is missing (download=False)")
                self.fetch(filename)
            elif filename in self.md5 and md5sum(path) != self.md5[filename]:
                raise self.error(filename, f"has md5 {md5sum(path)}, expected {self.md5[filename]}; delete it "
                                 "and download it again", ChecksumError)
        for archive, folder in missing.items():
            self.extract(archive, folder, (checks or {}).get(archive))
            # recorded at once: a later archive that fails its check must not orphan this folder's source
            self.record_source({archive: folder}, files)
        return list(missing.values())

    # ------------------------------------------------------------------ steps
    def fetch(self, filename: str) -> None:
        """Download ``filename`` into a ``.part`` file, check its md5 (when known), rename it into place."""
        url = self.base_url + filename
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=self.root)
        except OSError as err:
            raise self.error(filename, f"is missing and cannot be written ({err})") from err
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=self.timeout) as resp:
                shutil.copyfileobj(resp, out, length=1 << 20)
            got = md5sum(tmp)
            if filename in self.md5 and got != self.md5[filename]:
                raise self.error(filename, f"was downloaded from {url} with md5 {got}, expected "
                                 f"{self.md5[filename]} (file removed)", ChecksumError)
            os.replace(tmp, self.root / filename)
        except (urllib.error.URLError, OSError, ValueError) as err:
            if isinstance(err, DataNotFoundError):
                raise
            raise self.error(filename, f"is missing and the download from {url} failed ({err!r})") from err
        finally:
            tmp.unlink(missing_ok=True)

    def extract(self, archive: str, folder: str, check: Callable[[Path], str | None] | None = None) -> None:
        """Extract ``archive`` into a temporary folder; rename its ``folder`` into place once ``check`` passed.

        Files the archive holds outside ``folder`` (e.g. an index beside the images) are moved into
        ``folder`` first, so that nothing of the archive is lost.
        """
        tmp = Path(tempfile.mkdtemp(prefix=f".extract-{folder}-", dir=self.root))
        try:
            with tarfile.open(self.root / archive, "r:gz") as tar:
                kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(tmp, **kwargs)
            if not (tmp / folder).is_dir():
                raise self.error(archive, f"does not contain a {folder}/ folder", ChecksumError)
            for stray in tmp.iterdir():
                if stray.name != folder and stray.is_file():
                    os.replace(stray, tmp / folder / stray.name)
            why = check(tmp / folder) if check is not None else None
            if why:
                raise self.error(archive, f"failed its content check: {why} (nothing extracted; delete it "
                                 "before downloading it again)", ChecksumError)
            os.replace(tmp / folder, self.root / folder)
        except DataNotFoundError:
            raise
        except (tarfile.TarError, OSError, EOFError) as err:
            raise self.error(archive, f"could not be extracted ({err!r}); delete it and download it again") from err
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------------------------ the source record
    def source(self) -> dict | None:
        """The content of ``SOURCE.json`` (None when there is none: the folders were placed there, not downloaded)."""
        path = self.root / SOURCE_FILE
        if not path.is_file():
            return None
        return json.loads(path.read_text())

    def record_source(self, extracted: Mapping[str, str], files: Iterable[str] = ()) -> None:
        """Add the archives just extracted (archive -> folder) and the plain ``files`` to ``SOURCE.json``.

        An earlier record is kept and updated, so that a folder fetched later joins the ones
        fetched before; the file is written to a temporary name and renamed (never half written).
        """
        record = self.source() or {"base_url": self.base_url, "folders": {}, "files": {}}
        record["base_url"] = self.base_url
        for archive, folder in extracted.items():
            record["folders"][folder] = {"archive": archive, "url": self.base_url + archive}
        for filename in [*extracted, *files]:
            if (self.root / filename).is_file():
                record["files"][filename] = file_digests(self.root / filename)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{SOURCE_FILE}.", suffix=".part", dir=self.root)
        with os.fdopen(fd, "w") as out:
            json.dump(record, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(tmp_name, self.root / SOURCE_FILE)

    def source_description(self, title: str, folders: Iterable[str]) -> str | None:
        """Where ``folders`` came from, in words; None when ``SOURCE.json`` is absent.

        ``"official <title> archives from <base URL>"`` when every folder was extracted from a
        download; otherwise, per folder, its URL or "a local copy".
        """
        record = self.source()
        if record is None:
            return None
        have = record.get("folders", {})
        folders = list(folders)
        if all(f in have for f in folders):
            return f"official {title} archives from {record['base_url']}"
        parts = [f"{f}/ from {have[f]['url']}" if f in have else f"{f}/ a local copy" for f in folders]
        return f"partly official {title}: " + "; ".join(parts)
