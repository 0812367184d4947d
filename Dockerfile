# The image that compose.yaml runs as the web, the workers, beat and the one-off migrate step.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 AUTOSALES_VAR_DIR=/var/lib/autosales
WORKDIR /srv/autosales
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir '.[production]' \
    && useradd --system --home-dir /srv/autosales autosales \
    && mkdir -p /var/lib/autosales && chown autosales:autosales /var/lib/autosales
USER autosales
EXPOSE 8000
CMD ["gunicorn", "autosales.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
