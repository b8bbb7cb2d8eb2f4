"""A local stand-in for OpenAI's files and fine-tuning endpoints, as OpenAI documents them.

Jobs move validating_files -> queued -> running -> succeeded (or failed) one step per status
check, so a client has to poll. A job for the base model "fail-model" fails the way OpenAI
reports bad training data: status "failed" with an error object. While `hold_running` is set,
a running job stays running (a job that outlasts the client's polling window). An unknown job
id gets OpenAI's 404 error body.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile

STEPS = ["validating_files", "queued", "running"]


class FakeOpenAI:
    def __init__(self) -> None:
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.retrievals = 0
        self.hold_running = False
        self.app = self._build()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def _event(self, job_id: str, message: str, level: str = "info") -> None:
        self.events[job_id].append(
            {
                "id": f"ftevent-{uuid.uuid4().hex[:12]}",
                "object": "fine_tuning.job.event",
                "created_at": int(time.time()),
                "level": level,
                "message": message,
                "type": "message",
            }
        )

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def auth(request: Request, call_next):  # type: ignore[no-untyped-def]
            if request.headers.get("authorization") != "Bearer sk-test":
                from fastapi.responses import JSONResponse

                error = {"message": "Incorrect API key provided", "type": "invalid_request_error"}
                return JSONResponse({"error": error}, status_code=401)
            return await call_next(request)

        @app.post("/v1/files")
        async def upload(file: UploadFile = File(...), purpose: str = Form(...)) -> dict[str, Any]:
            if purpose != "fine-tune":
                raise HTTPException(400, "purpose must be fine-tune")
            data = await file.read()
            for line in data.decode("utf-8").splitlines():
                assert "messages" in json.loads(line)
            file_id = f"file-{uuid.uuid4().hex[:24]}"
            self.contents[file_id] = data
            self.files[file_id] = {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": int(time.time()),
                "filename": file.filename,
                "purpose": purpose,
                "status": "processed",
            }
            return self.files[file_id]

        @app.post("/v1/fine_tuning/jobs")
        async def create(request: Request) -> dict[str, Any]:
            body = await request.json()
            if body["training_file"] not in self.files:
                raise HTTPException(404, "no such file")
            job_id = f"ftjob-{uuid.uuid4().hex[:24]}"
            self.jobs[job_id] = {
                "id": job_id,
                "object": "fine_tuning.job",
                "created_at": int(time.time()),
                "model": body["model"],
                "training_file": body["training_file"],
                "validation_file": None,
                "status": STEPS[0],
                "fine_tuned_model": None,
                "finished_at": None,
                "error": None,
                "hyperparameters": {"n_epochs": "auto", "batch_size": "auto"},
                "organization_id": "org-test",
                "result_files": [],
                "seed": 42,
                "trained_tokens": None,
            }
            self.events[job_id] = []
            self._event(job_id, "Validating training file")
            return self.jobs[job_id]

        @app.get("/v1/fine_tuning/jobs/{job_id}")
        async def retrieve(job_id: str) -> dict[str, Any]:
            self.retrievals += 1
            job = self.jobs.get(job_id)
            if job is None:
                raise _not_found(job_id)
            if job["status"] == "running" and self.hold_running:
                return job
            if job["status"] in STEPS:
                step = STEPS.index(job["status"])
                if job["model"] == "fail-model" and step == 0:
                    job["status"] = "failed"
                    job["error"] = {
                        "code": "invalid_training_file",
                        "message": "The job failed due to an invalid training file.",
                        "param": "training_file",
                    }
                    self._event(job_id, job["error"]["message"], "error")
                elif step + 1 < len(STEPS):
                    job["status"] = STEPS[step + 1]
                    self._event(job_id, f"Job is {job['status']}")
                else:
                    job["status"] = "succeeded"
                    job["fine_tuned_model"] = f"ft:{job['model']}:smartinbox::{job_id[-8:]}"
                    job["trained_tokens"] = 1234
                    job["finished_at"] = int(time.time())
                    self._event(job_id, "The job has successfully completed")
            return job

        @app.get("/v1/fine_tuning/jobs/{job_id}/events")
        async def events(job_id: str, limit: int = 20) -> dict[str, Any]:
            if job_id not in self.events:
                raise _not_found(job_id)
            newest_first = list(reversed(self.events[job_id]))[:limit]
            return {"object": "list", "data": newest_first, "has_more": False}

        @app.exception_handler(_NotFound)
        async def not_found(_request: Request, exc: _NotFound):  # type: ignore[no-untyped-def]
            from fastapi.responses import JSONResponse

            error = {"message": exc.message, "type": "invalid_request_error", "code": None}
            return JSONResponse({"error": error}, status_code=404)

        return app


class _NotFound(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _not_found(job_id: str) -> _NotFound:
    return _NotFound(f"No fine-tuning job found with id '{job_id}'")
