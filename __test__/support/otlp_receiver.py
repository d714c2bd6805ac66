#!/usr/bin/env python3
"""A real OTLP receiver for tests and the demo: decodes every request with upstream's generated
protobuf classes (opentelemetry-proto) and prints one JSON line per request. HTTP requests are
decoded by path (/v1/traces, /v1/logs, anything else as metrics); chunked bodies are accepted
(the OTel JS exporter sends them) and marked with the header x-received-transfer-encoding.

  otlp_receiver.py [--mode ok|hang|fail|throttle|too-large] [--http-port N] [--grpc-port N]
                   [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]] [--token T]

First line on stdout: {"ready": {"http": PORT, "grpc": PORT}}. Then per request:
{"transport", "path", "contentType", "contentEncoding", "headers", "request"} where request is
json_format.MessageToDict of the decoded Export{Metrics,Trace,Logs}ServiceRequest (or "error").
gRPC serves all three services.
Modes: ok answers 200 / OK; hang accepts and never answers; fail answers 503 / UNAVAILABLE.
GET /__mode/<mode> switches the mode of the running receiver.
With --tls-cert both ports speak TLS only (--tls-client-ca: a client certificate that CA signed is
required), the control requests go to a plain "control" port, and each refused handshake prints
{"tlsRejected": reason}. With --token, requests without "authorization: Bearer <token>" get 401 /
UNAUTHENTICATED; GET /__token/<t> changes the token.
"""
import argparse
import gzip
import json
import ssl
import sys
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf import json_format
import base64

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

LOCK = threading.Lock()
MODE = "ok"
TOKEN = None


def emit(record):
    with LOCK:
        sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
        sys.stdout.flush()


BY_PATH = {
    "/v1/traces": trace_service_pb2.ExportTraceServiceRequest,
    "/v1/logs": logs_service_pb2.ExportLogsServiceRequest,
}


ID_KEYS = {"traceId", "spanId", "parentSpanId"}


def hex_ids_to_base64(value):
    """OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping wants base64."""
    if isinstance(value, dict):
        return {
            k: base64.b64encode(bytes.fromhex(v)).decode() if k in ID_KEYS and isinstance(v, str) and v else hex_ids_to_base64(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [hex_ids_to_base64(v) for v in value]
    return value


def decode(body, content_type, path=""):
    req = BY_PATH.get(path.split("?")[0], metrics_service_pb2.ExportMetricsServiceRequest)()
    if "json" in content_type:
        json_format.ParseDict(hex_ids_to_base64(json.loads(body.decode("utf-8"))), req)
    else:
        req.ParseFromString(body)
    return json_format.MessageToDict(req)


def read_chunked(rfile):
    out = b""
    while True:
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return out
        out += rfile.read(size)
        rfile.readline()


def hang():
    while True:
        time.sleep(3600)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        # Tests switch the mode of a running receiver: GET /__mode/ok|hang|fail
        global MODE, TOKEN
        if self.path.startswith("/__mode/"):
            MODE = self.path.rsplit("/", 1)[1]
        elif self.path.startswith("/__token/"):
            TOKEN = self.path.split("/", 2)[2]
        elif self.path.startswith("/__sync/"):
            # A barrier: this line follows every record already printed.
            emit({"sync": self.path.rsplit("/", 1)[1]})
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        headers = {k.lower(): v for k, v in self.headers.items()}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = read_chunked(self.rfile)
            del headers["transfer-encoding"]
            headers["x-received-transfer-encoding"] = "chunked"
            headers["content-length"] = str(len(body))
        else:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
        ctype = self.headers.get("content-type") or ""
        enc = self.headers.get("content-encoding") or ""
        record = {
            "transport": "http",
            "path": self.path,
            "contentType": ctype,
            "contentEncoding": enc,
            "headers": headers,
            # What the receiver answered: only "ok" requests were accepted.
            "mode": MODE if authorized(headers.get("authorization")) else "unauthorized",
        }
        try:
            if enc == "gzip":
                body = gzip.decompress(body)
            record["request"] = decode(body, ctype, self.path)
        except Exception as e:  # a decoding failure is a finding, reported as such
            record["error"] = f"{type(e).__name__}: {e}"
        emit(record)
        if record["mode"] == "unauthorized":
            self.send_response(401)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if MODE == "hang":
            hang()
        if MODE == "throttle":
            # 429 with the collector's own backoff, as OTLP/HTTP receivers do when overloaded.
            self.send_response(429)
            self.send_header("retry-after", "2")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if MODE in ("fail", "too-large") or "error" in record:
            status = {"fail": 503, "too-large": 413}.get(MODE, 400)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        out = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", ctype if "json" not in ctype else "application/json")
        body = b"{}" if "json" in ctype else out
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def authorized(value):
    return TOKEN is None or value == f"Bearer {TOKEN}"


def export_handler(service, response):
    """An Export method for one OTLP gRPC service: record, then answer per MODE."""
    def export(self, request, context):
        headers = {k: v for k, v in context.invocation_metadata()}
        ok = authorized(headers.get("authorization"))
        emit({
            "transport": "grpc",
            "path": f"/opentelemetry.proto.collector.{service}/Export",
            "contentType": "application/grpc",
            "contentEncoding": "",
            "headers": headers,
            "request": json_format.MessageToDict(request),
            "mode": MODE if ok else "unauthorized",
        })
        if not ok:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "receiver wants another token")
        if MODE == "hang":
            hang()
        if MODE == "fail":
            context.abort(grpc.StatusCode.UNAVAILABLE, "receiver in fail mode")
        return response()
    return export


class Quiet(ThreadingHTTPServer):
    """A client that gave up (a timed-out export, after a SIGSTOP) is not an error here."""

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class TlsServer(Quiet):
    """Handshakes in the request's thread, so that a refused client is printed, not raised."""

    context = None

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            emit({"tlsRejected": getattr(e, "reason", None) or str(e)})
            return
        super().finish_request(request, client_address)


class MetricsService(metrics_service_pb2_grpc.MetricsServiceServicer):
    Export = export_handler("metrics.v1.MetricsService", metrics_service_pb2.ExportMetricsServiceResponse)


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    Export = export_handler("trace.v1.TraceService", trace_service_pb2.ExportTraceServiceResponse)


class LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    Export = export_handler("logs.v1.LogsService", logs_service_pb2.ExportLogsServiceResponse)


def main():
    global MODE
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["ok", "hang", "fail", "throttle", "too-large"], default="ok")
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--grpc-port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    ap.add_argument("--token")
    args = ap.parse_args()
    global TOKEN
    MODE = args.mode
    TOKEN = args.token

    def serve(server_class):
        server = server_class(("127.0.0.1", 0 if server_class is Quiet and args.tls_cert else args.http_port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    ports = {}
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.tls_client_ca)
        TlsServer.context = ctx
        httpd = serve(TlsServer)
        ports["control"] = serve(Quiet).server_address[1]
    else:
        httpd = serve(Quiet)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(MetricsService(), server)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(LogsService(), server)
    if args.tls_cert:
        read = lambda p: open(p, "rb").read()
        creds = grpc.ssl_server_credentials(
            [(read(args.tls_key), read(args.tls_cert))],
            root_certificates=read(args.tls_client_ca) if args.tls_client_ca else None,
            require_client_auth=bool(args.tls_client_ca),
        )
        grpc_port = server.add_secure_port(f"127.0.0.1:{args.grpc_port}", creds)
    else:
        grpc_port = server.add_insecure_port(f"127.0.0.1:{args.grpc_port}")
    server.start()

    emit({"ready": {"http": httpd.server_address[1], "grpc": grpc_port, **ports}})
    try:
        # Exit when the parent closes our stdin or kills us.
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    server.stop(0)


if __name__ == "__main__":
    main()
