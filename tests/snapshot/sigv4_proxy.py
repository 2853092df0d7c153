#!/usr/bin/python3
"""sigv4_proxy.py — an HTTP proxy on loopback that checks every request's
AWS SigV4 signature with botocore (an independent implementation) before
passing it on to s3rver, which checks none.

    sigv4_proxy.py --upstream http://127.0.0.1:PORT --log FILE [--port-file F]

For each request it recomputes the signature with botocore's S3SigV4Auth
from what arrived on the wire: method, path and query exactly as sent, the
headers the request says it signed, the X-Amz-Date timestamp, and the
credentials of the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_REGION). It also requires what S3 requires: an
x-amz-content-sha256 header equal to the SHA-256 of the body, and every
x-amz-* header and Host among the signed headers. A request that fails gets
S3's 403 SignatureDoesNotMatch and a "BAD ..." line in the log; one that
passes is forwarded and logged as "OK HOST METHOD PATH?QUERY".
"""
import argparse
import hashlib
import http.client
import http.server
import os
import re
import sys
import threading
import urllib.parse

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(
    r'^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, '
    r'SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$')

log_lock = threading.Lock()


def check_signature(method, raw_path, headers, body):
    """Returns None if the request is correctly signed, else the reason."""
    auth = headers.get('Authorization', '')
    m = AUTH_RE.match(auth)
    if not m:
        return 'no SigV4 Authorization header: %r' % auth[:40]
    key_id, date, region, signed, signature = m.groups()
    if key_id != os.environ['AWS_ACCESS_KEY_ID']:
        return 'credential %s is not AWS_ACCESS_KEY_ID' % key_id
    if region != os.environ.get('AWS_REGION', 'us-east-1'):
        return 'region %s is not AWS_REGION' % region
    amz_date = headers.get('X-Amz-Date', '')
    if not amz_date.startswith(date):
        return 'X-Amz-Date %r does not match the credential date %s' % (amz_date, date)
    signed_names = signed.split(';')
    present = {k.lower() for k in headers.keys()}
    for must in ['host', 'x-amz-date', 'x-amz-content-sha256']:
        if must not in signed_names:
            return '%s is not signed' % must
    for name in present:
        if name.startswith('x-amz-') and name not in signed_names:
            return 'header %s is present but not signed' % name
    payload_hash = headers.get('x-amz-content-sha256', '')
    if payload_hash != 'UNSIGNED-PAYLOAD' and payload_hash != hashlib.sha256(body).hexdigest():
        return 'x-amz-content-sha256 %s is not the SHA-256 of the %d-byte body' % (
            payload_hash, len(body))
    # the request as botocore would sign it: same URL, same signed headers
    sign_headers = {}
    for name in signed_names:
        values = headers.get_all(name) or []
        if not values:
            return 'signed header %s is missing' % name
        sign_headers[name] = ','.join(values)
    req = AWSRequest(method=method, url='http://%s%s' % (headers['Host'], raw_path),
                     headers=sign_headers, data=body)
    req.context['timestamp'] = amz_date
    creds = Credentials(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY'],
                        os.environ.get('AWS_SESSION_TOKEN'))
    signer = S3SigV4Auth(creds, 's3', region)
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    if expected != signature:
        return 'signature %s, botocore computes %s; canonical request:\n%s' % (
            signature, expected, canonical)
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def note(self, line):
        with log_lock, open(self.server.log_path, 'a') as f:
            f.write(line + '\n')

    def relay(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else b''
        why = check_signature(self.command, self.path, self.headers, body)
        if why:
            self.note('BAD %s %s %s: %s' % (self.headers.get('Host'), self.command, self.path, why))
            msg = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch'
                   '</Code><Message>sigv4_proxy: %s</Message></Error>' % why.split('\n')[0])
            data = msg.encode()
            self.send_response(403)
            self.send_header('Content-Type', 'application/xml')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.note('OK %s %s %s' % (self.headers.get('Host'), self.command, self.path))
        up = urllib.parse.urlsplit(self.server.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
        fwd = {k: v for k, v in self.headers.items() if k.lower() not in ('expect', 'connection')}
        conn.request(self.command, self.path, body=body, headers=fwd)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ('transfer-encoding', 'connection', 'content-length', 'date', 'server'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--upstream', required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--port-file', required=True)
    args = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    srv.upstream = args.upstream
    srv.log_path = args.log
    srv.daemon_threads = True
    with open(args.port_file + '.tmp', 'w') as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + '.tmp', args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
