"""The areas Sluice ships, in the order the doors list them.

Each declaration is an area's map: read one to find where its service, jobs, routes, pages,
commands and client namespaces live. The domain code is in ``sluice/core/<area>/``; the door
code in ``api/routers/``, ``web/routes/``, ``cli/commands/`` and ``sdk/`` (``docs/areas.md``
says why the doors are packages of their own).
"""

from __future__ import annotations

from sluice.areas import Area, NavEntry, Permission, SdkPart
from sluice.core.context import Role

API, WEB, CLI = "sluice.api.routers.", "sluice.web.routes.", "sluice.cli.commands."
MLFLOW = "sluice.api.compat.mlflow."
LOCAL, REMOTE = "sluice.sdk.local:", "sluice.sdk.remote:"


def _sdk(attr: str, local: str, remote: str) -> SdkPart:
    return SdkPart(attr, local=local, remote=remote)


DATASETS_READ, DATASETS_WRITE = "datasets.read", "datasets.write"
V, E = Role.VIEWER, Role.EDITOR


BUILTIN: tuple[Area, ...] = (
    Area("system", "Health, the signed-in user, the API reference, the hardware models run "
                   "on and the areas themselves.",
         api=(API + "system", API + "areas"),
         web=(WEB + "auth", WEB + "apidocs", WEB + "areas", WEB + "hardware"),
         cli=(CLI + "up:add_commands", CLI + "areas:add_commands", CLI + "hardware:add_commands"),
         sdk=(_sdk("areas", "sluice.sdk.areas:LocalAreas", "sluice.sdk.areas:RemoteAreas"),
              _sdk("system", "sluice.sdk.system:LocalSystem", "sluice.sdk.system:RemoteSystem"))),
    Area("datasets", "Versioned tables and document sets: rows, versions, diffs, restore.",
         api=(API + "datasets",), web=(WEB + "datasets",),
         nav=(NavEntry("Datasets", "/datasets", order=10),),
         cli=(CLI + "datasets:add_commands",),
         permissions=(
             Permission(DATASETS_READ, "See datasets, versions, rows, diffs, quality reports, "
                        "lineage and events; run read-only SQL; search views.", V),
             Permission(DATASETS_WRITE, "Create, change, ingest into, redact, restore and "
                        "delete datasets; upload files; run stream consumers.", E)),
         read=DATASETS_READ, write=DATASETS_WRITE,
         sdk=(_sdk("datasets", LOCAL + "LocalDatasets", REMOTE + "RemoteDatasets"),)),
    Area("ingest", "Files and folders in: table files as rows, documents parsed in isolation.",
         jobs=("sluice.core.ingest.jobs",), api=(API + "ingest",), web=(WEB + "upload",),
         nav=(NavEntry("Upload", "/upload", order=20),),
         cli=(CLI + "ingest:add_commands",), read=DATASETS_READ, write=DATASETS_WRITE),
    Area("sql", "Read-only, bounded DuckDB SQL over any dataset version.",
         api=(API + "sql",), web=(WEB + "sql",),
         nav=(NavEntry("SQL", "/sql", order=50),), cli=(CLI + "sql:add_commands",),
         read=DATASETS_READ, write=DATASETS_READ),
    Area("search", "Chunked, embedded views of datasets; text, vector and hybrid search; "
                   "retrieval evaluation.",
         jobs=("sluice.core.search.jobs",), api=(API + "search",), web=(WEB + "search",),
         nav=(NavEntry("Search", "/search", order=30),), cli=(CLI + "search:add_commands",),
         sdk=(_sdk("views", LOCAL + "LocalViews", REMOTE + "RemoteViews"),),
         permissions=(Permission("views.write", "Create, sync and evaluate search views.", E),),
         read=DATASETS_READ, write="views.write"),
    Area("rag", "Answers from a view with the bundled LLM, traced; OpenAI-compatible routes.",
         api=(API + "rag", "sluice.api.compat.openai"), web=(WEB + "rag",),
         nav=(NavEntry("Ask", "/ask", order=40), NavEntry("Traces", "/traces", order=120)),
         cli=(CLI + "rag:add_commands",),
         permissions=(Permission("rag.ask", "Ask questions of views and call the bundled "
                                 "models (OpenAI-compatible routes); see traces.", V),),
         read="rag.ask", write="rag.ask"),
    Area("quality", "Column statistics, duplicates, personal data; redaction.",
         jobs=("sluice.core.quality.jobs",), api=(API + "quality",),
         cli=(CLI + "quality:add_commands",),
         sdk=(_sdk("quality", LOCAL + "LocalQuality", REMOTE + "RemoteQuality"),),
         read=DATASETS_READ, write=DATASETS_WRITE),
    Area("jobs", "Long-running work: progress, logs, cancel, the executors.",
         api=(API + "jobs",), web=(WEB + "jobs",),
         nav=(NavEntry("Jobs", "/jobs", order=90),), cli=(CLI + "jobs:add_commands",),
         sdk=(_sdk("jobs", LOCAL + "LocalJobs", REMOTE + "RemoteJobs"),),
         permissions=(Permission("jobs.read", "See jobs, their progress and logs.", V),
                      Permission("jobs.cancel", "Cancel running jobs.", E)),
         read="jobs.read", write="jobs.cancel"),
    Area("admin", "Projects, members and roles; users, API tokens and web sessions; the audit "
                  "log.",
         api=(API + "tokens", API + "users", API + "audit", API + "access"),
         web=(WEB + "admin", WEB + "access"),
         nav=(NavEntry("Projects", "/projects", ("/projects", "/roles"), order=105),
              NavEntry("Tokens", "/tokens", order=110), NavEntry("Audit", "/audit", order=130)),
         cli=(CLI + "tokens:add_commands", CLI + "users:add_commands",
              CLI + "audit:add_commands", CLI + "access:add_commands"),
         sdk=(_sdk("tokens", LOCAL + "LocalTokens", REMOTE + "RemoteTokens"),
              _sdk("users", LOCAL + "LocalUsers", REMOTE + "RemoteUsers"),
              _sdk("projects", "sluice.sdk.access:LocalProjects",
                   "sluice.sdk.access:RemoteProjects"),
              _sdk("members", "sluice.sdk.access:LocalMembers",
                   "sluice.sdk.access:RemoteMembers"),
              _sdk("roles", "sluice.sdk.access:LocalRoles", "sluice.sdk.access:RemoteRoles")),
         permissions=(Permission("admin", "Manage the project's members and read its audit "
                                 "log.", Role.ADMIN),),
         read="admin", write="admin"),
    Area("streams", "Rows from Redis Streams and HTTP appends into datasets.",
         jobs=("sluice.core.streams.jobs",), api=(API + "streams",), web=(WEB + "streams",),
         nav=(NavEntry("Streams", "/streams", order=100),), cli=(CLI + "streams:add_commands",),
         sdk=(_sdk("streams", LOCAL + "LocalStreams", REMOTE + "RemoteStreams"),),
         read=DATASETS_READ, write=DATASETS_WRITE),
    Area("tracking", "Experiments and runs: parameters, metrics, artifacts, comparison; "
                     "the MLflow REST API.",
         api=(API + "tracking", MLFLOW + "tracking", MLFLOW + "artifacts"),
         web=(WEB + "tracking",),
         nav=(NavEntry("Experiments", "/experiments", ("/experiments", "/runs", "/compare"),
                       order=70),),
         cli=(CLI + "tracking:add_commands",),
         sdk=(_sdk("experiments", "sluice.sdk.tracking_local:LocalExperiments",
                   "sluice.sdk.tracking_remote:RemoteExperiments"),
              _sdk("runs", "sluice.sdk.tracking_local:LocalRuns",
                   "sluice.sdk.tracking_remote:RemoteRuns")),
         permissions=(Permission("runs.read", "See experiments, runs, metrics and artifacts.",
                                 V),
                      Permission("runs.write", "Create experiments and runs; log parameters, "
                                 "metrics, artifacts and models.", E)),
         read="runs.read", write="runs.write"),
    Area("registry", "The model registry: versions, aliases, model cards, prediction.",
         api=(API + "models", MLFLOW + "registry"), web=(WEB + "models",),
         nav=(NavEntry("Models", "/models", order=80),), cli=(CLI + "models:add_commands",),
         sdk=(_sdk("models", "sluice.sdk.tracking_local:LocalModels",
                   "sluice.sdk.tracking_remote:RemoteModels"),),
         permissions=(Permission("models.read", "See registered models, versions and model "
                                 "cards; get predictions.", V),
                      Permission("models.write", "Register models and versions; change and "
                                 "delete them.", E),
                      Permission("models.promote", "Move aliases and stages (which version "
                                 "serves as production).", E)),
         read="models.read", write="models.write"),
    Area("training", "AutoML for tables and text: a search under a time budget as a job, "
                     "every trial a tracked run, the best model refit, reported and "
                     "registered with its card; LoRA fine-tuning of language models.",
         service="sluice.core.training.service:build",
         jobs=("sluice.core.training.job", "sluice.core.training.finetune_job"),
         api=(API + "training",), web=(WEB + "training",),
         nav=(NavEntry("Train", "/train", order=75),), cli=(CLI + "training:add_commands",),
         sdk=(_sdk("training", "sluice.sdk.training:LocalTraining",
                   "sluice.sdk.training:RemoteTraining"),),
         permissions=(Permission("training.read", "See training jobs, their leaderboards and "
                                 "reports.", V),
                      Permission("training.run", "Start training jobs and register their "
                                 "best models.", E)),
         read="training.read", write="training.run"),
    Area("labels", "Label schemas, the annotation queue, review and agreement, labeling "
                   "functions and the label model.",
         jobs=("sluice.core.labels.jobs", "sluice.core.labels.apply",
               "sluice.core.labels.zeroshot"),
         api=(API + "labels",), web=(WEB + "labels",),
         nav=(NavEntry("Label", "/label", order=60),), cli=(CLI + "labels:add_commands",),
         sdk=(_sdk("labels", "sluice.sdk.labels:LocalLabels", "sluice.sdk.labels:RemoteLabels"),),
         permissions=(
             Permission("labels.read", "See label schemas, annotations, agreement and "
                        "labeling functions.", V),
             Permission("labels.annotate", "Label rows in the annotation queue.",
                        Role.ANNOTATOR),
             Permission("labels.review", "Review and resolve annotations; commit labels as "
                        "a new dataset version.", Role.REVIEWER),
             Permission("labels.write", "Create label schemas and labeling functions, apply "
                        "them and fit the label model.", E)),
         read="labels.read", write="labels.write"),
    Area("lineage", "Where each dataset version, label set, run, model version and alias came "
                    "from, built from the event log; the log and its subscribers.",
         api=(API + "lineage",), web=(WEB + "lineage",),
         nav=(NavEntry("Lineage", "/lineage", ("/lineage", "/events"), order=125),),
         cli=(CLI + "lineage:add_commands",),
         sdk=(_sdk("lineage", "sluice.sdk.lineage:LocalLineage",
                   "sluice.sdk.lineage:RemoteLineage"),
              _sdk("events", "sluice.sdk.lineage:LocalEvents",
                   "sluice.sdk.lineage:RemoteEvents")),
         read=DATASETS_READ, write=DATASETS_WRITE),
)
