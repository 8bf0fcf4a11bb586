FROM python:3.11-slim
WORKDIR /opt/reviewpulse
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY sql ./sql
COPY dags ./dags
# torch==2.13.0 is pinned; pass the PyTorch CPU wheel index as PIP_EXTRA_INDEX_URL to avoid CUDA wheels.
ARG PIP_EXTRA_INDEX_URL=""
RUN pip install --no-cache-dir -e .
ENV REVIEWPULSE_HOME=/data
VOLUME ["/data"]
CMD ["reviewpulse", "--help"]
