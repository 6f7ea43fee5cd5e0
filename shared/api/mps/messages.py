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
    "unsupported_field": (
        "The field {name} is not supported by openmps: {detail}.",
        "openmps 不支持字段 {name}：{detail}。",
    ),
    "template_not_found": ("The template {definition} does not exist.", "模板 {definition} 不存在。"),
    "modify_preset": (
        "The template {definition} is a system preset and cannot be modified.",
        "模板 {definition} 是系统预置模板，不能修改。",
    ),
    "delete_preset": (
        "The template {definition} is a system preset and cannot be deleted.",
        "模板 {definition} 是系统预置模板，不能删除。",
    ),
    "template_in_use": (
        "The template {definition} is used by the workflow(s) {workflows}; change them first.",
        "模板 {definition} 正被工作流 {workflows} 使用，请先修改这些工作流。",
    ),
    "template_refused": ("The template is refused at {name}: {detail}", "模板参数 {name} 无效：{detail}"),
    "template_kind_change": (
        "The template {definition} is an openmps {was} template; a template cannot change between Transcode "
        "and Enhancement (EnhanceConfig): create a new one.",
        "模板 {definition} 是 openmps 的 {was} 模板；转码模板与增强模板（EnhanceConfig）不能互相转换，请新建模板。",
    ),
    "too_many_templates": (
        "At most {limit} custom templates are allowed.",
        "自定义模板数量最多为 {limit} 个。",
    ),
    "workflow_not_found": ("The workflow {workflow_id} does not exist.", "工作流 {workflow_id} 不存在。"),
    "workflow_refused": ("The workflow is refused at {name}: {detail}", "工作流参数 {name} 无效：{detail}"),
    "reset_enabled": (
        "The workflow {workflow_id} is enabled; disable it before resetting it.",
        "工作流 {workflow_id} 处于启用状态，请先禁用再重置。",
    ),
    "too_many_workflows": ("At most {limit} workflows are allowed.", "工作流数量最多为 {limit} 个。"),
    "field_not_supported": (
        "The field {name} is not supported by openmps; leave it out (see the README, Use it from existing MPS code).",
        "openmps 不支持字段 {name}，请不要传入（参见 README “Use it from existing MPS code”）。",
    ),
    "unknown_parameter": ("The parameter {name} does not exist.", "参数 {name} 不存在。"),
    "bad_length": ("The parameter {name} is at most {high} characters.", "参数 {name} 最长 {high} 个字符。"),
    "bad_region": (
        "{name} must be {region}, the region of this installation.",
        "{name} 必须是本服务所在地域 {region}。",
    ),
    "bucket_not_served": (
        "The bucket {bucket} is not one this account may use; use {buckets}.",
        "存储桶 {bucket} 不是本账号可用的存储桶，请使用 {buckets}。",
    ),
    "bad_object": (
        "{name} must be an object key starting with /, such as /input/movie.mp4.",
        "{name} 必须是以 / 开头的对象键，例如 /input/movie.mp4。",
    ),
    "bad_url": ("{name} is refused: {detail}", "{name} 不可用：{detail}"),
    "bad_output_dir": (
        "OutputDir {value} must start and end with /, such as /output/.",
        "OutputDir {value} 必须以 / 开头和结尾，例如 /output/。",
    ),
    "unsupported_notify": (
        "TaskNotifyConfig.NotifyType {value} is not supported; openmps notifies by URL only (NotifyType URL).",
        "不支持 TaskNotifyConfig.NotifyType {value}；openmps 仅支持 URL 回调（NotifyType 为 URL）。",
    ),
    "missing_task": (
        "Give at least one of MediaProcessTask, AiContentReviewTask and AiAnalysisTask.",
        "MediaProcessTask、AiContentReviewTask 和 AiAnalysisTask 至少需要指定一个。",
    ),
    "service_error": ("{detail}", "{detail}"),
    "rate_limited": (
        "The number of requests exceeds the frequency limit; retry in {seconds} s.",
        "请求的次数超过了频率限制，请在 {seconds} 秒后重试。",
    ),
    "unavailable": (
        "The service is temporarily unavailable (its table does not answer); retry in {seconds} s.",
        "当前服务暂时不可用（数据表无响应），请在 {seconds} 秒后重试。",
    ),
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
