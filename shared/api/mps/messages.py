"""The API 3.0 error messages, in English and Chinese (``X-TC-Language``: en-US | zh-CN)."""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en-US")
DEFAULT_LANGUAGE = "zh-CN"  # what Tencent Cloud answers when the header is absent

# key -> (en-US, zh-CN); placeholders are filled with str.format.
MESSAGES: dict[str, tuple[str, str]] = {
    "auth_missing": (
        "The request has no Authorization header; sign it with TC3-HMAC-SHA256.",
        "请求缺少 Authorization 头部，请使用 TC3-HMAC-SHA256 签名。",
    ),
    "auth_malformed": (
        "The Authorization header is malformed: {detail}.",
        "Authorization 头部格式错误：{detail}。",
    ),
    "auth_token": (
        "Temporary credentials (X-TC-Token) are not supported by openmps; sign with a SecretId/SecretKey pair.",
        "openmps 不支持临时密钥（X-TC-Token），请使用 SecretId/SecretKey 密钥对签名。",
    ),
    "auth_expired": (
        "The request signature has expired: X-TC-Timestamp {timestamp} is {skew} s from the server time "
        "(at most 300 s allowed).",
        "签名已过期：X-TC-Timestamp {timestamp} 与服务器时间相差 {skew} 秒（最多允许 300 秒）。",
    ),
    "auth_secret_id": ("The SecretId {secret_id} is not found or disabled.", "SecretId {secret_id} 不存在或已禁用。"),
    "auth_signature": (
        "The provided credentials could not be validated. Please check your signature is correct.",
        "请求签名验证失败，请检查您的签名计算是否正确。",
    ),
    "auth_scope": (
        "The credential scope {scope} does not match the request: {detail}.",
        "凭证范围 {scope} 与请求不符：{detail}。",
    ),
    "missing_header": ("The header {name} is required.", "缺少必需的头部 {name}。"),
    "bad_timestamp": ("X-TC-Timestamp must be whole seconds since 1970.", "X-TC-Timestamp 必须是 Unix 秒级时间戳。"),
    "bad_version": (
        "The version {version} is not supported; MPS answers 2019-06-12.",
        "不支持版本 {version}，MPS 的版本为 2019-06-12。",
    ),
    "bad_action": ("The action {action} does not exist.", "接口 {action} 不存在。"),
    "unsupported_action": (
        "The MPS action {action} is not supported by openmps.",
        "openmps 不支持 MPS 接口 {action}。",
    ),
    "bad_method": (
        "Only POST with Content-Type application/json is supported.",
        "仅支持 POST 请求，Content-Type 为 application/json。",
    ),
    "too_large": (
        "The request body is {size} bytes; at most {limit} bytes are allowed.",
        "请求包大小为 {size} 字节，超过上限 {limit} 字节。",
    ),
    "bad_notification": (
        "Content is not an event notification: {detail}.",
        "Content 不是合法的事件通知：{detail}。",
    ),
    "bad_json": ("The request body is not a JSON object: {detail}.", "请求体不是合法的 JSON 对象：{detail}。"),
    "missing_parameter": ("The parameter {name} is required.", "缺少必填参数 {name}。"),
    "bad_type": ("The parameter {name} must be {kind}.", "参数 {name} 的类型必须是 {kind}。"),
    "bad_range": (
        "The parameter {name} must be between {low} and {high}.",
        "参数 {name} 的取值范围为 {low} 到 {high}。",
    ),
    "bad_choice": ("The parameter {name} must be one of {choices}.", "参数 {name} 的取值必须是 {choices} 之一。"),
    "bad_time": (
        "The parameter {name} must be an ISO 8601 UTC time such as 2026-01-31T00:00:00Z.",
        "参数 {name} 必须是 ISO 8601 UTC 时间，例如 2026-01-31T00:00:00Z。",
    ),
    "bad_scroll_token": (
        "The ScrollToken is not one this query returned.",
        "ScrollToken 无效，它不是本查询返回的翻页标识。",
    ),
    "unsupported_value": (
        "The value {value} of {name} is not supported: {detail}.",
        "参数 {name} 的取值 {value} 不受支持：{detail}。",
    ),
    "task_not_found": ("The task {task_id} does not exist.", "任务 ID {task_id} 不存在。"),
    "abort_not_waiting": (
        "Only WAITING tasks can be aborted; the task {task_id} is {status}.",
        "只能终止等待中（WAITING）的任务；任务 {task_id} 的状态为 {status}。",
    ),
    "session_taken": (
        "The SessionId {session_id} was used within the last 3 days (task {task_id}); the request is de-duplicated.",
        "去重识别码 {session_id} 在 3 天内已使用（任务 {task_id}），请求被去重。",
    ),
    "service_error": ("{detail}", "{detail}"),
    "internal": (
        "An internal error occurred; see the api function's log for request {request_id}.",
        "内部错误，请在 api 函数日志中查看请求 {request_id}。",
    ),
}


def language_of(header: str | None) -> str:
    return header if header in LANGUAGES else DEFAULT_LANGUAGE


def render(key: str, language: str, params: dict[str, object]) -> str:
    english, chinese = MESSAGES[key]
    return (chinese if language == "zh-CN" else english).format(**params)
