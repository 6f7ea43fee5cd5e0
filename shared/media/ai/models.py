"""The two ONNX models the local engines run, behind small interfaces.

Both ship inside their wheels (nudenet: ``320n.onnx``; rapidocr-onnxruntime: PP-OCRv4 detection and
recognition), so nothing is downloaded at run time. Each is created on first use and kept for the
life of the process: a warm function instance pays the load once.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol

import numpy as np

# nudenet classes that make a frame porn or sexy (MPS Porn labels); the others (faces, feet, belly,
# armpits, covered buttocks...) say nothing about nudity.
NUDENET_LABELS: dict[str, str] = {
    "FEMALE_GENITALIA_EXPOSED": "porn",
    "MALE_GENITALIA_EXPOSED": "porn",
    "ANUS_EXPOSED": "porn",
    "FEMALE_BREAST_EXPOSED": "porn",
    "BUTTOCKS_EXPOSED": "sexy",
    "FEMALE_GENITALIA_COVERED": "sexy",
    "FEMALE_BREAST_COVERED": "sexy",
    "ANUS_COVERED": "sexy",
}


@dataclass(frozen=True)
class Detection:
    label: str  # the model's class name
    score: float  # 0-1
    box: tuple[int, int, int, int]  # x, y, width, height in the analysed image


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float  # 0-1
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the analysed image


class NudityDetector(Protocol):
    name: str

    def detect(self, image_bgr: np.ndarray) -> list[Detection]: ...


class TextReader(Protocol):
    name: str

    def read(self, image_bgr: np.ndarray) -> list[TextLine]: ...


def onnx_threads(configured: int = 0) -> int:
    """Threads per model run: ``configured`` (the ``onnx_threads`` setting), else the cores (at most 4)."""
    return configured if configured > 0 else max(1, min(4, os.cpu_count() or 1))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


class NudeNetDetector:
    def __init__(self, threads: int = 0) -> None:
        import nudenet
        import onnxruntime
        from nudenet import NudeDetector

        self.name = f"nudenet-{_version('nudenet')}/320n"
        detector = NudeDetector()
        # Rebuild the session with bounded threads (nudenet's own uses every core and logs warnings).
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = onnx_threads(threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        model = os.path.join(os.path.dirname(nudenet.__file__), "320n.onnx")  # inside the wheel
        detector.onnx_session = onnxruntime.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._detector = detector
        self._lock = threading.Lock()

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        with self._lock:
            found = self._detector.detect(image_bgr)
        return [
            Detection(d["class"], float(d["score"]), tuple(int(v) for v in d["box"]))  # type: ignore[arg-type]
            for d in found
        ]


class RapidOcrReader:
    def __init__(self, long_side: int = 960, threads: int = 0) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.name = f"rapidocr-onnxruntime-{_version('rapidocr-onnxruntime')}/PP-OCRv4"
        threads = onnx_threads(threads)
        self._ocr: Any = RapidOCR(
            det_limit_type="max",
            det_limit_side_len=long_side,
            use_cls=False,
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            print_verbose=False,
        )
        self._lock = threading.Lock()

    def read(self, image_bgr: np.ndarray) -> list[TextLine]:
        with self._lock:
            found, _elapsed = self._ocr(image_bgr, use_cls=False)
        lines = []
        for box, text, score in found or []:
            xs = [p[0] for p in box]
            ys = [p[1] for p in box]
            text = str(text).strip()
            if text:
                lines.append(TextLine(text, float(score), (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys)))))
        return lines


_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _singleton(key: str, factory: Any) -> Any:
    with _models_lock:
        if key not in _models:
            _models[key] = factory()
        return _models[key]


def nudity_detector(threads: int = 0) -> NudityDetector:
    """The process-wide nudity detector, loaded on first use (``threads``: see ``onnx_threads``)."""
    return _singleton(f"nudenet/{threads}", lambda: NudeNetDetector(threads))


def text_reader(threads: int = 0) -> TextReader:
    """The process-wide OCR, loaded on first use (``threads``: see ``onnx_threads``)."""
    return _singleton(f"ocr/{threads}", lambda: RapidOcrReader(threads=threads))


def load_bgr(path: Any) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"cannot read the frame {path}")
    return image


# A frame is "the same picture" as the last analysed one when at most this share of the pixels of a
# 160x90 thumbnail changed by more than _PIXEL_CHANGE levels: its model results can be reused.
_SAME_SHARE = 0.001
_PIXEL_CHANGE = 24


def thumbnail(image_bgr: np.ndarray) -> np.ndarray:
    import cv2

    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (160, 90), interpolation=cv2.INTER_AREA).astype(np.int16)


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    changed = np.count_nonzero(np.abs(a - b) > _PIXEL_CHANGE)
    return bool(changed <= _SAME_SHARE * a.size)
