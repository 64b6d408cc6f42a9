"""``aae explore RUN``: a local page to walk the latent space of a trained run.

The page shows the held-out codes (the first two dimensions) as a scatter; moving the pointer
over the plane decodes that point live. Codes with more than two dimensions get a slider for
every dimension (the pointer sets the first two); models whose decoder reads a label get a label
picker. The server binds to 127.0.0.1 only; every request is validated, and a malformed one gets
a 4xx answer with a one-line reason.

Endpoints: ``GET /`` (the page), ``GET /info`` (JSON: dimensions, labels, codes of held-out
images, axis ranges), ``GET /decode?z=0.1,-2&label=3`` (a PNG of the decoded image).
"""

from __future__ import annotations

import io
import json
import math
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import torch
from matplotlib.figure import Figure

from torch_aae.semi import LabelDecoding

MAX_QUERY = 2048  # longest query string accepted


class RequestError(ValueError):
    """A malformed request; its message is sent back with a 400."""


class Explorer:
    """What the server needs: the model, held-out codes and their labels."""

    def __init__(self, model, codes: np.ndarray, labels: np.ndarray | None, image_shape):
        self.model = model.eval()
        self.codes, self.labels = codes, labels
        self.image_shape = tuple(image_shape) if image_shape else None
        self.dim = int(model.latent_dim)
        self.n_labels = int(model.n_classes) if isinstance(model, LabelDecoding) else 0
        self.lock = threading.Lock()  # one decode at a time: torch modules are not re-entrant

    def info(self) -> dict[str, Any]:
        lo = np.percentile(self.codes, 0.5, axis=0)
        hi = np.percentile(self.codes, 99.5, axis=0)
        return {
            "dim": self.dim,
            "n_labels": self.n_labels,
            "image_shape": self.image_shape,
            "low": lo.round(4).tolist(),
            "high": hi.round(4).tolist(),
            "codes": self.codes[:, :2].round(4).tolist(),
            "labels": None if self.labels is None else self.labels.tolist(),
        }

    def parse(self, query: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``z=..&label=..`` -> (z of shape (1, dim), label of shape (1,) or None)."""
        if len(query) > MAX_QUERY:
            raise RequestError(f"query longer than {MAX_QUERY} characters")
        try:
            params = parse_qs(query, strict_parsing=True, max_num_fields=4)
        except ValueError as err:
            raise RequestError(f"malformed query: {err}") from None
        unknown = set(params) - {"z", "label"}
        if unknown:
            raise RequestError(f"unknown parameter(s) {sorted(unknown)}; use z and label")
        if "z" not in params or len(params["z"]) != 1:
            raise RequestError("give exactly one z=<comma-separated numbers>")
        try:
            values = [float(v) for v in params["z"][0].split(",")]
        except ValueError:
            raise RequestError("z must be comma-separated numbers") from None
        if len(values) != self.dim:
            raise RequestError(f"z has {len(values)} numbers; this model's code has {self.dim}")
        if not all(math.isfinite(v) and abs(v) <= 1e4 for v in values):
            raise RequestError("z must be finite numbers of magnitude at most 1e4")
        label = None
        if self.n_labels:
            raw = params.get("label", ["0"])
            if len(raw) != 1 or not raw[0].isdigit() or int(raw[0]) >= self.n_labels:
                raise RequestError(f"label must be an integer in 0..{self.n_labels - 1}")
            label = torch.tensor([int(raw[0])])
        elif "label" in params:
            raise RequestError("this model does not read a label")
        return torch.tensor([values], dtype=torch.float32), label

    @torch.no_grad()
    def decode_png(self, z: torch.Tensor, label: torch.Tensor | None) -> bytes:
        with self.lock:
            x = self.model.decode(z, label) if label is not None else self.model.decode(z)
        img = x[0].numpy()
        shape = self.image_shape or (1, img.size)
        fig = Figure(figsize=(2.8, 2.8 * shape[0] / shape[1] if shape[0] > 1 else 0.6), dpi=100)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(img.reshape(shape), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()


def _handler(explorer: Explorer) -> type[BaseHTTPRequestHandler]:
    page = (Path(__file__).parent / "explore.html").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet: the terminal shows only the address
            pass

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: HTTPStatus, reason: str) -> None:
            self._send(status, (reason + "\n").encode(), "text/plain; charset=utf-8")

        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            url = urlsplit(self.path)
            if url.path == "/" and not url.query:
                self._send(200, page, "text/html; charset=utf-8")
            elif url.path == "/info" and not url.query:
                self._send(200, json.dumps(explorer.info()).encode(), "application/json")
            elif url.path == "/decode":
                try:
                    z, label = explorer.parse(url.query)
                except RequestError as err:
                    self._error(HTTPStatus.BAD_REQUEST, str(err))
                    return
                self._send(200, explorer.decode_png(z, label), "image/png")
            else:
                self._error(HTTPStatus.NOT_FOUND, f"no such page: {url.path}")

        def _refuse(self) -> None:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "only GET is served")

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    return Handler


def make_server(explorer: Explorer, port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 (never another interface); ``port=0`` picks a free one."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(explorer))
    server.daemon_threads = True
    return server


def explorer_for_run(run_dir: str | Path, data_dir: str | None = None, n: int = 2000) -> Explorer:
    """Load a run's model and the codes of its first ``n`` held-out images."""
    from torch_aae.run import load_model, read_run
    from torch_aae.training.data import load_data

    cfg, _ = read_run(run_dir)
    if data_dir:
        cfg = cfg.replace(**{"data.data_dir": data_dir})
    data = load_data(cfg.data, cfg.train.seed)
    held_out = data.test if data.test is not None else data.val
    model = load_model(run_dir)
    with torch.no_grad():
        codes = torch.cat([model.encode(b, sample=False).z for b in held_out.x[:n].split(1000)])
    labels = None if held_out.y is None else held_out.y[:n].numpy()
    return Explorer(model, codes.numpy(), labels, data.image_shape)
