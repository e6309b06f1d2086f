#!/usr/bin/env python3
"""A legacy TLS server for the Trustwatch TLS lab, built on tlslite-ng.

Debian's OpenSSL 3 cannot speak SSL 3.0, RC4 or (at any sane security
level) 3DES, so this pure-Python server plays the old appliance still found
on hospital networks: SSL 3.0 up to TLS 1.2, static-RSA key exchange, RC4
and 3DES (plus AES-CBC), MD5 and SHA-1 MACs.

Usage: legacy_tls_server.py HOST PORT FULLCHAIN_PEM KEY_PEM

Each connection gets one handshake and, if it completes, a one-line HTTP
answer. Every socket operation is bounded by a timeout; a client that sends
garbage only ends its own connection. It serves until killed.
"""

import socketserver
import sys

from tlslite import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey

TIMEOUT_SECS = 10


def settings():
    s = HandshakeSettings()
    s.minVersion = (3, 0)  # SSL 3.0
    s.maxVersion = (3, 3)  # TLS 1.2
    s.cipherNames = ["rc4", "3des", "aes128"]
    s.macNames = ["sha", "md5"]
    s.keyExchangeNames = ["rsa"]
    return s


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(TIMEOUT_SECS)
        conn = TLSConnection(self.request)
        try:
            conn.handshakeServer(
                certChain=self.server.chain,
                privateKey=self.server.key,
                settings=self.server.settings,
            )
            conn.write(b"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nlegacy\n")
            conn.close()
        except Exception:  # any client misbehaviour ends only this connection
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 64


def main():
    host, port, chain_path, key_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    chain = X509CertChain()
    with open(chain_path) as f:
        chain.parsePemList(f.read())
    with open(key_path) as f:
        key = parsePEMKey(f.read(), private=True)
    server = Server((host, port), Handler)
    server.chain, server.key, server.settings = chain, key, settings()
    print(f"legacy TLS server on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
