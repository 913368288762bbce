# hedgebot in a container: one image for the bot (`hedgebot run`, the default) and its watchdog (`hedgebot watchdog`),
# each in a container of its own sharing the /data volume. See the README's "Running it as a service" and
# deploy/compose.yaml. Build: docker build -t hedgebot .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
# The pinned dependencies first (a layer that changes only with them), then the project.
COPY pyproject.toml README.md LICENSE ./
COPY scripts/constraints.txt scripts/constraints.txt
COPY bot bot
COPY policies policies
COPY hedgesim hedgesim
RUN pip install -c scripts/constraints.txt . \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /data hedgebot \
    && mkdir -p /data /config \
    && chown hedgebot:hedgebot /data

# The configuration is mounted read-only at /config; the journal and the kill-switch file live on the /data volume,
# shared with the watchdog's container. API keys come from the environment (--env-file) or a secrets file: never
# from the image or the configuration.
ENV HEDGEBOT_CONFIG=/config/hedgebot.toml \
    HEDGEBOT_JOURNAL__PATH=/data/hedgebot-journal.sqlite \
    HEDGEBOT_RISK__KILL_SWITCH_FILE=/data/hedgebot.halt
USER hedgebot
WORKDIR /data
VOLUME ["/data"]

# SIGTERM (docker stop) stops the bot cleanly: our resting orders cancelled, positions kept, exit 0. Give it time:
# docker stop -t 90 (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["hedgebot", "--log-format", "json"]
CMD ["run", "--approve", "auto"]
