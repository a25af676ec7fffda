# The app, the Hugging Face Spaces way: non-root user 1000, port 7860, weights baked in.
#   docker build -t pix2pix . && docker run -p 7860:7860 pix2pix
#   docker build --build-arg TORCH_INDEX=cu128 -t pix2pix-cuda .   # a CUDA build of torch
FROM python:3.11-slim

# Which PyTorch wheel index to take torch from: "cpu" (small, the default) or a CUDA one (cu128, ...).
ARG TORCH_INDEX=cpu

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False \
    HF_HOME=/home/user/.cache/huggingface

RUN useradd --create-home --uid 1000 user
WORKDIR /home/user/app

COPY --chown=user requirements.txt ./
RUN pip install --extra-index-url "https://download.pytorch.org/whl/${TORCH_INDEX}" -r requirements.txt

COPY --chown=user app.py fair_share.py ./
COPY --chown=user model/ model/
COPY --chown=user canvas/ canvas/
COPY --chown=user weights/ weights/
COPY --chown=user examples/ examples/

USER user
EXPOSE 7860
CMD ["python", "app.py"]
