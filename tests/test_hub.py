"""torch.hub against PyTorch, side by side and without the network: local hubconf.py repos made
in tmp_path, file:// URLs for downloads, and GitHub's side (the archive download, the branch
listing, the default-branch probe, the trust prompt) replaced by fakes in both modules."""

import hashlib
import io
import json
import os
import sys
import warnings
import zipfile
from urllib.error import HTTPError

import pytest
import torch
import torch.hub as th

import ember
import ember.hub as eh

HUBS = pytest.mark.parametrize("hub", [eh, th], ids=["ember", "torch"])

HUBCONF = '''
"""A hub repository for the tests."""
import helper

dependencies = {deps}


def model(a, b=2):
    """Build the model from a and b."""
    return helper.combine(a, b)


def _private():
    return 0


not_callable = 5
'''


def _repo(path, deps="[]"):
    path.mkdir(parents=True, exist_ok=True)
    (path / "hubconf.py").write_text(HUBCONF.format(deps=deps))
    (path / "helper.py").write_text("def combine(a, b):\n    return {'a': a, 'b': b}\n")
    return path


def _texts(call_ember, call_torch, kind=Exception):
    out = []
    for call in (call_ember, call_torch):
        with pytest.raises(kind) as info:
            call()
        out.append((type(info.value), str(info.value)))
    assert out[0] == out[1]
    return out[0][1]


@pytest.fixture
def hub_home(tmp_path, monkeypatch):
    """Both hubs see the same fresh cache folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    for hub in (eh, th):
        monkeypatch.setattr(hub, "_hub_dir", None)
    return home


def test_names():
    public = {"download_url_to_file", "get_dir", "help", "list", "load",
              "load_state_dict_from_url", "set_dir", "DEFAULT_CACHE_DIR", "ENV_GITHUB_TOKEN",
              "ENV_TORCH_HOME", "ENV_XDG_CACHE_HOME", "HASH_REGEX", "MODULE_HUBCONF",
              "READ_DATA_CHUNK", "VAR_DEPENDENCY", "MAP_LOCATION", "tqdm"}
    assert public <= set(dir(eh)) and public <= set(dir(th))
    assert sorted(eh.__all__) == sorted(th.__all__)
    for name in public - {"MAP_LOCATION", "tqdm", "help", "list", "load", "get_dir", "set_dir",
                          "download_url_to_file", "load_state_dict_from_url"}:
        assert getattr(eh, name) == getattr(th, name), name
    assert ember.hub is eh and eh.load.__module__ == "ember.hub"


def test_cache_directory_rules(tmp_path, monkeypatch):
    for hub in (eh, th):
        monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert eh.get_dir() == th.get_dir() == os.path.expanduser("~/.cache/torch/hub")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert eh.get_dir() == th.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    monkeypatch.setenv("TORCH_HOME", "~/th")
    assert eh.get_dir() == th.get_dir() == os.path.expanduser("~/th/hub")
    for hub in (eh, th):
        hub.set_dir(tmp_path / "mine")
    assert eh.get_dir() == th.get_dir() == str(tmp_path / "mine")
    monkeypatch.setenv("TORCH_HUB", "x")
    for hub in (eh, th):
        with pytest.warns(UserWarning, match="TORCH_HUB is deprecated, please use env "
                          "TORCH_HOME instead"):
            hub.get_dir()


@HUBS
def test_load_local(hub, tmp_path):
    repo = _repo(tmp_path / "repo")
    before = list(sys.path)
    assert hub.load(str(repo), "model", 1, source="local") == {"a": 1, "b": 2}
    assert hub.load(str(repo), "model", a="x", b=[3], source="LOCAL") == {"a": "x", "b": [3]}
    assert sys.path == before


def test_load_local_errors(tmp_path):
    repo = str(_repo(tmp_path / "repo"))
    _texts(lambda: eh.load(repo, "model", source="gitlab"),
           lambda: th.load(repo, "model", source="gitlab"), ValueError)
    _texts(lambda: eh.load(repo, 5, source="local"), lambda: th.load(repo, 5, source="local"),
           ValueError)
    for name in ("nothing", "not_callable"):
        text = _texts(lambda: eh.load(repo, name, source="local"),  # noqa: B023
                      lambda: th.load(repo, name, source="local"), RuntimeError)  # noqa: B023
        assert text == f"Cannot find callable {name} in hubconf"
    missing = str(_repo(tmp_path / "deps", deps="['numpy', 'no_such_pkg_x', 'nor_this_one']"))
    text = _texts(lambda: eh.load(missing, "model", 1, source="local"),
                  lambda: th.load(missing, "model", 1, source="local"), RuntimeError)
    assert text == "Missing dependencies: no_such_pkg_x, nor_this_one"


# -- files at URLs ------------------------------------------------------------------------------
def _checkpoint(tmp_path):
    """A state dict saved by PyTorch, named after its hash as published checkpoints are."""
    state = {"weight": torch.arange(6.0).reshape(2, 3), "bias": torch.tensor([0.5, -1.0])}
    raw = tmp_path / "raw.pt"
    torch.save(state, raw)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    published = tmp_path / "site" / f"net-{digest[:8]}.pt"
    published.parent.mkdir()
    raw.rename(published)
    return published, digest


def test_download_url_to_file(tmp_path):
    src, digest = _checkpoint(tmp_path)
    url = src.as_uri()
    for hub in (eh, th):
        dst = tmp_path / f"{hub.__name__}.bin"
        hub.download_url_to_file(url, str(dst), hash_prefix=digest[:10], progress=False)
        assert dst.read_bytes() == src.read_bytes()
    text = _texts(lambda: eh.download_url_to_file(url, str(tmp_path / "e"), "abc", False),
                  lambda: th.download_url_to_file(url, str(tmp_path / "t"), "abc", False),
                  RuntimeError)
    assert text == f'invalid hash value (expected "abc", got "{digest}")'
    assert sorted(os.listdir(tmp_path)) == ["ember.hub.bin", "raw.pt", "site", "torch.hub.bin"] \
        or sorted(os.listdir(tmp_path)) == ["ember.hub.bin", "site", "torch.hub.bin"]
    _texts(lambda: eh.download_url_to_file((tmp_path / "none").as_uri(), str(tmp_path / "x")),
           lambda: th.download_url_to_file((tmp_path / "none").as_uri(), str(tmp_path / "x")),
           OSError)


def test_load_state_dict_from_url(tmp_path, hub_home, capsys):
    src, digest = _checkpoint(tmp_path)
    url = src.as_uri()
    theirs = th.load_state_dict_from_url(url, check_hash=True, progress=False)
    out_torch = capsys.readouterr().out
    os.remove(os.path.join(th.get_dir(), "checkpoints", src.name))
    ours = eh.load_state_dict_from_url(url, check_hash=True, progress=False)
    cached = os.path.join(eh.get_dir(), "checkpoints", src.name)
    assert capsys.readouterr().out == out_torch == f'Downloading: "{url}" to {cached}\n'
    assert list(ours) == list(theirs)
    for key in theirs:
        assert isinstance(ours[key], ember.Tensor)
        assert ours[key].tolist() == theirs[key].tolist()
    # found in the cache the second time: no download
    again = eh.load_state_dict_from_url(url, map_location="cpu", weights_only=True)
    assert capsys.readouterr().out == "" and again["bias"].tolist() == [0.5, -1.0]
    other = eh.load_state_dict_from_url(url, model_dir=str(tmp_path / "md"), file_name="w.pt",
                                        progress=False)
    assert os.path.exists(tmp_path / "md" / "w.pt") and other["weight"].shape == (2, 3)


def test_load_state_dict_bad_hash(tmp_path, hub_home):
    src, digest = _checkpoint(tmp_path)
    bad = src.with_name("net-deadbeef.pt")
    src.rename(bad)
    texts = []
    for hub in (eh, th):
        with pytest.raises(RuntimeError) as info:
            hub.load_state_dict_from_url(bad.as_uri(), check_hash=True, progress=False)
        texts.append(str(info.value))
        assert not os.listdir(os.path.join(hub.get_dir(), "checkpoints"))
    assert texts[0] == texts[1] == f'invalid hash value (expected "deadbeef", got "{digest}")'


def test_legacy_zip_checkpoint(tmp_path, hub_home):
    src, _ = _checkpoint(tmp_path)
    legacy = tmp_path / "site" / "old.zip"
    with zipfile.ZipFile(legacy, "w") as zf:
        zf.write(src, "old.pt")
    results = []
    for hub in (eh, th):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(hub.load_state_dict_from_url(legacy.as_uri(), progress=False,
                                                        model_dir=str(tmp_path / hub.__name__)))
        assert [str(w.message) for w in caught if w.category is FutureWarning] == [
            "Falling back to the old format < 1.6. This support will be deprecated in favor of "
            "default zipfile format introduced in 1.6. Please redo torch.save() to save it in "
            "the new zipfile format."]
    assert results[0]["weight"].tolist() == results[1]["weight"].tolist()


@pytest.mark.parametrize("member", ["../evil.py", "/abs.py", "a/../../evil.py"])
def test_zip_slip_is_refused(tmp_path, member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, "x = 1\n")
    texts = []
    for hub in (eh, th):
        with zipfile.ZipFile(buf) as zf, pytest.raises(ValueError) as info:
            hub._safe_extract_zip(zf, tmp_path / "out")
        texts.append(str(info.value))
    assert texts[0] == texts[1]
    assert not (tmp_path / "evil.py").exists()


# -- GitHub, with its side faked ----------------------------------------------------------------
class FakeGitHub:
    """GitHub for both hubs: archives, the branch and tag listings, the default-branch probe."""

    def __init__(self, tmp_path, branches=("main", "v1", "feature/x"), has_main=True):
        self.tmp_path, self.branches, self.has_main = tmp_path, branches, has_main
        self.downloads, self.api_calls = [], []
        self.ambiguous = set()

    def install(self, monkeypatch, answers=()):
        replies = iter(answers)
        self.prompts = []

        def ask(prompt):
            self.prompts.append(prompt)
            return next(replies)

        monkeypatch.setattr("builtins.input", ask)
        for hub in (eh, th):
            monkeypatch.setattr(hub, "download_url_to_file", self.download)
            monkeypatch.setattr(hub, "_read_url", self.read_url)
            monkeypatch.setattr(hub, "urlopen", self.urlopen)
        return self

    def download(self, url, dst, hash_prefix=None, progress=True):
        self.downloads.append(url)
        ref = url.split("/zipball/")[1]
        if ref in self.ambiguous:
            raise HTTPError(url, 300, "Multiple Choices", None, None)
        top = f"owner-name-{hashlib.sha1(ref.encode()).hexdigest()[:7]}/"
        repo = _repo(self.tmp_path / "src" / ref.replace("/", "_"))
        with zipfile.ZipFile(dst, "w") as zf:
            zf.writestr(top, "")
            for f in sorted(repo.iterdir()):
                zf.write(f, top + f.name)

    def read_url(self, request):
        url = request.full_url
        self.api_calls.append(url)
        page = int(url.rsplit("page=", 1)[1])
        if page > 1 or "/tags" in url:
            return "[]"
        return json.dumps([{"name": b, "commit": {"sha": "abc123" + str(i)}}
                           for i, b in enumerate(self.branches)])

    def urlopen(self, url):
        if self.has_main:
            return io.BytesIO(b"")
        raise HTTPError(url, 404, "Not Found", None, None)


def _both(call):
    """call(hub) on each hub, with the cache emptied between them; the results."""
    return [call(hub) for hub in (eh, th)]


def test_github_download_and_cache(tmp_path, hub_home, monkeypatch, capsys):
    gh = FakeGitHub(tmp_path).install(monkeypatch)
    hub_dir = str(hub_home / "hub")
    for hub in (eh, th):
        entries = hub.list("owner/name:v1", trust_repo=True)
        assert entries == ["model"]
        out = capsys.readouterr()
        assert out.out == (f'Downloading: "https://github.com/owner/name/zipball/v1" to '
                           f"{hub_dir}/v1.zip\n")
        assert sorted(os.listdir(hub_dir)) == ["owner_name_v1", "trusted_list"]
        assert open(os.path.join(hub_dir, "trusted_list")).read() == "owner_name\n"
        # the second time the cache is used
        assert hub.help("owner/name:v1", "model") == "Build the model from a and b."
        assert capsys.readouterr().err == f"Using cache found in {hub_dir}/owner_name_v1\n"
        assert hub.load("owner/name:v1", "model", 7, verbose=False) == {"a": 7, "b": 2}
        assert capsys.readouterr().err == ""
        hub.load("owner/name:v1", "model", 7, force_reload=True)
        assert len(gh.downloads) == 2 and capsys.readouterr().out.startswith("Downloading")
        gh.downloads.clear()
        for name in os.listdir(hub_dir):
            eh._remove_if_exists(os.path.join(hub_dir, name))
    # the ref was checked against the branch and tag listings
    assert all(u.startswith("https://api.github.com/repos/owner/name/") for u in gh.api_calls)


def test_github_refs(tmp_path, hub_home, monkeypatch):
    gh = FakeGitHub(tmp_path).install(monkeypatch)
    hub_dir = str(hub_home / "hub")
    for hub in (eh, th):
        hub.load("owner/name:feature/x", "model", 1, trust_repo=True)
        assert os.path.isdir(os.path.join(hub_dir, "owner_name_feature_x"))
        hub.load("owner/name", "model", 1, trust_repo=True)  # main exists
        assert os.path.isdir(os.path.join(hub_dir, "owner_name_main"))
        hub.load("owner/name:abc1231", "model", 1, trust_repo=True)  # a commit's sha prefix
        gh.has_main = False
        hub.load("owner/name", "model", 1, trust_repo=True, skip_validation=True)
        assert os.path.isdir(os.path.join(hub_dir, "owner_name_master"))
        gh.has_main = True
        for name in os.listdir(hub_dir):
            eh._remove_if_exists(os.path.join(hub_dir, name))
    assert gh.downloads == [f"https://github.com/owner/name/zipball/{r}"
                            for r in ("feature/x", "main", "abc1231", "master")] * 2
    text = _texts(lambda: eh.load("owner/name:nope", "model", trust_repo=True),
                  lambda: th.load("owner/name:nope", "model", trust_repo=True), ValueError)
    assert text.startswith("Cannot find nope in https://github.com/owner/name. If it's a commit")


def test_github_ambiguous_ref(tmp_path, hub_home, monkeypatch):
    gh = FakeGitHub(tmp_path).install(monkeypatch)
    gh.ambiguous.add("v1")
    for hub in (eh, th):
        with pytest.warns(UserWarning, match="The ref v1 is ambiguous. Perhaps it is both a tag"):
            assert hub.load("owner/name:v1", "model", 2, trust_repo=True) == {"a": 2, "b": 2}
        eh._remove_if_exists(os.path.join(hub.get_dir(), "owner_name_v1"))
    assert gh.downloads[:2] == ["https://github.com/owner/name/zipball/v1",
                                "https://github.com/owner/name/zipball/refs/heads/v1"]


@pytest.mark.parametrize("spec", ["noslash", "a/b/c", "a/b:c:d", "a:b"])
def test_github_bad_repo_strings(spec, hub_home, tmp_path, monkeypatch):
    FakeGitHub(tmp_path).install(monkeypatch)
    _texts(lambda: eh.load(spec, "model", trust_repo=True),
           lambda: th.load(spec, "model", trust_repo=True), ValueError)


def test_trust_prompt(tmp_path, hub_home, monkeypatch):
    hub_dir = str(hub_home / "hub")
    for hub in (eh, th):
        gh = FakeGitHub(tmp_path).install(monkeypatch, answers=["n", "maybe", "Y", "y"])
        with pytest.raises(Exception, match="^Untrusted repository.$"):
            hub.list("owner/name:v1")
        with pytest.raises(ValueError, match="^Unrecognized response maybe.$"):
            hub.list("owner/name:v1", trust_repo="check")
        assert hub.list("owner/name:v1") == ["model"]
        assert gh.prompts[0] == (
            "The repository owner_name does not belong to the list of trusted repositories and "
            "as such cannot be downloaded. Do you trust this repository and wish to add it to "
            "the trusted list of repositories (y/N)?")
        hub.list("owner/name:v1")  # trusted now: no prompt
        assert len(gh.prompts) == 3
        hub.list("owner/name:v1", trust_repo=False)  # always asks
        assert len(gh.prompts) == 4
        hub.list("pytorch/name:v1")  # a trusted owner
        assert len(gh.prompts) == 4
        assert open(os.path.join(hub_dir, "trusted_list")).read() == "owner_name\n"
        for name in os.listdir(hub_dir):
            eh._remove_if_exists(os.path.join(hub_dir, name))


def test_offline_default_branch(tmp_path, hub_home, monkeypatch):
    from urllib.error import URLError

    FakeGitHub(tmp_path).install(monkeypatch)

    def offline(url):
        raise URLError("no network")

    for hub in (eh, th):
        monkeypatch.setattr(hub, "urlopen", offline)
    hub_dir = hub_home / "hub"
    text = _texts(lambda: eh.list("owner/name", trust_repo=True),
                  lambda: th.list("owner/name", trust_repo=True), RuntimeError)
    assert text == ("It looks like there is no internet connection and the repo could not be "
                    f"found in the cache ({hub_dir})")
    _repo(hub_dir / "owner_name_master")  # a cached copy is used instead
    assert eh.list("owner/name", trust_repo=True) == th.list("owner/name", trust_repo=True) \
        == ["model"]


def test_github_token_is_sent_then_dropped(tmp_path, hub_home, monkeypatch):
    gh = FakeGitHub(tmp_path).install(monkeypatch)
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    seen = []

    def read_url(request):
        auth = request.get_header("Authorization")
        seen.append(auth)
        if auth is not None:  # a token without the permissions
            raise HTTPError(request.full_url, 403, "Forbidden", None, None)
        return gh.read_url(request)

    for hub in (eh, th):
        monkeypatch.setattr(hub, "_read_url", read_url)
        hub._validate_not_a_forked_repo("owner", "name", "v1")
    assert seen == ["token secret", None] * 2
