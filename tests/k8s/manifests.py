"""Render `deploy/k8s` overlays with kustomize and validate what comes out, offline: built-in kinds
against the Kubernetes OpenAPI schemas bundled by `kubernetes-validate`, custom resources against
their operator's CRD schema in `../shared/crds` (unknown fields are errors, as typos would be)."""

from __future__ import annotations

import copy
import functools
import importlib.util
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
CRDS = ROOT / ".." / "shared" / "crds"  # beside the project, never copied into it
KUBERNETES_VERSION = "1.32"


def kustomize(path: Path) -> str:
    kubectl = shutil.which("kubectl")
    if kubectl:
        command = [kubectl, "kustomize", str(path)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(path)]
    else:
        raise RuntimeError("kubectl (or kustomize) is needed to render deploy/k8s")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"kustomize failed for {path}:\n{done.stderr}")
    return done.stdout


@functools.cache
def _rendered(overlay: str) -> tuple[dict, ...]:
    return tuple(d for d in yaml.safe_load_all(kustomize(K8S / "overlays" / overlay)) if d)


def render(overlay: str) -> list[dict]:
    """The objects of an overlay, a fresh copy each call (tests may mutate it)."""
    return copy.deepcopy(list(_rendered(overlay)))


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict], kind: str, name: str) -> dict:
    [found] = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    return found


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- schemas -------------------------------------------------------------------------------------


def _closed(schema):
    """The schema with `additionalProperties: false` wherever properties are listed and the CRD does
    not keep unknown fields: Kubernetes would silently prune a misspelt field, we refuse it."""
    if isinstance(schema, list):
        return [_closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _closed(v) for k, v in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> the served version's openAPIV3Schema, for every CRD in ../shared/crds."""
    schemas = {}
    for path in sorted(CRDS.rglob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schema = _closed(version["schema"]["openAPIV3Schema"])
                    schema["properties"]["metadata"] = {"type": "object"}
                    # Some CRDs (Keycloak's) leave out the two fields every object has.
                    schema["properties"].setdefault("apiVersion", {"type": "string"})
                    schema["properties"].setdefault("kind", {"type": "string"})
                    schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def schema_errors(obj: dict) -> list[str]:
    """Why the object is not valid for its kind ([] when it is)."""
    where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    crd = crd_schemas().get((obj.get("apiVersion"), obj.get("kind")))
    if crd is not None:
        validator = jsonschema.Draft7Validator(crd)
        return [f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [
            f"{where}: no schema for {obj.get('apiVersion')} {obj.get('kind')} (neither Kubernetes nor ../shared/crds)"
        ]
    except kubernetes_validate.ValidationError as exc:
        return [f"{where}: {'/'.join(map(str, exc.path))}: {exc.message}"]
    return []
