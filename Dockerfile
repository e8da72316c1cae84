# syntax=docker/dockerfile:1
# One image for every hubnet service; the command chooses which one runs (the Kubernetes
# Deployments set `command: ["hubnet-referrals"]`, `["hubnet-events"]`, `["hubnet-notifications"]`;
# `hubnet` is the operators' command line). Build: docker build -t hubnet:0.1.0 .
#   docker run --rm hubnet:0.1.0 hubnet-referrals

# --- build: a virtualenv with the packages and exactly the third-party versions of requirements.lock
FROM python:3.11.14-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /src
RUN uv venv /opt/venv --python /usr/local/bin/python3.11
COPY requirements.lock ./
COPY libs/common libs/common
COPY services/referrals services/referrals
COPY services/events services/events
COPY services/notifications services/notifications
# Non-editable installs of our four packages; their dependencies resolve only to the versions
# pinned in requirements.lock (the lock's test-only tools are not installed).
RUN uv pip install --python /opt/venv/bin/python --no-cache --constraint requirements.lock \
        ./libs/common ./services/referrals ./services/events ./services/notifications

# --- runtime: the virtualenv on a slim Python, no uv, pip or build tools, a numeric non-root user
FROM python:3.11.14-slim-bookworm
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --gid 10001 hubnet \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hubnet
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HUBNET_HTTP_HOST=0.0.0.0 \
    HUBNET_HTTP_PORT=8080
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080
# No ENTRYPOINT: the container's command is the service (Kubernetes `command`, `docker run IMAGE CMD`).
CMD ["hubnet", "--help"]
