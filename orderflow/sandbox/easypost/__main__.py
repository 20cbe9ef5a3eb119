"""Run the sandbox EasyPost in the foreground.

    python -m orderflow.sandbox.easypost --port 8090 \\
        --webhook-url http://127.0.0.1:5000/webhooks/easypost --webhook-secret s3cret
"""

import argparse

from .server import serve_forever

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8090)
parser.add_argument("--webhook-url")
parser.add_argument("--webhook-secret", default="")
parser.add_argument("--time-scale", type=float, default=1.0)
parser.add_argument("--latency-ms", type=float, default=0.0)
args = parser.parse_args()
serve_forever(args.host, args.port, args.webhook_url, args.webhook_secret,
              time_scale=args.time_scale, latency_ms=args.latency_ms)
