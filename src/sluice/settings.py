"""All settings, declared once and typed.

Sources, strongest first: keyword arguments, ``SLUICE_*`` environment variables,
the TOML config file (``SLUICE_CONFIG``, else ``$SLUICE_HOME/sluice.toml``), defaults.
Unknown keys are rejected everywhere, environment variables included: a typo such as
``SLUICE_DATABSE_URL`` is an error, not a silent default. ``docs/settings.md``
documents every field; a test keeps the two in step.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sluice.errors import InvalidInput

ENV_PREFIX = "SLUICE_"
_CONFIG_ENV = "SLUICE_CONFIG"


class Settings(BaseSettings):
    """Every knob Sluice has. Read with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    home: Path = Field(
        default_factory=lambda: Path.home() / ".sluice",
        description="Workspace folder: SQLite metadata, local store, admin token file.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the metadata database; default SQLite in the workspace. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    storage_url: str | None = Field(
        None,
        description="Where blobs and Lance tables live: a local folder (default "
        "<home>/store) or s3://bucket/prefix.",
    )
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint, e.g. MinIO.")
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key.")
    s3_region: str = Field("us-east-1", description="S3 region name.")
    host: str = Field("127.0.0.1", description="Address the server binds to.")
    port: int = Field(8080, ge=1, le=65535, description="Port the server listens on.")
    executor: Literal["auto", "process", "thread", "ray"] = Field(
        "auto",
        description="How jobs run: a local process pool, threads of the calling process, or "
        "tasks on Ray (a local Ray started for you, or the cluster at ray_address). 'auto' "
        "uses processes in the server and threads in SDK and CLI sessions.",
    )
    ray_address: str | None = Field(
        None, description="The Ray cluster jobs and training trials run on (ray://host:10001 "
        "or host:6379); unset starts a local Ray. Its workers must reach the same metadata "
        "database and store (PostgreSQL and S3, not the embedded defaults).",
    )
    ray_cpus: int | None = Field(
        None, ge=1, le=4096, description="CPUs a local Ray started for you may use; unset "
        "means every core.",
    )
    workers: int = Field(2, ge=1, le=64, description="Parallel jobs per executor.")
    stream_workers: int = Field(
        4, ge=1, le=64,
        description="Stream consumers that may run at once; they have their own pool, so "
        "they never hold the slots other jobs need.",
    )
    stream_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1:6379", "localhost:6379"],
        description="host:port pairs (or unix socket paths) stream consumers may connect "
        "to; anything else is refused before a connection is tried. In the environment, "
        "separate them with commas.",
        json_schema_extra={"separator": ","},
    )
    job_heartbeat_seconds: float = Field(
        2.0, gt=0, description="How often a running job proves it is alive."
    )
    job_stale_seconds: float = Field(
        30.0, gt=0, description="A running job silent this long is failed (worker died)."
    )
    parse_timeout_seconds: float = Field(
        120.0, gt=0, description="Limit for parsing one document; the file gets an error row."
    )
    parser_memory_bytes: int = Field(
        2 * 1024**3, ge=256 * 1024**2,
        description="Address space of one document parser process (RLIMIT_AS); a file "
        "needing more gets an error row instead of exhausting the machine.",
    )
    max_inflated_bytes: int = Field(
        512 * 1024**2, gt=0,
        description="Most bytes a compressed container (docx, xlsx, pptx, odt, epub) may "
        "unpack to; bigger ones, or ones compressed more than 100:1, are refused unparsed.",
    )
    max_file_bytes: int = Field(
        256 * 1024 * 1024, gt=0, description="Files larger than this are recorded, not parsed."
    )
    max_text_chars: int = Field(
        20_000_000, gt=0, description="Extracted text longer than this is truncated."
    )
    max_upload_bytes: int = Field(
        512 * 1024 * 1024, gt=0,
        description="Largest upload accepted over HTTP: one blob, or all files of one web "
        "upload together.",
    )
    max_upload_files: int = Field(100, ge=1, description="Most files in one web upload.")
    max_body_bytes: int = Field(
        8 * 1024 * 1024, gt=0,
        description="Largest request body of any route without its own limit (uploads, "
        "artifacts and appends have theirs); bigger bodies get 413 before they are read.",
    )
    max_json_depth: int = Field(
        64, ge=2, le=1000, description="Deepest nesting of arrays and objects in a JSON body."
    )
    max_artifact_bytes: int = Field(
        16 * 1024**3, gt=0, description="Largest single artifact file accepted over HTTP."
    )
    max_append_rows: int = Field(10_000, gt=0, description="Most rows in one append batch.")
    max_append_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="Largest append batch body over HTTP."
    )
    sql_timeout_seconds: float = Field(30.0, gt=0, description="Limit for one user SQL query.")
    sql_max_rows: int = Field(10_000, gt=0, description="Most rows one user SQL query returns.")
    sql_memory_limit: str = Field("2GB", description="DuckDB memory limit for user SQL.")
    sql_threads: int = Field(2, ge=1, description="DuckDB threads for user SQL.")
    sql_cache_bytes: int = Field(
        1024 * 1024 * 1024, ge=0,
        description="Memory for dataset versions kept loaded between queries (0 turns it off).",
    )
    ingest_roots: list[Path] = Field(
        default_factory=list,
        description="Server folders a remote caller may ingest by path; empty means none.",
    )
    model_roots: list[Path] = Field(
        default_factory=list,
        description="Server folders a remote caller may name as a fine-tuning base model; "
        "empty means none (the bundled smollm2 only). In the environment, separate them "
        "with colons.",
    )
    embedder: str = Field(
        "minilm",
        description="Default embedder of new views: 'minilm' (bundled all-MiniLM-L6-v2) or "
        "'openai' (the OpenAI-compatible endpoint below).",
    )
    embed_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="Precision of the bundled embedder: 'auto' uses 16 bits where the "
        "device computes them natively (bfloat16 on a CPU with AVX512-BF16 or AMX; "
        "bfloat16 or float16 on a GPU) and they match float32 (cosine >= 0.99).",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="Where the bundled embedder and LLM run: 'auto' picks CUDA when torch "
        "sees a GPU, else the CPU; 'cuda' without a GPU is an error (device_unavailable). "
        "'sluice hardware' shows what it resolved to.",
    )
    torch_threads: int = Field(
        0, ge=0, description="CPU threads for embedding and generation; 0 picks half the cores."
    )
    embed_batch_size: int = Field(64, ge=1, le=4096, description="Texts per embedding batch.")
    llm: str = Field(
        "smollm2",
        description="Generator for ask: 'smollm2' (bundled SmolLM2-135M-Instruct, CPU) or "
        "'openai' (the OpenAI-compatible endpoint below).",
    )
    model_cache: Path | None = Field(
        None,
        description="Where converted models are cached (default ~/.cache/sluice/models).",
    )
    llm_max_tokens: int = Field(256, ge=1, le=8192, description="Most tokens one answer has.")
    llm_repetition_penalty: float = Field(
        1.0, ge=1.0, le=2.0,
        description="How strongly the bundled LLM avoids tokens it already wrote (1.0: "
        "not at all). bench/ask_qa.py's tuning questions chose 1.0: higher values loop less "
        "but state fewer facts, and the loop guard stops the loops anyway.",
    )
    ask_style: str = Field(
        "both", pattern="^(both|extract|generate)$",
        description="What ask answers with by default: 'both' (the passages' best sentences, "
        "cited, then a generated answer), 'extract' (no generation) or 'generate'.",
    )
    llm_timeout_seconds: float = Field(
        120.0, gt=0, description="Limit for one generation or embedding call to a provider."
    )
    llm_context_tokens: int = Field(
        2048, ge=256, le=131072,
        description="Most tokens of prompt plus answer for the bundled LLM; longer prompts "
        "are refused before generation starts.",
    )
    max_embed_chars: int = Field(
        200_000, gt=0, description="Most characters (all inputs together) one embeddings "
        "request may send.",
    )
    model_seconds_per_minute: float = Field(
        60.0, gt=0,
        description="Model time (generation, embedding) one user may use per minute on the "
        "model routes; past it, 429 with Retry-After.",
    )
    model_requests_per_minute: int = Field(
        120, ge=1, description="Requests one user may send per minute to the model routes."
    )
    train_max_rows: int = Field(
        2_000_000, ge=100, description="Rows a training job reads at most; a bigger dataset "
        "version is refused before the job starts (sample it with SQL first).",
    )
    train_threads: int = Field(
        0, ge=0, le=1024, description="Threads one training job's LightGBM uses; 0 means half "
        "the cores (OpenMP on every core slows to a crawl when other work shares them).",
    )
    train_trials: Literal["auto", "inline", "processes", "ray"] = Field(
        "auto", description="Where AutoML trials run: one after another in the training job "
        "(inline, pruned fold by fold), in parallel in local worker processes, or as parallel "
        "Ray tasks. In the last two a trial that crashes or is killed is recorded as failed "
        "and the search goes on. 'auto' is ray with the Ray executor, else inline.",
    )
    train_parallel: int = Field(
        0, ge=0, le=1024, description="Trials that run at once with train_trials=processes; "
        "0 means the cores divided by the threads each trial uses. Ray fills its CPUs.",
    )
    predict_models_kept: int = Field(
        4, ge=1, le=64, description="Registered model versions kept loaded per process for "
        "prediction (least recently used dropped first).",
    )
    login_failures_per_minute: int = Field(
        10, ge=1,
        description="Failed logins (and invalid tokens) one client address may send per "
        "minute before it gets 429.",
    )
    lf_apply_seconds: float = Field(
        300.0, gt=0,
        description="Total time one run of the no-code labeling functions may take; "
        "functions not finished by then record a budget error.",
    )
    openai_base_url: str | None = Field(
        None, description="OpenAI-compatible API base, e.g. http://127.0.0.1:8000/v1."
    )
    openai_api_key: SecretStr | None = Field(None, description="API key for openai_base_url.")
    openai_embedding_model: str = Field(
        "all-MiniLM-L6-v2", description="Embedding model name sent to openai_base_url."
    )
    openai_chat_model: str = Field(
        "smollm2", description="Chat model name sent to openai_base_url."
    )
    auth_cache_seconds: float = Field(
        2.0, ge=0, le=60,
        description="How long a server remembers an admitted API token and project, so "
        "repeat requests skip the database; a change to tokens, users, members, roles or "
        "projects clears it in the process that makes it, others see it within this "
        "time. 0 looks up every request.",
    )
    session_hours: float = Field(
        12.0, gt=0,
        description="Web UI session lifetime; a session also ends with the token it was "
        "opened with.",
    )
    url: str | None = Field(
        None, description="Client side: Sluice server URL; set it to make the CLI remote."
    )
    token: SecretStr | None = Field(None, description="Client side: API token for `url`.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of the server and workers."
    )

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what :func:`load_settings` passes: it reads the environment and the config
        file itself (lists split on ``:``, unknown keys refused)."""
        return (init_settings,)

    @property
    def resolved_model_cache(self) -> Path:
        return self.model_cache or Path.home() / ".cache" / "sluice" / "models"

    @property
    def resolved_database_url(self) -> str:
        """The metadata database URL, defaulting to SQLite in the workspace."""
        return self.database_url or f"sqlite:///{self.home / 'metadata.db'}"

    @property
    def resolved_storage_url(self) -> str:
        """The store root, defaulting to a folder in the workspace."""
        return (self.storage_url or str(self.home / "store")).rstrip("/")


def _config_path(env: dict[str, str], home: Path | None) -> Path | None:
    if env.get(_CONFIG_ENV):
        return Path(env[_CONFIG_ENV]).expanduser()
    root = home or Path(env.get(f"{ENV_PREFIX}HOME", str(Path.home() / ".sluice")))
    candidate = root.expanduser() / "sluice.toml"
    return candidate if candidate.is_file() else None


def _read_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"config file {path} does not exist", code="config_invalid") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            f"config file {path} is not valid TOML: {exc}", code="config_invalid"
        ) from exc


def _check_env_keys(env: dict[str, str]) -> None:
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | {_CONFIG_ENV}
    unknown = sorted(k for k in env if k.startswith(ENV_PREFIX) and k not in known)
    if unknown:
        raise InvalidInput(
            f"unknown setting(s) in the environment: {', '.join(unknown)}; "
            "see docs/settings.md for the names",
            code="config_invalid",
            details={"unknown": unknown},
        )


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings from overrides, the environment and the config file.

    Raises:
        InvalidInput: an unknown key or a value of the wrong type (code ``config_invalid``).
    """
    env = dict(os.environ if env is None else env)
    _check_env_keys(env)
    home = Path(overrides["home"]) if "home" in overrides else None
    file_values = _read_config(_config_path(env, home))
    try:
        merged = {**file_values, **_env_values(env), **overrides}
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise InvalidInput(f"invalid settings: {_first_error(exc)}", code="config_invalid") from exc


def _env_values(env: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        raw = env.get(f"{ENV_PREFIX}{name.upper()}")
        if raw is None:
            continue
        if _is_list(field.annotation):
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            values[name] = _parse_list(raw, str(extra.get("separator", os.pathsep)))
        else:
            values[name] = raw
    return values


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list


def _parse_list(raw: str, separator: str) -> list[str]:
    return [part.strip() for part in raw.split(separator) if part.strip()]


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg')}"
