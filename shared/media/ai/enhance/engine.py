"""Audio/video enhancement (音视频增强): template switches mapped to ffmpeg filters.

Video, in this order: deinterlace (bwdif) -> stabilise (vid.stab, two passes) -> denoise (hqdn3d or
nlmeans) -> frame-rate up-conversion (minterpolate) -> 2x super-resolution (lanczos + contrast
adaptive sharpening) -> sharpen (unsharp) -> colour (eq). Audio: denoise (afftdn) -> volume balance
(dynaudnorm) -> loudness normalisation (loudnorm, two passes, linear when the peak allows).
A stream no switch touches is copied as it is.

The output is ``{stem}.mp4`` (H.264/AAC) with full metadata; the result holds before/after
measurements of what changed, each taken the same way on the input and on the output: a noise
estimate (Immerkaer's method on luma away from edges, at the input's size), EBU R128 loudness, the
camera shake (jitter of the global motion path) when stabilising, and size and frame rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shared.domain import media_errors
from shared.domain.ai_templates import EnhanceParams
from shared.domain.errors import MediaError
from shared.media.ai.decode import filter_path, fit_size, grab_frames, rate_text, run_decode
from shared.media.ai.loudness import measure_loudness, parse_loudnorm_json
from shared.media.ai.ports import EnhanceEngine, engine_for, register_engine
from shared.media.ai.run import MISSING_AUDIO, Deadline, compact, r3, result_file, start_run
from shared.media.contract import EngineResult, OutputFile, Progress
from shared.media.ffmpeg.argv import base_argv
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.ffmpeg.runner import ffmpeg_exe, run_ffmpeg
from shared.media.outputs import check_complete, md5_file, probe_output, publish, work_dir

MAX_OUTPUT_LONG_SIDE = 4096
MAX_OUTPUT_SHORT_SIDE = 2304
NOISE_FRAMES = 8
NOISE_LONG_SIDE = 1280
SHAKE_LONG_SIDE = 160
SHAKE_MAX_FPS = 30.0
SHAKE_MIN_RESPONSE = 0.2  # phase-correlation peak below which a step's motion is not trusted

# Denoise strength follows the noise measured on the input (sigma, 8-bit levels): the level picks a
# multiple of it, with a floor so a clean-looking input still gets the level's usual strength.
DENOISE_MULTIPLE = {"weak": 0.6, "normal": 1.0, "strong": 1.5}
HQDN3D_FLOOR = {"weak": 2.0, "normal": 4.0, "strong": 8.0}  # luma spatial (hqdn3d's default is 4)
HQDN3D_MAX = 40.0
NLMEANS_FLOOR = {"weak": 1.5, "normal": 3.0, "strong": 5.0}
NLMEANS_PATCH = {"weak": "p=5:r=9", "normal": "p=7:r=9", "strong": "p=7:r=11"}
SHARPEN = {"weak": "unsharp=5:5:0.5:5:5:0", "normal": "unsharp=5:5:1.0:5:5:0", "strong": "unsharp=5:5:1.5:5:5:0"}
COLOR = {
    "weak": "eq=contrast=1.03:saturation=1.12",
    "normal": "eq=contrast=1.06:saturation=1.25",
    "strong": "eq=contrast=1.10:saturation=1.45:gamma=1.02",
}
AUDIO_DENOISE = {
    "weak": "afftdn=nr=6:nf=-50:tn=1",
    "normal": "afftdn=nr=12:nf=-45:tn=1",
    "strong": "afftdn=nr=24:nf=-40:tn=1",
}
VOLUME_BALANCE = "dynaudnorm=f=200:g=15:p=0.9"
_COPY_VIDEO = ("h264", "hevc", "av1", "mpeg4", "vp9")
_COPY_AUDIO = ("aac", "mp3", "opus", "ac3", "eac3", "alac", "flac")
_INTERPOLATE = {
    "mci": "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1",
    "blend": "minterpolate=fps={fps}:mi_mode=blend",
    "dup": "fps={fps}",
}


@dataclass
class Plan:
    """What will run: filters per stream, what was left out and why."""

    video: list[tuple[str, str]] = field(default_factory=list)  # (operation, filter)
    audio: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    stabilize: bool = False
    loudnorm: bool = False
    out_size: tuple[int, int] | None = None
    out_fps: float | None = None


def plan_enhancement(params: EnhanceParams, info: MediaInfo) -> Plan:
    """The filters for ``params`` on this input (pure; vid.stab and loudnorm get their pass-1 data later)."""
    plan = Plan()
    video_ops, audio_ops = params.video_operations(), params.audio_operations()
    if info.video is None:
        plan.skipped += [{"name": op, "reason": "the input has no video stream"} for op in video_ops]
        video_ops = []
    if info.audio is None:
        plan.skipped += [{"name": op, "reason": "the input has no audio stream"} for op in audio_ops]
        audio_ops = []
    if not video_ops and not audio_ops:
        if params.video_operations() and info.video is None:
            raise MediaError(
                "the input has no video stream, and this template only enhances video", code=media_errors.MEDIA_NO_VIDEO
            )
        raise MediaError("the input has no audio stream, and this template only enhances audio", code=MISSING_AUDIO)
    if info.video is not None:
        w, h = info.display_width, info.display_height
        fps = info.video.fps or 25.0
        for op in video_ops:
            if op == "deinterlace":
                deint = "interlaced" if params.deinterlace == "auto" else "all"
                plan.video.append((op, f"bwdif=mode=send_frame:parity=auto:deint={deint}"))
            elif op == "stabilize":
                plan.stabilize = True
                plan.video.append((op, "vidstabtransform"))  # filled in once pass 1 wrote its transforms
            elif op == "denoise":
                plan.video.append((op, params.denoise_method))  # strength set from the measured noise
            elif op == "frame_rate":
                if params.frame_rate <= fps + 0.01:
                    plan.skipped.append(
                        {
                            "name": op,
                            "reason": f"the source already has {fps:g} fps; frame-rate "
                            "conversion only interpolates upwards",
                        }
                    )
                    continue
                plan.out_fps = float(params.frame_rate)
                plan.video.append((op, _INTERPOLATE[params.frame_interpolation].format(fps=params.frame_rate)))
            elif op == "super_resolution":
                factor = min(2.0, MAX_OUTPUT_LONG_SIDE / max(w, h), MAX_OUTPUT_SHORT_SIDE / max(1, min(w, h)))
                if factor < 1.2:
                    plan.skipped.append(
                        {
                            "name": op,
                            "reason": f"{w}x{h} is already at the output size limit "
                            f"({MAX_OUTPUT_LONG_SIDE} px long side)",
                        }
                    )
                    continue
                tw, th = max(2, int(w * factor) // 2 * 2), max(2, int(h * factor) // 2 * 2)
                plan.out_size = (tw, th)
                plan.video.append((op, f"scale={tw}:{th}:flags=lanczos+accurate_rnd+full_chroma_int,cas=strength=0.4"))
            elif op == "sharpen":
                plan.video.append((op, SHARPEN[params.sharpen]))
            elif op == "color_enhance":
                plan.video.append((op, COLOR[params.color_enhance]))
    for op in audio_ops:
        if op == "audio_denoise":
            plan.audio.append((op, AUDIO_DENOISE[params.audio_denoise]))
        elif op == "volume_balance":
            plan.audio.append((op, VOLUME_BALANCE))
        elif op == "loudness_normalize":
            plan.loudnorm = True
            plan.audio.append((op, "loudnorm"))  # filled in once pass 1 measured the input
    if not plan.video and not plan.audio:
        raise MediaError(
            "nothing in this template applies to this input: " + "; ".join(s["reason"] for s in plan.skipped),
            code=media_errors.MEDIA_NO_VIDEO,
        )
    return plan


def denoise_filter(params: EnhanceParams, sigma: float | None) -> str:
    """hqdn3d / nlmeans with a strength proportional to the measured noise ``sigma``."""
    level = params.denoise
    estimate = DENOISE_MULTIPLE[level] * (sigma or 0.0)
    if params.denoise_method == "nlmeans":
        strength = min(30.0, max(NLMEANS_FLOOR[level], 0.6 * estimate))
        return f"nlmeans=s={strength:.2f}:{NLMEANS_PATCH[level]}"
    luma = min(HQDN3D_MAX, max(HQDN3D_FLOOR[level], estimate))
    # hqdn3d's own ratios: chroma spatial 3/4 of luma, temporal 1.5x spatial.
    return f"hqdn3d={luma:.2f}:{luma * 0.75:.2f}:{luma * 1.5:.2f}:{luma * 1.125:.2f}"


def loudnorm_filter(params: EnhanceParams, measured: dict[str, Any] | None = None) -> str:
    base = f"loudnorm=I={params.loudness_target:g}:TP={params.true_peak:g}:LRA={params.loudness_range:g}"
    if measured is None:
        return base + ":print_format=json"
    return (
        base + f":measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
        f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
        f":offset={measured['target_offset']}:linear=true:print_format=json"
    )


def _output_rate(info: MediaInfo) -> int:
    rate = info.audio.sample_rate if info.audio else 0
    return rate if 8000 <= rate <= 48000 else 48000


# --- measurements --------------------------------------------------------------------------------


def noise_sigma(gray: np.ndarray) -> float:
    """Immerkaer's fast noise estimate (standard deviation in 8-bit levels) away from strong edges."""
    import cv2

    f = gray.astype(np.float32)
    if f.shape[0] < 8 or f.shape[1] < 8:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    residual = np.abs(cv2.filter2D(f, cv2.CV_32F, kernel))[1:-1, 1:-1]
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)[1:-1, 1:-1]
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)[1:-1, 1:-1]
    magnitude = np.abs(gx) + np.abs(gy)
    flat = magnitude <= np.percentile(magnitude, 90)
    values = residual[flat] if np.any(flat) else residual
    return float(math.sqrt(math.pi / 2) / 6.0 * values.mean())


def measure_noise(
    src: Path, info: MediaInfo, size: tuple[int, int], times: list[float], work: Path, prefix: str, deadline: Deadline
) -> list[float]:
    """Noise estimate of the frames at ``times``, each scaled (area) to ``size`` first."""
    w, h = size
    paths = grab_frames(
        src, info, times, work, prefix, deadline=deadline, raw_gray=True, vf=f"scale={w}:{h}:flags=area,format=gray"
    )
    sigmas = []
    for path in paths:
        data = np.fromfile(path, dtype=np.uint8)
        if data.size != w * h:
            raise MediaError("a frame could not be decoded for measuring", code=media_errors.MEDIA_TRUNCATED)
        sigmas.append(round(noise_sigma(data.reshape(h, w)), 4))
        path.unlink()
    return sigmas


def shake_from_frames(frames: np.ndarray, rate: float) -> dict[str, float | int | None]:
    """Camera shake from the global motion between consecutive frames (phase correlation).

    ``jitter``: RMS of the frame-to-frame motion minus its 1 s running average, in percent of the
    picture's long side per frame: a steady pan scores 0, a shaking camera high. Steps whose correlation is weak
    (scene cuts, moving objects, flat pictures) are left out rather than guessed.
    """
    import cv2

    n = len(frames)
    height, width = frames.shape[1:3] if n else (0, 0)
    if n < 3:
        return {"jitter": None, "mean_motion": None, "steps_used": 0}
    window = cv2.createHanningWindow((width, height), cv2.CV_64F)
    moves = np.full((n - 1, 2), np.nan)
    textured = frames.reshape(n, -1).std(axis=1) >= 2.0  # a flat picture shows no motion at all
    prev = frames[0].astype(np.float64)
    for i in range(1, n):
        cur = frames[i].astype(np.float64)
        if textured[i - 1] and textured[i]:
            (dx, dy), response = cv2.phaseCorrelate(prev, cur, window)
            if response >= SHAKE_MIN_RESPONSE and abs(dx) <= 0.15 * width and abs(dy) <= 0.15 * height:
                moves[i - 1] = (dx, dy)
        prev = cur
    valid = ~np.isnan(moves[:, 0])
    if valid.sum() < 3:
        return {"jitter": None, "mean_motion": None, "steps_used": int(valid.sum())}
    filled = np.where(valid[:, None], moves, 0.0)
    k = max(3, int(round(rate)) | 1)
    pad = k // 2
    padded = np.pad(filled, ((pad, pad), (0, 0)), mode="edge")
    smooth = np.stack([np.convolve(padded[:, c], np.ones(k) / k, mode="valid") for c in range(2)], axis=1)
    residual = (filled - smooth)[valid]
    jitter = float(np.sqrt((residual**2).sum(axis=1).mean()))
    side = max(width, height)
    return {
        "jitter": round(100.0 * jitter / side, 4),
        "mean_motion": round(100.0 * float(np.linalg.norm(moves[valid], axis=1).mean()) / side, 4),
        "steps_used": int(valid.sum()),
    }


def measure_shake(
    src: Path, info: MediaInfo, work: Path, prefix: str, deadline: Deadline, on_progress: Progress | None
) -> dict[str, float | int | None]:
    fps = min(info.video.fps if info.video and info.video.fps else 25.0, SHAKE_MAX_FPS)
    w, h = fit_size(info.display_width, info.display_height, SHAKE_LONG_SIDE)
    raw = work / f"{prefix}.gray"
    argv = base_argv(ffmpeg_exe()) + [
        "-i",
        str(src),
        "-map",
        "0:V:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        f"fps={rate_text(fps)},scale={w}:{h}:flags=area,format=gray",
        "-f",
        "rawvideo",
        str(raw),
    ]
    run_decode(
        argv, deadline, duration_hint=info.video_end or None, on_progress=on_progress, what="measuring camera shake"
    )
    data = np.fromfile(raw, dtype=np.uint8)
    raw.unlink()
    n = data.size // (w * h)
    return shake_from_frames(data[: n * w * h].reshape(n, h, w), fps)


def _noise_plan(info: MediaInfo) -> tuple[tuple[int, int], list[float]]:
    size = fit_size(info.display_width, info.display_height, NOISE_LONG_SIDE)
    end = info.video_end
    times = [end * (k + 0.5) / NOISE_FRAMES for k in range(NOISE_FRAMES)]
    return size, times


def measure(
    path: Path,
    info: MediaInfo,
    params: EnhanceParams,
    plan: Plan,
    work: Path,
    prefix: str,
    deadline: Deadline,
    noise_size: tuple[int, int] | None,
    noise_times: list[float],
    on_progress: Progress | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "width": info.display_width if info.video else None,
        "height": info.display_height if info.video else None,
        "fps": info.video.fps if info.video else None,
        "duration": round(info.duration, 3),
        "bitrate": info.bitrate,
        "video_codec": info.video.codec if info.video else None,
        "audio_codec": info.audio.codec if info.audio else None,
        "sample_rate": info.audio.sample_rate if info.audio else None,
    }
    if info.video is not None and noise_size is not None:
        per_frame = measure_noise(path, info, noise_size, noise_times, work, prefix, deadline)
        values["noise"] = round(float(np.mean(per_frame)), 4)  # the mean: grainy passages must count
        values["noise_frames"] = per_frame
    if info.audio is not None:
        values["loudness"] = {k: r3(v) for k, v in measure_loudness(path, deadline).items()}
    if plan.stabilize and info.video is not None:
        values["shake"] = measure_shake(path, info, work, prefix + "_shake", deadline, on_progress)
    return values


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def pair(name: str, a: Any, b: Any) -> None:
        if a is None and b is None:
            return
        entry: dict[str, Any] = {"before": a, "after": b}
        if isinstance(a, int | float) and isinstance(b, int | float):
            entry["delta"] = round(b - a, 4)
        out[name] = entry

    if before.get("width") is not None:
        pair("resolution", f"{before['width']}x{before['height']}", f"{after.get('width')}x{after.get('height')}")
        pair("fps", before.get("fps"), after.get("fps"))
    if "noise" in before:
        pair("noise", before.get("noise"), after.get("noise"))
    if "loudness" in before:
        lb, la = before["loudness"], after.get("loudness") or {}
        pair("integrated_loudness", lb.get("integrated"), la.get("integrated"))
        pair("loudness_range", lb.get("range"), la.get("range"))
        pair("true_peak", lb.get("true_peak"), la.get("true_peak"))
        pair("noise_floor", lb.get("noise_floor"), la.get("noise_floor"))
    if "shake" in before:
        pair("shake_jitter", before["shake"].get("jitter"), (after.get("shake") or {}).get("jitter"))
    return out


# --- the engine ----------------------------------------------------------------------------------


class LocalEnhanceEngine(EnhanceEngine):
    name = "local"

    def enhance(
        self,
        src: Path,
        params: EnhanceParams,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Progress | None = None,
    ) -> EngineResult:
        run = start_run(src, out_dir, stem, timeout, on_progress)
        src, out_dir, deadline, progress, info = run.src, run.out_dir, run.deadline, run.progress, run.info
        plan = plan_enhancement(params, info)
        two_pass = plan.stabilize or plan.loudnorm
        with work_dir(out_dir, stem) as work:
            noise_size, noise_times = _noise_plan(info) if info.video is not None else (None, [])
            before = measure(
                src, info, params, plan, work, "before", deadline, noise_size, noise_times, progress.span(0, 10)
            )
            progress.report(10)
            measured = None
            if two_pass:
                measured = self._pass1(src, info, params, plan, work, deadline, progress.span(10, 35))
            name = f"{stem}.mp4"
            out_path = work / name
            video_chain, audio_chain, operations = self._chains(params, plan, measured, before.get("noise"))
            argv = self._encode_argv(src, info, params, plan, video_chain, audio_chain, out_path)
            encoded = run_ffmpeg(
                argv,
                timeout=deadline.left("the enhancement"),
                duration_hint=info.duration or None,
                on_progress=progress.span(35 if two_pass else 10, 88),
                log_lines=200,
            )
            out_info = probe_output(out_path, encoded.log_tail)
            check_complete(info, out_info)
            after = measure(
                out_path,
                out_info,
                params,
                plan,
                work,
                "after",
                deadline,
                noise_size,
                noise_times,
                progress.span(88, 98),
            )
            meta = out_info.to_metadata() | {"md5": md5_file(out_path)}
            result: dict[str, Any] = {
                "type": "Enhancement",
                "engine": {"name": self.name, "ffmpeg": Path(ffmpeg_exe()).name},
                "output_file": name,
                "operations": operations,
                "skipped": plan.skipped,
                "filters": {"video": video_chain, "audio": audio_chain},
                "before": before,
                "after": after,
                "changes": changes(before, after),
                "output": meta,
                "files": [name],
            }
            if measured is not None and "loudnorm" in measured:
                second = _last_json(encoded.log_tail)
                result["loudnorm"] = {
                    "target": params.loudness_target,
                    "true_peak": params.true_peak,
                    "loudness_range": params.loudness_range,
                    "pass1": measured["loudnorm"],
                    "normalization_type": (second or {}).get("normalization_type"),
                }
            json_path, json_meta = result_file(work, stem, result)
            output = OutputFile(name, publish(out_path, out_dir), meta)
            measurements = OutputFile(json_path.name, publish(json_path, out_dir), json_meta)
            progress.report(100.0)
            return EngineResult(
                [output], encoded.log_tail, summary_of(result, json_path.name), result_files=[measurements]
            )

    def _pass1(
        self,
        src: Path,
        info: MediaInfo,
        params: EnhanceParams,
        plan: Plan,
        work: Path,
        deadline: Deadline,
        on_progress: Progress,
    ) -> dict[str, Any]:
        """vid.stab motion detection and the loudnorm measurement, in one decode of the input."""
        graph, outputs = [], []
        measured: dict[str, Any] = {}
        if plan.stabilize:
            before = [f for op, f in plan.video if op == "deinterlace"]
            trf = work / "transforms.trf"
            detect = f"vidstabdetect=shakiness=6:accuracy=9:stepsize=6:result={filter_path(trf)}"
            graph.append("[0:V:0]" + ",".join(before + [detect]) + "[vd]")
            outputs += ["-map", "[vd]", "-f", "null", "-"]
            measured["trf"] = trf
        if plan.loudnorm:
            chain = [f for op, f in plan.audio if op != "loudness_normalize"] + [loudnorm_filter(params)]
            graph.append("[0:a:0]" + ",".join(chain) + "[ad]")
            outputs += ["-map", "[ad]", "-f", "null", "-"]
        argv = base_argv(ffmpeg_exe()) + ["-i", str(src), "-filter_complex", ";".join(graph), *outputs]
        result = run_decode(
            argv,
            deadline,
            duration_hint=info.duration or None,
            on_progress=on_progress,
            log_lines=200,
            what="the first pass",
        )
        if plan.loudnorm:
            measured["loudnorm"] = parse_loudnorm_json(result.log_tail)
        return measured

    def _chains(
        self, params: EnhanceParams, plan: Plan, measured: dict[str, Any] | None, noise: float | None
    ) -> tuple[str | None, str | None, list[dict[str, str]]]:
        """The final filter chains, and the operations as they will run."""
        operations = []
        video = []
        for op, f in plan.video:
            if op == "stabilize":
                assert measured is not None
                f = (
                    f"vidstabtransform=input={filter_path(measured['trf'])}:smoothing={params.stabilize_smoothing}"
                    ":optzoom=1:interpol=bicubic"
                )
            elif op == "denoise":
                f = denoise_filter(params, noise)
            video.append(f)
            operations.append({"name": op, "filter": f if op != "stabilize" else "vidstabdetect + vidstabtransform"})
        audio = []
        for op, f in plan.audio:
            if op == "loudness_normalize":
                assert measured is not None
                m = measured["loudnorm"]
                if _silent(m):
                    plan.skipped.append(
                        {"name": op, "reason": "the audio is silent: there is no loudness to normalise"}
                    )
                    continue
                f = loudnorm_filter(params, m)
            audio.append(f)
            operations.append({"name": op, "filter": f})
        return (
            ",".join(video + ["format=yuv420p", "setsar=1"]) if video else None,
            ",".join(audio) if audio else None,
            operations,
        )

    def _encode_argv(
        self,
        src: Path,
        info: MediaInfo,
        params: EnhanceParams,
        plan: Plan,
        video_chain: str | None,
        audio_chain: str | None,
        out: Path,
    ) -> list[str]:
        argv = base_argv(ffmpeg_exe()) + ["-i", str(src)]
        if info.video is not None:
            argv += ["-map", "0:V:0"]
            if video_chain is None and info.video.codec in _COPY_VIDEO:
                argv += ["-c:v", "copy"] + (["-tag:v", "hvc1"] if info.video.codec == "hevc" else [])
            else:
                rate = plan.out_fps or info.video.fps or 25.0
                argv += [
                    "-vf",
                    video_chain or "format=yuv420p,setsar=1",
                    "-c:v",
                    "libx264",
                    "-preset",
                    params.encoder_preset,
                    "-crf",
                    str(params.video_crf),
                    "-profile:v",
                    "high",
                    "-pix_fmt",
                    "yuv420p",
                    "-g",
                    str(max(1, math.ceil(2 * rate))),
                ]
        if info.audio is not None:
            argv += ["-map", "0:a:0"]
            if audio_chain is None and info.audio.codec in _COPY_AUDIO:
                argv += ["-c:a", "copy"]
            else:
                argv += (["-af", audio_chain] if audio_chain else []) + [
                    "-c:a",
                    "aac",
                    "-b:a",
                    f"{params.audio_bitrate_kbps}k",
                    "-ar",
                    str(_output_rate(info)),
                ]
        argv += ["-sn", "-dn", "-movflags", "+faststart", "-f", "mp4", str(out)]
        return argv


def _silent(measured: dict[str, Any]) -> bool:
    try:
        return not math.isfinite(float(measured["input_i"])) or float(measured["input_i"]) <= -70.0
    except (KeyError, TypeError, ValueError):
        return True


def _last_json(log: str) -> dict[str, Any] | None:
    try:
        return parse_loudnorm_json(log)
    except Exception:  # noqa: BLE001 - the second pass's report is informative only
        return None


def summary_of(result: dict[str, Any], result_name: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: result[k] for k in ("type", "output_file", "operations", "skipped", "changes", "files") if k in result
    }
    if "loudnorm" in result:
        out["loudnorm"] = {k: result["loudnorm"][k] for k in ("target", "normalization_type")}
    out["result_file"] = result_name
    return compact(out, max_items=30)


def run_enhancement(
    src: Path, params: EnhanceParams, out_dir: Path, stem: str, *, timeout: float, on_progress: Progress | None = None
) -> EngineResult:
    """Enhance ``src`` with the selected engine: files (``{stem}.mp4``, ``{stem}_result.json``), log, summary."""
    engine: EnhanceEngine = engine_for("enhance")
    return engine.enhance(src, params, out_dir, stem, timeout=timeout, on_progress=on_progress)


register_engine("enhance", "local", LocalEnhanceEngine)

__all__ = [
    "LocalEnhanceEngine",
    "changes",
    "loudnorm_filter",
    "noise_sigma",
    "plan_enhancement",
    "run_enhancement",
    "shake_from_frames",
]
