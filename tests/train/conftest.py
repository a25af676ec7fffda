"""A local server that plays the Hub's upload API, for the push and Space tests (HF_ENDPOINT)."""

import base64
import hashlib
import http.server
import json
import threading
from urllib.parse import urlparse

import pytest
import yaml

TOKEN = "hf_localTestToken0123456789abcdef"
LFS_SUFFIXES = (".safetensors", ".onnx", ".png", ".jpg")  # what the Hub stores with LFS, as .gitattributes says


class FakeHub(http.server.BaseHTTPRequestHandler):
    """Just enough of the Hub: whoami, create a repo (model or Space), list its files, pre-upload
    (binaries the LFS way), the LFS batch API and its uploads, commit (NDJSON), Space hardware."""

    log: list = []
    repos: dict = {}  # repo id -> {"type", "private", "files": {path: bytes}, "lfs": set of paths, "hardware"}
    lfs_store: dict = {}  # sha256 -> bytes, PUT by the client

    def log_message(self, *args):
        pass

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, status: int, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {TOKEN}"

    def repo_of(self, marker: str) -> str:
        """The repo id in /api/{models,spaces}/USER/NAME/{marker}/..."""
        rest = self.path.split("/api/", 1)[1].split("/", 1)[1]
        return rest.split(f"/{marker}/", 1)[0]

    def do_GET(self):
        self.log.append(("GET", self.path, self.headers.get("Authorization")))
        path = urlparse(self.path).path
        if path == "/api/whoami-v2":
            if not self.authorised():
                return self.reply(401, {"error": "Invalid credentials"})
            return self.reply(200, {"name": "someone", "type": "user", "auth": {"accessToken": {"role": "write"}}})
        if "/tree/" in path:
            repo = self.repos.get(self.repo_of("tree"))
            if repo is None:
                return self.reply(404, {"error": "Repository not found"})
            files = [{"type": "file", "path": p, "size": len(b), "oid": hashlib.sha1(b).hexdigest()} for p, b in repo["files"].items()]
            return self.reply(200, files)
        self.reply(404, {"error": "not found"})

    def do_PUT(self):  # an LFS upload, to the href the batch answer gave
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.log.append(("PUT", self.path, self.headers.get("Authorization")))
        oid = self.path.rsplit("/", 1)[1]
        if hashlib.sha256(body).hexdigest() != oid:
            return self.reply(400, {"error": "content does not match its oid"})
        self.lfs_store[oid] = body
        self.reply(200, {})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.log.append(("POST", self.path, self.headers.get("Authorization")))
        if not self.authorised():
            return self.reply(401, {"error": "Invalid credentials"})
        if self.path == "/api/repos/create":
            request = json.loads(body)
            repo = f"{request['organization']}/{request['name']}"
            old = self.repos.get(repo, {})
            self.repos[repo] = {"type": request.get("type", "model"), "hardware": request.get("hardware"),
                                "private": request.get("private", request.get("visibility") == "private"),
                                "files": old.get("files", {".gitattributes": b"*.safetensors filter=lfs\n"}),
                                "lfs": old.get("lfs", set())}  # fmt: skip
            return self.reply(200, {"url": f"{self.base}/{repo}", "name": repo})
        if self.path == "/api/validate-yaml":  # the client checks a model card's metadata first
            content = json.loads(body)["content"]
            yaml.safe_load(content.split("---")[1])
            return self.reply(200, {"errors": [], "warnings": []})
        if "/preupload/" in self.path:
            files = json.loads(body)["files"]
            mode = lambda f: "lfs" if f["path"].endswith(LFS_SUFFIXES) or f["size"] > 10_000_000 else "regular"  # noqa: E731
            return self.reply(200, {"files": [{"path": f["path"], "uploadMode": mode(f), "shouldIgnore": False} for f in files]})
        if self.path.endswith(".git/info/lfs/objects/batch"):
            objects = json.loads(body)["objects"]
            actions = lambda o: {"upload": {"href": f"{self.base}/lfs-upload/{o['oid']}"}}  # noqa: E731
            return self.reply(200, {"transfer": "basic", "objects": [{**o, "actions": actions(o)} for o in objects]})
        if "/commit/" in self.path:
            return self.commit(self.repo_of("commit"), body)
        if self.path.endswith("/hardware"):
            repo = self.path.split("/api/spaces/", 1)[1].rsplit("/hardware", 1)[0]
            self.repos[repo]["hardware"] = json.loads(body)["flavor"]
            return self.reply(200, {"stage": "BUILDING", "hardware": {"current": None, "requested": self.repos[repo]["hardware"]}})
        self.reply(404, {"error": f"unexpected {self.path}"})

    def commit(self, repo_id: str, body: bytes):
        repo = self.repos[repo_id]
        for line in body.decode().splitlines():
            item = json.loads(line)
            value = item["value"]
            if item["key"] == "file":
                repo["files"][value["path"]] = base64.b64decode(value["content"])
            elif item["key"] == "lfsFile":
                if value["oid"] not in self.lfs_store:
                    return self.reply(400, {"error": f"LFS object of {value['path']} was never uploaded"})
                repo["files"][value["path"]] = self.lfs_store[value["oid"]]
                repo["lfs"].add(value["path"])
            elif item["key"] == "deletedFile":
                repo["files"].pop(value["path"], None)
        return self.reply(200, {"commitUrl": f"{self.base}/{repo_id}/commit/{'a' * 40}", "commitOid": "a" * 40, "success": True})


@pytest.fixture
def hub():
    FakeHub.log, FakeHub.repos, FakeHub.lfs_store = [], {}, {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeHub
    server.shutdown()
