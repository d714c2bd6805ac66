#!/usr/bin/env python3
"""__test__/support/otlp_receiver.py, but decoding each HTTP request by its path: /v1/traces and
/v1/logs as trace and log requests, anything else as metrics. The official plugin also sends
traces, which the metrics-only receiver would reject as undecodable. Same stdout protocol."""
import importlib.util
import io
import os
import sys
import threading

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "otlp_receiver", os.path.join(HERE, "..", "..", "__test__", "support", "otlp_receiver.py"))
base = importlib.util.module_from_spec(spec)
spec.loader.exec_module(base)

CURRENT = threading.local()
BY_PATH = {
    "/v1/traces": trace_service_pb2.ExportTraceServiceRequest,
    "/v1/logs": logs_service_pb2.ExportLogsServiceRequest,
}


def decode(body, content_type):
    path = getattr(CURRENT, "path", "").split("?")[0]
    req = BY_PATH.get(path, metrics_service_pb2.ExportMetricsServiceRequest)()
    if "json" in content_type:
        json_format.Parse(body.decode("utf-8"), req)
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


class Handler(base.Handler):
    def do_POST(self):
        # base.Handler.do_POST calls the module's decode without the path: hand it over per thread.
        CURRENT.path = self.path
        # The official plugin's JS exporter sends chunked bodies; the base handler reads
        # content-length only. De-chunk here and keep the fact visible in the recorded headers.
        if (self.headers.get("transfer-encoding") or "").lower() == "chunked":
            body = read_chunked(self.rfile)
            del self.headers["transfer-encoding"]
            self.headers["x-received-transfer-encoding"] = "chunked"
            self.headers["content-length"] = str(len(body))
            wire, self.rfile = self.rfile, io.BytesIO(body)
            try:
                super().do_POST()
            finally:
                self.rfile = wire  # keep-alive: the next request comes from the socket
            return
        super().do_POST()


base.decode = decode
base.Handler = Handler

if __name__ == "__main__":
    sys.exit(base.main())
