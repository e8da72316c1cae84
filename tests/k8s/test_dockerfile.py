"""Light static checks of the service image (no Docker engine needed) and of what the
Deployments run in it."""

import re
import tomllib

from tests.k8s.manifests import OVERLAYS, ROOT, of_kind, render

DOCKERFILE = (ROOT / "Dockerfile").read_text()
STAGES = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]


def test_multi_stage_with_pinned_bases():
    assert len(STAGES) >= 2
    for base in re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.M) + re.findall(r"--from=(\S+:\S+)", DOCKERFILE):
        _name, _, tag = base.partition(":")
        assert tag and tag != "latest" and re.search(r"\d", tag), base


def test_final_stage_runs_as_a_numeric_non_root_user_without_build_tools():
    final = STAGES[-1]
    [user] = re.findall(r"^USER (\S+)", final, flags=re.M)
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    assert "/usr/local/bin/uv" not in final and "uv pip" not in final
    assert not re.search(r"apt-get install|build-essential|gcc", final)
    assert "COPY --from=build /opt/venv /opt/venv" in final


def test_installs_from_the_lock_non_editable():
    build = STAGES[0]
    assert "requirements.lock" in build and " -e " not in build
    for package in ("libs/common", "services/referrals", "services/events", "services/notifications"):
        assert f"./{package}" in build


def test_every_deployment_command_is_a_script_of_the_image():
    scripts = set()
    for pyproject in [ROOT / "libs/common/pyproject.toml", *ROOT.glob("services/*/pyproject.toml")]:
        scripts |= set(tomllib.loads(pyproject.read_text())["project"]["scripts"])
    for overlay in OVERLAYS:
        for deployment in of_kind(render(overlay), "Deployment"):
            for container in deployment["spec"]["template"]["spec"]["containers"]:
                assert container["command"][0] in scripts
                uid = deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
                assert f"USER {uid}:" in STAGES[-1]


def test_packages_come_only_from_the_lock_with_no_index_named():
    files = [
        ROOT / "Dockerfile",
        ROOT / ".dockerignore",
        ROOT / "requirements.lock",
        *(ROOT / "deploy" / "k8s").rglob("*.*"),
    ]
    for path in files:
        if path.is_file():
            text = path.read_text()
            assert "index-url" not in text and "find-links" not in text, path  # the installer's default index
