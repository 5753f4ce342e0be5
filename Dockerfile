# serviceflow: the worker and the webhook receiver from one image, with the helpdesk plugins (Zendesk, Freshdesk, Help Scout)
# and the otel extra (tracing, on when SERVICEFLOW_OTEL_ENDPOINT is set).
#
#   docker build -t serviceflow .
#   docker run serviceflow worker            # the default command
#   docker run -p 8400:8400 serviceflow serve --host 0.0.0.0 --port 8400
#
# Configuration is SERVICEFLOW_* variables (see `serviceflow settings` and docs/production.md).
# The image holds the shipped policies at /app/policies and /app/workflows; mount your own over
# them (compose) or from a ConfigMap (deploy/k8s) and point SERVICEFLOW_POLICIES at them.
#
# Pinned base: a full Python version on a named Debian release. Pin the digest too
# (python:3.12.8-slim-bookworm@sha256:...) in your registry's copy; not done here because no
# registry can be reached from where this file was written (UNVERIFIED: never built here).
ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm

# -- build: wheels of serviceflow and its plugins, installed into a virtual environment ------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY plugins/zendesk/pyproject.toml plugins/zendesk/README.md ./plugins/zendesk/
COPY plugins/zendesk/src ./plugins/zendesk/src
COPY plugins/freshdesk/pyproject.toml plugins/freshdesk/README.md ./plugins/freshdesk/
COPY plugins/freshdesk/src ./plugins/freshdesk/src
COPY plugins/helpscout/pyproject.toml plugins/helpscout/README.md ./plugins/helpscout/
COPY plugins/helpscout/src ./plugins/helpscout/src
RUN python -m venv /opt/serviceflow \
 && /opt/serviceflow/bin/pip install '.[otel]' ./plugins/zendesk ./plugins/freshdesk ./plugins/helpscout \
 && /opt/serviceflow/bin/serviceflow plugins

# -- run: the virtual environment and the shipped policies, as an unprivileged user -----------
FROM ${PYTHON_IMAGE} AS run
ENV PATH=/opt/serviceflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SERVICEFLOW_POLICIES='["/app/policies", "/app/workflows"]' \
    SERVICEFLOW_LOG_FORMAT=json
RUN groupadd --system --gid 10001 serviceflow \
 && useradd --system --uid 10001 --gid serviceflow --home-dir /app --shell /usr/sbin/nologin serviceflow
COPY --from=build /opt/serviceflow /opt/serviceflow
WORKDIR /app
COPY --chown=serviceflow:serviceflow policies ./policies
COPY --chown=serviceflow:serviceflow workflows ./workflows
USER 10001:10001
# 8400: the receiver (serve --port 8400). 9464: the worker's /metrics, /healthz, /readyz
# (SERVICEFLOW_METRICS_PORT). 9465: the Temporal SDK's metrics (SERVICEFLOW_TEMPORAL_METRICS_PORT).
EXPOSE 8400 9464 9465
ENTRYPOINT ["serviceflow"]
CMD ["worker"]
