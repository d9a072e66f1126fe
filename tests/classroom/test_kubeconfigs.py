"""The live class test's shared kubeconfig keeps working when written to another folder."""
import yaml

from tests.classroom.kubeconfigs import contexts_sharing


def test_relative_file_paths_still_point_at_the_source_kubeconfigs_folder(tmp_path, monkeypatch):
    home = tmp_path / "kube"
    home.mkdir()
    source = home / "config"
    source.write_text(yaml.safe_dump({
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443",
                                               "certificate-authority": "pki/ca.crt"}}],
        "users": [{"name": "u", "user": {"client-certificate": "pki/u.crt", "client-key": "/abs/u.key",
                                         "tokenFile": "token", "exec": {"command": "./bin/auth",
                                                                        "apiVersion": "x"}}}],
        "contexts": [{"name": "harness", "context": {"cluster": "c", "user": "u"}}]}))
    monkeypatch.setenv("KUBECONFIG", str(source))
    out = yaml.safe_load(contexts_sharing(tmp_path / "elsewhere.yaml", "harness", ["a", "b"]).read_text())
    cluster, user = out["clusters"][0]["cluster"], out["users"][0]["user"]
    assert cluster["certificate-authority"] == str(home / "pki/ca.crt")
    assert user["client-certificate"] == str(home / "pki/u.crt") and user["client-key"] == "/abs/u.key"
    assert user["tokenFile"] == str(home / "token") and user["exec"]["command"] == str(home / "bin/auth")
    assert [c["name"] for c in out["contexts"]] == ["a", "b"]
    assert all(c["context"] == {"cluster": "c", "user": "u"} for c in out["contexts"])
