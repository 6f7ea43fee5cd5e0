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
from pathlib import Path
from typing import Any

from shared.domain.kinds.enhancement import EnhanceParams
from shared.media.ai.decode import filter_path, run_decode
from shared.media.ai.enhance.denoise_step import measure_denoise_step, sharpened_denoise
from shared.media.ai.enhance.measure import changes, measure, noise_plan
from shared.media.ai.enhance.plan import Plan, denoise_filter, loudnorm_filter, output_rate, plan_enhancement
from shared.media.ai.loudness import parse_loudnorm_json
from shared.media.ai.ports import LOCAL_ENGINES, EngineChoice, EnhanceEngine, engine_for, register_engine
from shared.media.ai.run import Deadline, compact, result_file, start_run
from shared.media.contract import EngineResult, OutputFile, Progress
from shared.media.ffmpeg.command import base_argv
from shared.media.ffmpeg.probe import MediaInfo
from shared.media.ffmpeg.runner import ffmpeg_exe, run_ffmpeg
from shared.media.outputs import check_complete, md5_file, probe_output, publish, work_dir

_COPY_VIDEO = ("h264", "hevc", "av1", "mpeg4", "vp9")
_COPY_AUDIO = ("aac", "mp3", "opus", "ac3", "eac3", "alac", "flac")


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
        probe: MediaInfo | None = None,
    ) -> EngineResult:
        run = start_run(src, out_dir, stem, timeout, on_progress, probe)
        src, out_dir, deadline, progress, info = run.src, run.out_dir, run.deadline, run.progress, run.info
        plan = plan_enhancement(params, info)
        two_pass = plan.stabilize or plan.loudnorm
        with work_dir(out_dir, stem) as work:
            noise_size, noise_times = noise_plan(info) if info.video is not None else (None, [])
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
            denoise = sharpened_denoise(operations)
            if denoise is not None and noise_size is not None:
                after["denoised"] = measure_denoise_step(src, info, noise_size, noise_times, work, deadline, denoise)
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
                    str(output_rate(info)),
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
    src: Path,
    params: EnhanceParams,
    out_dir: Path,
    stem: str,
    *,
    timeout: float,
    on_progress: Progress | None = None,
    choice: EngineChoice = LOCAL_ENGINES,
    probe: MediaInfo | None = None,
) -> EngineResult:
    """Enhance ``src`` with the chosen engine: files (``{stem}.mp4``, ``{stem}_result.json``), log, summary."""
    engine: EnhanceEngine = engine_for("enhance", choice)
    return engine.enhance(src, params, out_dir, stem, timeout=timeout, on_progress=on_progress, probe=probe)


register_engine("enhance", "local", lambda _choice: LocalEnhanceEngine())  # no model to size
