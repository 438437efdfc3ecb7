# CellCarbon service image: build the wheel and the background in one stage, run as non-root.
# Use with PostgreSQL by setting CELLCARBON_DATABASE_URL (see README, "Docker").

FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY lca ./lca
COPY data ./data
COPY migrations ./migrations
RUN pip install ".[scale]"
# The background is built at image build time so containers start ready (and read-only).
RUN CELLCARBON_BRIGHTWAY_DIR=/srv/brightway CELLCARBON_DATA_DIR=/src/data \
    cellcarbon background build

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 cellcarbon
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=cellcarbon /srv/brightway /srv/brightway
COPY --from=build /src /srv/cellcarbon
WORKDIR /srv/cellcarbon
ENV PATH=/opt/venv/bin:$PATH \
    CELLCARBON_BRIGHTWAY_DIR=/srv/brightway \
    CELLCARBON_DATA_DIR=/srv/cellcarbon/data \
    CELLCARBON_DATABASE_URL=sqlite:////home/cellcarbon/cellcarbon.db
USER cellcarbon
EXPOSE 8000
CMD ["sh", "-c", "cellcarbon db upgrade && cellcarbon serve --host 0.0.0.0 --port 8000"]
