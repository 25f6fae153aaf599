"""ember.hub: models and checkpoints published in GitHub repositories or at URLs (torch.hub).

    model = hub.load("owner/repo:ref", "entrypoint", pretrained=True)   # runs repo's hubconf.py
    model = hub.load("/path/to/repo", "entrypoint", source="local")
    state = hub.load_state_dict_from_url("https://.../resnet18-5c106cde.pth", check_hash=True)

Everything downloaded goes to PyTorch's cache, shared with it: ``get_dir()`` is
``$TORCH_HOME/hub``, where ``$TORCH_HOME`` defaults to ``$XDG_CACHE_HOME/torch`` and
``$XDG_CACHE_HOME`` to ``~/.cache``; ``set_dir`` overrides it. A repository is unpacked to
``<hub_dir>/<owner>_<name>_<ref>`` and checkpoints are kept in ``<hub_dir>/checkpoints``. The
network is reached through urllib only. Checkpoints are read with ``ember.load`` (PyTorch's
zip files load as they are).
"""

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

from . import serialization as _serialization

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url",
           "set_dir"]

# what map_location may be (as ember.load takes it)
MAP_LOCATION = Union[Callable[[Any, str], Any], "device", str, dict, None]  # noqa: F821

# a checkpoint's file name carries the start of its SHA256: resnet18-bfd8deac.pth
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_GITHUB_TOKEN = "GITHUB_TOKEN"
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024

# owners whose repositories need no confirmation
_TRUSTED_REPO_OWNERS = ("facebookresearch", "facebookincubator", "pytorch", "fairinternal")
_PATH_SEP = re.compile(r"[/\\]")

_hub_dir = None


class _Progress:
    """A plain progress line on stderr (used when tqdm is not installed)."""

    def __init__(self, total=None, disable=False, unit=None, *args, **kwargs):
        self.total = total
        self.disable = disable
        self.n = 0

    def update(self, n):
        if self.disable:
            return
        self.n += n
        if self.total is None:
            sys.stderr.write(f"\r{self.n:.1f} bytes")
        else:
            sys.stderr.write(f"\r{100 * self.n / float(self.total):.1f}%")
        sys.stderr.flush()

    def set_description(self, *args, **kwargs):
        pass

    def write(self, s):
        sys.stderr.write(f"{s}\n")

    def close(self):
        self.disable = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.disable:
            sys.stderr.write("\n")


try:  # the progress bar: tqdm's when it is installed, as in PyTorch
    from tqdm import tqdm
except ImportError:
    tqdm = _Progress


# -- the cache ----------------------------------------------------------------------------------
def _get_torch_home():
    default = os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, default))


def get_dir():
    """The directory where downloaded repositories and checkpoints are kept.

    If :func:`set_dir` has not been called, it is ``$TORCH_HOME/hub``, where ``$TORCH_HOME``
    defaults to ``$XDG_CACHE_HOME/torch`` and ``$XDG_CACHE_HOME`` to ``~/.cache``.
    """
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    """Use the folder ``d`` (a str or path) for what hub downloads."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def _remove_if_exists(path):
    if os.path.exists(path):
        if os.path.isfile(path):
            os.remove(path)
        else:
            shutil.rmtree(path)


def _safe_extract_zip(zip_file, extract_to):
    """Extract every member of ``zip_file`` under ``extract_to``, refusing a member whose path is
    absolute or leads out of it (a zip slip)."""
    root = Path(extract_to).resolve(strict=False)
    for member in zip_file.infolist():
        name = os.path.normpath(member.filename)
        if name.startswith(("/", "\\")) or (len(name) >= 2 and name[1] == ":"
                                            and name[0].isalpha()):
            raise ValueError(f"Archive entry has absolute path: {member.filename}")
        if ".." in _PATH_SEP.split(name):
            raise ValueError(f"Archive entry contains directory traversal: {member.filename}")
        if not (root / name).resolve(strict=False).is_relative_to(root):
            raise ValueError(f"Archive entry escapes target directory: {member.filename}")
        zip_file.extract(member, root)


# -- GitHub -------------------------------------------------------------------------------------
def _git_archive_link(repo_owner, repo_name, ref):
    return f"https://github.com/{repo_owner}/{repo_name}/zipball/{ref}"


def _parse_repo_info(github):
    """(owner, name, ref) from ``"owner/name[:ref]"``; without a ref, the default branch is
    ``main`` if GitHub has one, else ``master`` (offline: whichever is in the cache)."""
    repo_info, ref = github.split(":") if ":" in github else (github, None)
    repo_owner, repo_name = repo_info.split("/")
    if ref is not None:
        return repo_owner, repo_name, ref
    try:
        with urlopen(f"https://github.com/{repo_owner}/{repo_name}/tree/main/"):
            ref = "main"
    except HTTPError as e:
        if e.code != 404:
            raise
        ref = "master"
    except URLError as e:
        for candidate in ("main", "master"):
            if os.path.exists(f"{get_dir()}/{repo_owner}_{repo_name}_{candidate}"):
                return repo_owner, repo_name, candidate
        raise RuntimeError("It looks like there is no internet connection and the repo could "
                           f"not be found in the cache ({get_dir()})") from e
    return repo_owner, repo_name, ref


def _read_url(url):
    with urlopen(url) as r:
        return r.read().decode(r.headers.get_content_charset("utf-8"))


def _validate_not_a_forked_repo(repo_owner, repo_name, ref):
    """Check with GitHub's API that ``ref`` is a branch, tag or commit of the repository itself
    (a commit of a fork is reachable through the parent's URLs too)."""
    headers = {"Accept": "application/vnd.github.v3+json"}
    token = os.environ.get(ENV_GITHUB_TOKEN)
    if token is not None:
        headers["Authorization"] = f"token {token}"
    for kind in ("branches", "tags"):
        page = 0
        while True:
            page += 1
            url = (f"https://api.github.com/repos/{repo_owner}/{repo_name}/{kind}"
                   f"?per_page=100&page={page}")
            try:
                response = json.loads(_read_url(Request(url, headers=headers)))
            except HTTPError:
                # the token may lack the permissions: once more without it
                del headers["Authorization"]
                response = json.loads(_read_url(Request(url, headers=headers)))
            if not response:
                break
            for entry in response:
                if entry["name"] == ref or entry["commit"]["sha"].startswith(ref):
                    return
    raise ValueError(f"Cannot find {ref} in https://github.com/{repo_owner}/{repo_name}. If it's "
                     "a commit from a forked repo, please call hub.load() with forked repo "
                     "directly.")


def _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo):
    hub_dir = get_dir()
    listing = os.path.join(hub_dir, "trusted_list")
    if not os.path.exists(listing):
        Path(listing).touch()
    with open(listing) as f:
        trusted = tuple(line.strip() for line in f)
    # a repository downloaded before the trusted list existed counts as trusted
    downloaded = next(os.walk(hub_dir))[1]
    owner_name = f"{repo_owner}_{repo_name}"
    is_trusted = (owner_name in trusted or owner_name_branch in downloaded
                  or repo_owner in _TRUSTED_REPO_OWNERS)
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        response = input(
            f"The repository {owner_name} does not belong to the list of trusted repositories "
            "and as such cannot be downloaded. Do you trust this repository and wish to add it "
            "to the trusted list of repositories (y/N)?")
        if response.lower() in ("y", "yes"):
            if is_trusted:
                print("The repository is already trusted.")
        elif response.lower() in ("n", "no", ""):
            raise Exception("Untrusted repository.")  # noqa: TRY002 - PyTorch's type
        else:
            raise ValueError(f"Unrecognized response {response}.")
    if not is_trusted:
        with open(listing, "a") as f:
            f.write(owner_name + "\n")


def _get_cache_or_reload(github, force_reload, trust_repo, verbose=True, skip_validation=False):
    """The folder of the repository ``github`` in the cache, downloaded first if needed."""
    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    repo_owner, repo_name, ref = _parse_repo_info(github)
    # a branch may hold "/" (never "\"): it is "_" in the folder's name
    normalized_ref = ref.replace("/", "_")
    owner_name_branch = "_".join([repo_owner, repo_name, normalized_ref])
    repo_dir = os.path.join(hub_dir, owner_name_branch)
    _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo=trust_repo)

    if not force_reload and os.path.exists(repo_dir):
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir

    if not skip_validation:
        _validate_not_a_forked_repo(repo_owner, repo_name, ref)
    cached_file = os.path.join(hub_dir, normalized_ref + ".zip")
    _remove_if_exists(cached_file)
    try:
        url = _git_archive_link(repo_owner, repo_name, ref)
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        download_url_to_file(url, cached_file, progress=False)
    except HTTPError as err:
        if err.code != 300:
            raise
        # 300 Multiple Choices: the ref is both a tag and a branch; take the branch, as git does
        warnings.warn(
            f"The ref {ref} is ambiguous. Perhaps it is both a tag and a branch in the repo? "
            "Torchhub will now assume that it's a branch. You can disambiguate tags and "
            "branches by explicitly passing refs/heads/branch_name or refs/tags/tag_name as "
            "the ref. That might require using skip_validation=True.", stacklevel=2)
        url = _git_archive_link(repo_owner, repo_name, ref=f"refs/heads/{ref}")
        download_url_to_file(url, cached_file, progress=False)

    with zipfile.ZipFile(cached_file) as archive:
        # GitHub names the top folder itself (owner-name-sha): read it from the archive
        extracted = os.path.join(hub_dir, archive.infolist()[0].filename)
        _remove_if_exists(extracted)
        _safe_extract_zip(archive, hub_dir)
    _remove_if_exists(cached_file)
    _remove_if_exists(repo_dir)
    shutil.move(extracted, repo_dir)
    return repo_dir


# -- hubconf.py ---------------------------------------------------------------------------------
@contextlib.contextmanager
def _add_to_sys_path(path):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        sys.path.remove(path)


def _import_module(name, path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise AssertionError(f"failed to load spec from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_hubconf(repo_dir):
    with _add_to_sys_path(repo_dir):
        return _import_module(MODULE_HUBCONF, os.path.join(repo_dir, MODULE_HUBCONF))


def _load_attr_from_module(module, func_name):
    return getattr(module, func_name) if func_name in dir(module) else None


def _check_module_exists(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _check_dependencies(m):
    dependencies = _load_attr_from_module(m, VAR_DEPENDENCY)
    if dependencies is not None:
        missing = [pkg for pkg in dependencies if not _check_module_exists(pkg)]
        if missing:
            raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")


def _load_entry_from_hubconf(m, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    # a dependency that hubconf.py imports at its top fails earlier, with Python's ImportError
    _check_dependencies(m)
    func = _load_attr_from_module(m, model)
    if func is None or not callable(func):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return func


def list(github, force_reload=False, skip_validation=False, trust_repo="check", verbose=True):
    """The names of the entrypoints (public callables) of the repository's ``hubconf.py``.

    Args:
        github (str): ``"repo_owner/repo_name[:ref]"``; without a ref, ``main`` if the
            repository has it, else ``master``.
        force_reload (bool): download the repository again even if it is in the cache.
        skip_validation (bool): do not check with GitHub's API that the ref belongs to the
            repository (``GITHUB_TOKEN`` authenticates that check).
        trust_repo (bool or str): ``"check"`` (ask unless the repository is trusted already),
            ``True`` (trust it and remember) or ``False`` (always ask).
        verbose (bool): report when the cache is used.
    """
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, verbose=verbose,
                                    skip_validation=skip_validation)
    module = _load_hubconf(repo_dir)
    return [name for name in dir(module)
            if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check"):
    """The docstring of the entrypoint ``model`` of the repository's ``hubconf.py`` (the other
    arguments as in :func:`list`)."""
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, verbose=True,
                                    skip_validation=skip_validation)
    module = _load_hubconf(repo_dir)
    return _load_entry_from_hubconf(module, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """Call the entrypoint ``model`` of a repository's ``hubconf.py`` with ``*args`` and
    ``**kwargs`` and return what it returns (usually a model).

    ``source='github'``: ``repo_or_dir`` is ``"repo_owner/repo_name[:ref]"``, downloaded to the
    cache (the other arguments as in :func:`list`); ``source='local'``: it is a local folder
    holding a ``hubconf.py`` (force_reload, verbose, trust_repo and skip_validation do
    nothing then).
    """
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        repo_or_dir = _get_cache_or_reload(repo_or_dir, force_reload, trust_repo,
                                           verbose=verbose, skip_validation=skip_validation)
    return _load_local(repo_or_dir, model, *args, **kwargs)


def _load_local(hubconf_dir, model, *args, **kwargs):
    with _add_to_sys_path(hubconf_dir):
        module = _import_module(MODULE_HUBCONF, os.path.join(hubconf_dir, MODULE_HUBCONF))
        entry = _load_entry_from_hubconf(module, model)
        return entry(*args, **kwargs)


# -- files at URLs ------------------------------------------------------------------------------
def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download what ``url`` holds to the path ``dst``.

    The bytes go to a temporary file beside ``dst`` that replaces ``dst`` only once complete
    (a broken download never overwrites a good file).

    Args:
        url (str): what to download (``http(s)://``, ``ftp://``, ``file://``).
        dst (str): the file to write.
        hash_prefix (str, optional): the start of the SHA256 of the content; a download whose
            hash starts otherwise raises RuntimeError.
        progress (bool): show a progress bar on stderr.
    """
    dst = os.path.expanduser(dst)
    for _ in range(tempfile.TMP_MAX):
        partial = dst + "." + uuid.uuid4().hex + ".partial"
        try:
            f = open(partial, "w+b")  # noqa: SIM115 - closed below
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    request = Request(url, headers={"User-Agent": "torch.hub"})
    try:
        with urlopen(request) as u:
            lengths = u.info().get_all("Content-Length")
            size = int(lengths[0]) if lengths else None
            digest = hashlib.sha256() if hash_prefix is not None else None
            with tqdm(total=size, disable=not progress, unit="B", unit_scale=True,
                      unit_divisor=1024) as bar:
                while True:
                    chunk = u.read(READ_DATA_CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    bar.update(len(chunk))
            f.close()
            if digest is not None:
                got = digest.hexdigest()
                if got[:len(hash_prefix)] != hash_prefix:
                    raise RuntimeError(
                        f'invalid hash value (expected "{hash_prefix}", got "{got}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def _is_legacy_zip_format(filename):
    """A zip holding one file (not a folder): how checkpoints were shipped before the zip
    format of ``save`` (PyTorch 1.6)."""
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as zf:
            members = zf.infolist()
        return len(members) == 1 and not members[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in "
                  "favor of default zipfile format introduced in 1.6. Please redo torch.save() "
                  "to save it in the new zipfile format.", FutureWarning, stacklevel=3)
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        _safe_extract_zip(f, model_dir)
        extracted = os.path.join(model_dir, members[0].filename)
    return _serialization.load(extracted, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """Load the object saved at ``url`` (with ``ember.load``), downloading it to ``model_dir``
    first unless it is there already.

    Args:
        url (str): where the checkpoint is.
        model_dir (str, optional): where to keep it; default ``<hub_dir>/checkpoints``.
        map_location (optional): as for ``ember.load``.
        progress (bool): show a progress bar on stderr while downloading.
        check_hash (bool): the file name follows ``name-<sha256 prefix>.ext`` and the download
            must hash to it.
        file_name (str, optional): the name to keep the file under (default: the URL's).
        weights_only (bool): load only tensors and plain containers.
    """
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)

    filename = os.path.basename(urlparse(url).path) if file_name is None else file_name
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            found = HASH_REGEX.search(filename)
            hash_prefix = found.group(1) if found else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)

    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    return _serialization.load(cached_file, map_location=map_location, weights_only=weights_only)
