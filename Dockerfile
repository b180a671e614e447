# Railway builds this image for both services (web and worker); Chromium and FFmpeg come
# from Debian so the worker can render.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CHROMIUM_PATH=/usr/bin/chromium APP_ENV=production \
    PROXY_HOPS=1
# Allocations of 1 MB and more (argon2's 19 MiB per password hash) go back to the system when
# freed instead of staying in a per-thread arena (docs/RELIABILITY.md, "Soak").
ENV MALLOC_MMAP_THRESHOLD_=1048576
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium ffmpeg fonts-dejavu-core fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home waveframe && chown -R waveframe /app
USER waveframe

ENV FLASK_APP=wsgi.py
EXPOSE 8000
CMD ["sh", "-c", "gunicorn wsgi:app --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-2} --threads 4 --timeout 120 --forwarded-allow-ips='*' --access-logfile -"]
